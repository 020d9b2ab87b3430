import Foundation
import Kernels
import NN
import Tensor

/// Criteria on feature maps at the group's hook point. Each reduces a batch [B, C, H, W]
/// to one value per image and channel [B, C] as it arrives, so calibration over many
/// batches keeps little memory; the score is the mean over images.
public struct MapCriterion: Criterion {
    public enum Kind: String, CaseIterable, Sendable {
        /// 1 − fraction of zeros (APoZ, Hu et al.): channels that are mostly zero go first.
        case apoz
        /// Mean activation over positions.
        case meanActivation = "mean_activation"
        /// HRank (Lin et al. 2020): mean rank of the H×W maps.
        case hrank
        /// CHIP (Sui et al. 2021): nuclear-norm drop when the channel's row of the
        /// image's C×HW matrix is zeroed.
        case chip
    }

    public let kind: Kind
    public var name: String { kind.rawValue }
    public var needs: CriterionNeeds { .featureMaps }
    public var reducesEachImage: Bool { true }
    public init(_ kind: Kind) { self.kind = kind }

    public func reduceBatch(_ maps: Tensor, grads: Tensor?) throws -> Tensor? {
        guard maps.dim >= 2 else {
            throw TensorError("\(name): feature maps must be [N, C, …], got \(shapeString(maps.shape))")
        }
        let x = try maps.toFloat().contiguous()
        let b = x.shape[0], c = x.shape[1], hw = x.shape.dropFirst(2).reduce(1, *)
        switch kind {
        case .apoz:
            let out = try Tensor(uninitialized: [b, c]), o = out.ptr
            x.withFloats { p in
                Parallel.ranges(b * c, grain: max(1, 32768 / max(hw, 1))) { lo, hi in
                    for i in lo..<hi { o[i] = 1 - Float(RunSums.zeros(p + i * hw, hw)) / Float(max(hw, 1)) }
                }
            }
            return out
        case .meanActivation:
            return try x.reshape([b, c, hw]).mean([2])
        case .hrank:
            let m = x.dim == 4 ? x : try x.reshape([b, c, hw, 1])
            return try m.matrixRank().toFloat()
        case .chip:
            return try x.nuclearNormDrops()
        }
    }

    public func evaluate(_ ctx: CriterionContext) throws -> CriterionResult {
        guard let r = ctx.fmaps else { throw TensorError("\(name): no feature maps were captured for group \(ctx.group.name)") }
        // APoZ counts an activation's zeros: a conv's or BN's output has none, so every
        // channel would tie and the plan would keep channels by index
        if kind == .apoz, ctx.pointIsActivation == false {
            return .skip("no activation follows its conv (maps at \(ctx.point ?? "?")), so there are no zeros for APoZ to count")
        }
        // …and a smooth or leaky activation (SiLU, GELU, ELU, LeakyReLU, Sigmoid, Tanh) has none either
        if kind == .apoz, let a = ctx.pointActivation, !a.outputsZeros {
            return .skip("its activation \(a.typeName) (maps at \(ctx.point ?? "?")) outputs no zeros for APoZ to count")
        }
        return .scores(try r.mean([0]).toFloats().map(Double.init))
    }
}

/// First-order Taylor expansion on activations (Molchanov et al. 2017):
/// |mean over images and positions of (∂L/∂a)·a|, ℓ2-normalised over the group.
public struct TaylorCriterion: Criterion {
    public let name = "taylor"
    public var needs: CriterionNeeds { [.featureMaps, .gradients] }
    public var reducesEachImage: Bool { true }
    public init() {}

    public func reduceBatch(_ maps: Tensor, grads: Tensor?) throws -> Tensor? {
        guard let g = grads else { throw TensorError("taylor: no gradients were captured") }
        guard maps.dim >= 2, g.shape == maps.shape else {
            throw TensorError("taylor: maps \(shapeString(maps.shape)) and gradients \(shapeString(g.shape)) must both be [N, C, …] of one shape")
        }
        // mean over positions of a·∂L/∂a per image and channel, in one pass (no product tensor)
        let b = maps.shape[0], c = maps.shape[1], hw = maps.shape.dropFirst(2).reduce(1, *)
        let out = try Tensor(uninitialized: [b, c]), o = out.ptr
        try maps.toFloat().withContiguousFloats { a in
            try g.toFloat().withContiguousFloats { d in
                Parallel.ranges(b * c, grain: max(1, 32768 / max(hw, 1))) { lo, hi in
                    for r in lo..<hi { o[r] = Float(RunSums.products(a + r * hw, d + r * hw, hw) / Double(max(hw, 1))) }
                }
            }
        }
        return out
    }

    public func evaluate(_ ctx: CriterionContext) throws -> CriterionResult {
        guard let r = ctx.fmaps else { throw TensorError("taylor: no gradients were captured for group \(ctx.group.name)") }
        let s = try r.mean([0]).toFloats().map { Double(abs($0)) }
        return .scores(ScoreNormalizer.l2.apply(s))
    }
}
