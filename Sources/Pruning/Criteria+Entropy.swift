import Foundation
import Kernels
import NN
import Tensor

/// SFM's entropy of the feature maps (PAPERS.md, reconstructed); higher = keep.
/// - `histogram`: per image n and channel c, p = numpy.histogram(A[n, c], bins) / (H·W)
///   (equal bins over the map's [min, max], the last closed; a constant map scores 0),
///   H_nc = −Σ p log p; score = mean_n H_nc.
/// - `pooled` (Luo & Wu 2017): each map averaged to one number per image, then the
///   histogram entropy of those N numbers per channel.
/// - `softmax`: p = softmax((x − mean)²) over the pixels (or softmax(x) with logits =
///   values), score = mean_n −Σ p log p; a constant map scores the maximum, log(H·W).
///
/// Each calibration batch is reduced to one number per image and channel [B, C] as it
/// arrives (an entropy, or for `pooled` the map mean); `pooled` needs all images together
/// for its histogram, which those [N, C] means are.
public struct EntropyCriterion: Criterion {
    public enum Variant: String, CaseIterable, Sendable { case histogram, pooled, softmax }

    public let variant: Variant
    public let bins: Int
    public let base: Double
    public let logits: SoftmaxLogits
    public var name: String { "entropy" }
    public var needs: CriterionNeeds { .featureMaps }
    /// Every variant reduces a batch to one number per image and channel.
    public var reducesEachImage: Bool { true }

    public init(variant: Variant = .histogram, bins: Int = 256, base: Double = 2,
                logits: SoftmaxLogits = .squaredDeviation) {
        self.variant = variant; self.bins = bins; self.base = base; self.logits = logits
    }

    public func reduceBatch(_ maps: Tensor, grads: Tensor?) throws -> Tensor? {
        guard maps.dim >= 2 else {
            throw TensorError("entropy: feature maps must be [N, C, …], got \(shapeString(maps.shape))")
        }
        let b = maps.shape[0], c = maps.shape[1], hw = maps.shape.dropFirst(2).reduce(1, *)
        guard b > 0, c > 0, hw > 0 else { throw TensorError("entropy: empty feature maps \(shapeString(maps.shape))") }
        // [B, C, H, W] as it is; [B, C] or [B, C, L] as maps of hw × 1
        let x = maps.dim == 4 ? maps : try maps.reshape([b, c, hw, 1])
        switch variant {
        case .histogram: return try x.histogramEntropy(bins: bins, base: base)
        case .softmax: return try x.softmaxEntropy(base: base, logits: logits)
        case .pooled:
            try x.checkFinite("entropy")
            return try x.reshape([b, c, hw]).mean([2])
        }
    }

    public func evaluate(_ ctx: CriterionContext) throws -> CriterionResult {
        guard let r = ctx.fmaps else { throw TensorError("entropy: no feature maps were captured for group \(ctx.group.name)") }
        return .scores(try finish(r))
    }

    /// The scores of maps [N, C, …] all at once (`criteria.entropy` in Lua).
    public func scores(maps: Tensor) throws -> [Double] {
        guard let r = try reduceBatch(maps, grads: nil) else { return [] }
        return try finish(r)
    }

    /// Scores from the reduced [N, C]: the mean over images, or for `pooled` the entropy
    /// of the N means.
    func finish(_ r: Tensor) throws -> [Double] {
        guard r.dim == 2 else { throw TensorError("entropy: reduced values of an unexpected shape \(shapeString(r.shape))") }
        let n = r.shape[0], c = r.shape[1]
        if variant == .pooled {
            guard n >= 2 else {
                throw TensorError("entropy: the pooled variant needs at least 2 calibration images (one number per image and channel), got \(n)")
            }
            return try r.pooledEntropy(bins: bins, base: base).toFloats().map(Double.init)
        }
        let v = r.toFloats()
        var s = [Double](repeating: 0, count: c)
        for i in 0..<n { for j in 0..<c { s[j] += Double(v[i * c + j]) } }
        return s.map { $0 / Double(n) }
    }
}
