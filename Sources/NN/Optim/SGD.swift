import Tensor

/// Stochastic gradient descent with momentum, as `torch.optim.SGD`:
/// g ← grad + wd·p; buf ← g on the first step, else μ·buf + (1 − dampening)·g;
/// g ← g + μ·buf (Nesterov) or buf; p ← p − lr·g. A parameter's `lrScale` and
/// `weightDecay` stand in for the optimizer's lr multiple and weight decay (param groups).
public final class SGD: Optimizer {
    public var lr: Double
    public let momentum: Double, dampening: Double, weightDecay: Double
    public let nesterov: Bool
    let state = OptimizerState()

    public init(lr: Double, momentum: Double = 0, dampening: Double = 0, weightDecay: Double = 0, nesterov: Bool = false) throws {
        guard lr >= 0, lr.isFinite else { throw TensorError("sgd: invalid learning rate \(lr)") }
        guard momentum >= 0, momentum.isFinite else { throw TensorError("sgd: invalid momentum \(momentum)") }
        guard weightDecay >= 0, weightDecay.isFinite else { throw TensorError("sgd: invalid weight_decay \(weightDecay)") }
        guard dampening.isFinite else { throw TensorError("sgd: invalid dampening \(dampening)") }
        guard !nesterov || (momentum > 0 && dampening == 0) else {
            throw TensorError("sgd: Nesterov momentum requires a momentum and zero dampening")
        }
        self.lr = lr; self.momentum = momentum; self.dampening = dampening
        self.weightDecay = weightDecay; self.nesterov = nesterov
    }

    public func sliceState(_ p: Parameter, dim: Int, index: Tensor) throws {
        try state.slice(p, dim: dim, index: index)
    }

    public func zeroState(_ p: Parameter, dim: Int, rows: [Int]) throws {
        try state.zero(p, dim: dim, rows: rows)
    }

    public var description: String {
        "sgd{lr = \(lr), momentum = \(momentum), dampening = \(dampening), weight_decay = \(weightDecay), nesterov = \(nesterov)}"
    }

    public func step(_ params: [Parameter]) throws {
        let mu = Float(momentum), damp = 1 - Float(dampening)
        let nesterov = self.nesterov
        for p in params where p.requiresGrad && p.grad != nil {
            // the parameter's own lr multiple and weight decay (param groups), else the optimizer's
            let lr = Float(self.lr * p.lrScale), wd = Float(p.weightDecay ?? weightDecay)
            let slot = state.slot(p)
            try withParameter(p, "sgd") { v, g, n in
                if momentum == 0 {
                    elementwise(n) { lo, hi in
                        for i in lo..<hi { v[i] -= lr * (g[i] + wd * v[i]) }
                    }
                    return
                }
                let first = slot.buffers["momentum_buffer"] == nil
                let buf = try slot.buffers["momentum_buffer"] ?? zerosLike(p)
                slot.buffers["momentum_buffer"] = buf
                let b = buf.ptr
                elementwise(n) { lo, hi in
                    for i in lo..<hi {
                        let d = g[i] + wd * v[i]
                        b[i] = first ? d : mu * b[i] + damp * d
                        v[i] -= lr * (nesterov ? d + mu * b[i] : b[i])
                    }
                }
            }
            slot.step += 1
        }
    }

    public func state(_ params: [Parameter]) throws -> [(String, Tensor)] { try state.export(params) }

    public func loadState(_ s: [String: Tensor], _ params: [Parameter]) throws {
        try state.load(s, params, buffers: ["momentum_buffer"], required: momentum > 0 ? ["momentum_buffer"] : [], op: "sgd")
    }
}
