import Foundation
import Kernels
import NN
import Tensor

/// FPWT (PAPERS.md, reconstructed): wavelet sub-band similarity of the feature maps with
/// energy weights. For image n and channel c, L = the approximation band (LL) and H = the
/// detail bands concatenated, of `wavedec2(A[n, c], wavelet, level, mode)`;
/// E_L = Σ L², E_H = Σ H² (over the layer, or per channel), α = E_L/(E_L + E_H), β = 1 − α.
/// - `similarity` (the paper's): sim(i, j) = mean_n [α cos(L_ni, L_nj) + β cos(H_ni, H_nj)]
///   (with per-channel weights, channel i's α_i, β_i), importance(i) = −mean_{j≠i} sim(i, j):
///   the least redundant channel is the most important. A zero vector has cosine 0 (as the
///   reference script has it), so a channel whose maps are zero in every image (a dead
///   channel) scores 0, above every live one; with `prunesDead` it scores −1, as one
///   identical to all others would: it carries nothing, and is among the first removed.
/// - `energy` (plain): importance(c) = α·mean_n ‖L_nc‖ + β·mean_n ‖H_nc‖.
///
/// Every term is a sum over images, so each calibration batch is reduced to its sums
/// (C×C cosines, per-channel energies and norms) as it arrives; memory does not grow with
/// the number of images.
public struct FPWTCriterion: Criterion {
    public enum Weights: String, CaseIterable, Sendable { case layer, channel }
    public enum Variant: String, CaseIterable, Sendable { case similarity, energy }

    public let wavelet: Wavelet
    public let mode: WaveletMode
    public let level: Int
    public let weights: Weights
    public let variant: Variant
    public let details: WaveletDetailBands
    public let force: Bool
    /// Whether a dead channel (zero maps in every image) scores −1 instead of the formula's 0.
    public let prunesDead: Bool
    public var name: String { "fpwt" }
    public var needs: CriterionNeeds { .featureMaps }

    public init(wavelet: Wavelet, mode: WaveletMode = .symmetric, level: Int = 1, weights: Weights = .layer,
                variant: Variant = .similarity, details: WaveletDetailBands = .all, force: Bool = false,
                prunesDead: Bool = false) {
        self.wavelet = wavelet; self.mode = mode; self.level = level; self.weights = weights
        self.variant = variant; self.details = details; self.force = force; self.prunesDead = prunesDead
    }

    /// The statistics of one batch [B, C, H, W] (3-D maps [B, C, L] count as L×1 maps).
    public func stats(_ maps: Tensor) throws -> WaveletChannelStats {
        guard maps.dim == 4 || maps.dim == 3 else {
            throw TensorError("fpwt: feature maps must be [N, C, H, W], got \(shapeString(maps.shape)) (a wavelet transform needs spatial maps)")
        }
        guard maps.dim == 3 else {
            return try maps.waveletChannelStats(wavelet, mode: mode, level: level, details: details,
                                                similarity: variant == .similarity, force: force)
        }
        do {
            return try maps.reshape(maps.shape + [1]).waveletChannelStats(
                wavelet, mode: mode, level: level, details: details, similarity: variant == .similarity, force: force)
        } catch let e as TensorError {
            throw TensorError("\(e.message) (3-d maps \(shapeString(maps.shape)) are read as [N, C, L] with L×1 maps; give [N, C, H, W] for 2-d maps)")
        }
    }

    /// A batch's packed statistics (`pack`). Maps [B, C] (a Linear's outputs) and, unless
    /// `force`, 1×1 maps (global features: ResNet-18's last stage on 32×32 images) have no
    /// height and width to transform at any level: they reduce to the image count alone, a
    /// [1, 1] tensor, and `evaluate` skips their group (as bn_scale skips a group without
    /// BatchNorm), so a plan over such a net prunes the convolutions that have spatial maps.
    /// Maps too small for the wavelet at `level` (db4 on ResNet-56's 8×8 last stage), unless
    /// `force`, reduce to [1, 3] (images, H, W): their group is skipped too, saying why.
    public func reduceBatch(_ maps: Tensor, grads: Tensor?) throws -> Tensor? {
        if maps.dim == 2 || (maps.dim == 4 && maps.shape[2] == 1 && maps.shape[3] == 1 && !force) {
            return try Tensor(shape: [1, 1], values: [Float(maps.shape[0])])
        }
        if maps.dim == 4, !force, level > deepestLevel(maps.shape[2], maps.shape[3]) {
            return try Tensor(shape: [1, 3], values: [Float(maps.shape[0]), Float(maps.shape[2]), Float(maps.shape[3])])
        }
        return try Self.pack(stats(maps))
    }

    /// The deepest level `wavelet` decomposes h×w maps to (0: none).
    func deepestLevel(_ h: Int, _ w: Int) -> Int {
        min(waveletMaxLevel(h, filterLength: wavelet.length), waveletMaxLevel(w, filterLength: wavelet.length))
    }

    public func evaluate(_ ctx: CriterionContext) throws -> CriterionResult {
        guard let r = ctx.fmaps else { throw TensorError("fpwt: no feature maps were captured for group \(ctx.group.name)") }
        if r.dim == 2, r.shape[1] == 1 {
            return .skip("its feature maps ([N, C] or 1×1) have no height and width for a wavelet transform (force = true transforms 1×1 maps anyway)")
        }
        if r.dim == 2, r.shape[1] == 3 {
            let v = r.toFloats(), h = Int(v[1]), w = Int(v[2]), deepest = deepestLevel(h, w)
            return .skip("its \(h)×\(w) feature maps are too small for \(wavelet.name) at level \(level) (the deepest they allow is "
                         + "\(deepest)): a shorter wavelet\(deepest > 0 ? " or a lower level" : ""), or force = true (every coefficient then feels the boundary)")
        }
        return .scores(try scores(Self.unpack(r, similarity: variant == .similarity)).importance)
    }

    /// The scores of maps [N, C, H, W] all at once (`criteria.fpwt` in Lua).
    public func scores(maps: Tensor) throws -> FPWTScores { try scores(stats(maps)) }

    /// Importance from summed statistics.
    public func scores(_ s: WaveletChannelStats) throws -> FPWTScores {
        let c = s.channels, n = Double(max(s.images, 1))
        func split(_ l: Double, _ h: Double) -> (Double, Double) { l + h > 0 ? (l / (l + h), h / (l + h)) : (0, 0) }
        let layer = split(s.energyLow.reduce(0, +), s.energyHigh.reduce(0, +))
        let ab = (0..<c).map { weights == .layer ? layer : split(s.energyLow[$0], s.energyHigh[$0]) }
        var out = FPWTScores(importance: [], alpha: ab.map(\.0), beta: ab.map(\.1), similarity: nil)
        switch variant {
        case .energy:
            out.importance = (0..<c).map { ab[$0].0 * s.normLow[$0] / n + ab[$0].1 * s.normHigh[$0] / n }
        case .similarity:
            var sim = [Double](repeating: 0, count: c * c)
            for i in 0..<c {
                for j in 0..<c { sim[i * c + j] = (ab[i].0 * s.cosLow[i * c + j] + ab[i].1 * s.cosHigh[i * c + j]) / n }
            }
            out.importance = (0..<c).map { i in
                if prunesDead, c >= 2, s.energyLow[i] + s.energyHigh[i] == 0 { return -1 }   // dead in every image
                return c < 2 ? 0 : -((0..<c).reduce(0.0) { $1 == i ? $0 : $0 + sim[i * c + $1] }) / Double(c - 1)
            }
            out.similarity = sim
        }
        return out
    }

    /// One batch's statistics as a [1, K] tensor, so the engine can concatenate batches:
    /// images, then per channel E_L, E_H, Σ‖L‖, Σ‖H‖, then the two C×C cosine sums.
    static func pack(_ s: WaveletChannelStats) throws -> Tensor {
        let v = [Double(s.images)] + s.energyLow + s.energyHigh + s.normLow + s.normHigh + s.cosLow + s.cosHigh
        return try Tensor(shape: [1, v.count], values: v.map(Float.init))
    }

    /// The sum of packed batches [B, K] (rows added in double).
    static func unpack(_ t: Tensor, similarity: Bool) throws -> WaveletChannelStats {
        let k = t.shape.last ?? 0, rows = t.numel / max(k, 1)
        // K = 1 + 4C (+ 2C² with similarities)
        var c = (k - 1) / 4
        if similarity { c = Int(((Double(16 + 8 * (k - 1)).squareRoot() - 4) / 4).rounded()) }
        guard t.dim == 2, c >= 1, 1 + 4 * c + (similarity ? 2 * c * c : 0) == k else {
            throw TensorError("fpwt: reduced statistics of an unexpected shape \(shapeString(t.shape))")
        }
        var sum = [Double](repeating: 0, count: k)
        let v = t.toFloats()
        for r in 0..<rows { for q in 0..<k { sum[q] += Double(v[r * k + q]) } }
        var s = WaveletChannelStats(channels: c, similarity: similarity)
        s.images = Int(sum[0].rounded())
        func take(_ at: Int, _ m: Int) -> [Double] { Array(sum[at..<(at + m)]) }
        s.energyLow = take(1, c); s.energyHigh = take(1 + c, c)
        s.normLow = take(1 + 2 * c, c); s.normHigh = take(1 + 3 * c, c)
        if similarity { s.cosLow = take(1 + 4 * c, c * c); s.cosHigh = take(1 + 4 * c + c * c, c * c) }
        return s
    }
}

/// FPWT's answer for one layer: importance per channel (higher = keep), the energy weights
/// α, β per channel (all equal with per-layer weights), and for the similarity variant the
/// C×C matrix sim(i, j) row-major.
public struct FPWTScores {
    public var importance: [Double]
    public var alpha: [Double], beta: [Double]
    public var similarity: [Double]?
}
