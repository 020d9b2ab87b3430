import Foundation
import Tensor

/// Adam and AdamW, as `torch.optim.Adam` / `torch.optim.AdamW` (single-tensor path):
/// t ← t + 1; Adam: g ← grad + wd·p; AdamW: p ← p·(1 − lr·wd);
/// m ← lerp(m, g, 1 − β1); v ← β2·v + (1 − β2)·g²; (AMSGrad: v̂ ← max(v̂, v));
/// p ← p − lr/(1 − β1ᵗ) · m / (√v / √(1 − β2ᵗ) + ε).
public final class Adam: Optimizer {
    public var lr: Double
    public let beta1: Double, beta2: Double, eps: Double, weightDecay: Double
    public let amsgrad: Bool
    /// Decoupled weight decay (AdamW).
    public let decoupled: Bool
    let state = OptimizerState()

    public init(lr: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999, eps: Double = 1e-8,
                weightDecay: Double? = nil, amsgrad: Bool = false, decoupled: Bool = false) throws {
        let name = decoupled ? "adamw" : "adam"
        let wd = weightDecay ?? (decoupled ? 0.01 : 0)
        guard lr >= 0, lr.isFinite else { throw TensorError("\(name): invalid learning rate \(lr)") }
        guard eps >= 0, eps.isFinite else { throw TensorError("\(name): invalid epsilon \(eps)") }
        guard beta1 >= 0 && beta1 < 1 else { throw TensorError("\(name): invalid beta1 \(beta1) (must be in [0, 1))") }
        guard beta2 >= 0 && beta2 < 1 else { throw TensorError("\(name): invalid beta2 \(beta2) (must be in [0, 1))") }
        guard wd >= 0, wd.isFinite else { throw TensorError("\(name): invalid weight_decay \(wd)") }
        self.lr = lr; self.beta1 = beta1; self.beta2 = beta2; self.eps = eps
        self.weightDecay = wd; self.amsgrad = amsgrad; self.decoupled = decoupled
    }

    var name: String { decoupled ? "adamw" : "adam" }

    public func sliceState(_ p: Parameter, dim: Int, index: Tensor) throws {
        try state.slice(p, dim: dim, index: index)
    }

    public func zeroState(_ p: Parameter, dim: Int, rows: [Int]) throws {
        try state.zero(p, dim: dim, rows: rows)
    }

    public var description: String {
        "\(name){lr = \(lr), betas = {\(beta1), \(beta2)}, eps = \(eps), weight_decay = \(weightDecay), amsgrad = \(amsgrad)}"
    }

    public func step(_ params: [Parameter]) throws {
        let decoupled = self.decoupled
        let b1w = Float(1 - beta1), b2 = Float(beta2), b2w = Float(1 - beta2), eps = Float(self.eps)
        for p in params where p.requiresGrad && p.grad != nil {
            // the parameter's own lr multiple and weight decay (param groups), else the optimizer's
            let lr = self.lr * p.lrScale, weightDecay = p.weightDecay ?? self.weightDecay
            let wd = Float(weightDecay), decay = Float(1 - lr * weightDecay)
            let slot = state.slot(p)
            slot.step += 1
            let t = Double(slot.step)
            let stepSize = Float(lr / (1 - Foundation.pow(beta1, t)))
            let bc2Sqrt = Float((1 - Foundation.pow(beta2, t)).squareRoot())
            for name in amsgrad ? ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"] : ["exp_avg", "exp_avg_sq"] where slot.buffers[name] == nil {
                slot.buffers[name] = try zerosLike(p)
            }
            let m = slot.buffers["exp_avg"]!.ptr, v2 = slot.buffers["exp_avg_sq"]!.ptr
            let vmax = slot.buffers["max_exp_avg_sq"]?.ptr
            try withParameter(p, name) { v, g, n in
                elementwise(n) { lo, hi in
                    for i in lo..<hi {
                        var d = g[i]
                        if decoupled { v[i] *= decay } else if wd != 0 { d += wd * v[i] }
                        m[i] += b1w * (d - m[i])
                        v2[i] = b2 * v2[i] + b2w * d * d
                        var s = v2[i]
                        if let vmax { vmax[i] = max(vmax[i], s); s = vmax[i] }
                        v[i] -= stepSize * m[i] / (s.squareRoot() / bc2Sqrt + eps)
                    }
                }
            }
        }
    }

    public func state(_ params: [Parameter]) throws -> [(String, Tensor)] { try state.export(params) }

    public func loadState(_ s: [String: Tensor], _ params: [Parameter]) throws {
        let required = ["exp_avg", "exp_avg_sq"] + (amsgrad ? ["max_exp_avg_sq"] : [])
        try state.load(s, params, buffers: ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"], required: required, op: name)
    }
}
