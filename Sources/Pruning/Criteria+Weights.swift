import Foundation
import Kernels
import NN
import Tensor

/// How the scores of a group's members combine into one score per channel.
public enum GroupReduction: String, CaseIterable, Sendable {
    /// The defining layer's filters alone (Li et al.'s filter norm).
    case first
    case mean, sum, max
}

/// Per-group normalisation of the final scores. Each divides by a magnitude (|mean|,
/// max |s|, |sum|, ‖s‖₂), so the order of a group's scores never changes: scores that are
/// all negative (FPWT's −similarity, minus a reconstruction error) keep their best.
public enum ScoreNormalizer: String, CaseIterable, Sendable {
    case none, mean, max, sum, l2
    /// (s − mean) / std.
    case standardize

    public func apply(_ s: [Double]) -> [Double] {
        guard !s.isEmpty else { return s }
        let n = Double(s.count)
        switch self {
        case .none: return s
        case .mean: let m = abs(s.reduce(0, +) / n); return m == 0 ? s : s.map { $0 / m }
        case .max: let m = s.map(abs).max()!; return m == 0 ? s : s.map { $0 / m }
        case .sum: let m = abs(s.reduce(0, +)); return m == 0 ? s : s.map { $0 / m }
        case .l2: let m = s.reduce(0) { $0 + $1 * $1 }.squareRoot(); return m == 0 ? s : s.map { $0 / m }
        case .standardize:
            let m = s.reduce(0, +) / n
            let sd = (s.reduce(0) { $0 + ($1 - m) * ($1 - m) } / n).squareRoot()
            return sd == 0 ? s.map { $0 - m } : s.map { ($0 - m) / sd }
        }
    }
}

/// ‖W_c‖_p, over the defining filter (`first`) or every member holding weights.
public struct NormCriterion: Criterion {
    public let name: String
    public let p: Double
    public let reduction: GroupReduction

    public init(p: Double, reduction: GroupReduction = .first) {
        self.p = p; self.reduction = reduction
        name = p == 1 ? "l1" : p == 2 ? "l2" : "lp"
    }

    public func evaluate(_ ctx: CriterionContext) throws -> CriterionResult {
        // `first`: the defining conv's filters alone, so only that member is computed.
        let chosen: [[Double]]
        if reduction == .first {
            var first: [[Double]] = []
            for m in ctx.group.members where ctx.graph.slots[m].role == .output && ctx.graph.slots[m].layer == ctx.group.name {
                let s = ctx.graph.slots[m]
                if let n = try ctx.norms(of: s, p: p) { first = [n]; break }
            }
            chosen = first
        } else {
            chosen = try ctx.memberNorms(p: p).map(\.norms)
        }
        guard !chosen.isEmpty else {
            if let why = ctx.group.definingLayerMakesPart { return .skip(why) }
            throw TensorError("\(name): group \(ctx.group.name) has no weights to score")
        }
        let n = ctx.group.channels
        var s = [Double](repeating: reduction == .max ? -Double.infinity : 0, count: n)
        for m in chosen {
            for c in 0..<n {
                switch reduction {
                case .max: s[c] = Swift.max(s[c], m[c])
                default: s[c] += m[c]
                }
            }
        }
        if reduction == .mean { s = s.map { $0 / Double(chosen.count) } }
        return .scores(s)
    }
}

/// FPGM (He et al. 2019): Σ_j ‖W_c − W_j‖₂ over the defining layer's filters. Filters
/// near the geometric median score low and are pruned first.
public struct FPGMCriterion: Criterion {
    public let name = "fpgm"
    public init() {}

    public func evaluate(_ ctx: CriterionContext) throws -> CriterionResult {
        guard let w = ctx.weight else { throw TensorError("fpgm: group \(ctx.group.name) has no defining weight") }
        if let why = ctx.group.definingLayerMakesPart { return .skip(why) }
        let c = w.shape[0]
        // One SGEMM: ‖a − b‖ from the Gram matrix of the flattened filters.
        let d = try w.contiguous().reshape([1, c, -1]).channelMatrix(.euclidean, batching: .flatten, "fpgm")
        let rows = d.toFloats()
        let s = (0..<c).map { i in (0..<c).reduce(0.0) { $0 + Double(rows[i * c + $1]) } }
        return .scores(s)
    }
}

/// |γ_c| of the group's first BatchNorm (network slimming). A group without an affine
/// BatchNorm (a Linear's outputs, a conv not followed by BN) is skipped, as Torch-Pruning's
/// BNScaleImportance does: not scored, so not pruned.
public struct BNScaleCriterion: Criterion {
    public let name = "bn_scale"
    public init() {}

    public func evaluate(_ ctx: CriterionContext) throws -> CriterionResult {
        guard let g = ctx.gammaValues else {
            return .skip(ctx.bn == nil ? "no BatchNorm holds its channels" : "its BatchNorm has no affine scale")
        }
        return .scores(g.map { Double(abs($0)) })
    }
}

/// Uniform random scores from a seeded generator (seed + group index), so a plan replays.
public struct RandomCriterion: Criterion {
    public let name = "random"
    public let seed: UInt64
    public init(seed: UInt64 = 0) { self.seed = seed }

    public func evaluate(_ ctx: CriterionContext) throws -> CriterionResult {
        var rng = Xoshiro256(seed: seed &* 1_000_003 &+ UInt64(ctx.group.index))
        return .scores((0..<ctx.group.channels).map { _ in Double(rng.nextFloat()) })
    }
}
