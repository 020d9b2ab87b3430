import Foundation
import Kernels
import Tensor

/// FOAD (PAPERS.md): S[i, j] = mean over images of 1 / (1 + ‖A[n, i] − A[n, j]‖_F) on the
/// raw maps at the group's hook point (post-ReLU by default), then FOAD's greedy keep-set
/// (`FOAD.greedy`). Selection-based: each group's kept count emerges from `t` and `s`.
public struct FOADCriterion: Criterion {
    public let name = "foad"
    /// Top-t most similar alive channels examined per kept channel (≥ 1).
    public let t: Int
    /// Similarity threshold: a candidate is removed when S[i, j] ≥ s.
    public let s: Double
    public var needs: CriterionNeeds { .featureMaps }
    public var choosesKeptCount: Bool { true }
    public var keptCountOptions: String { "t, s" }

    public init(t: Int = 1, s: Double = 0) { self.t = t; self.s = s }

    /// One batch [B, C, …] → the C·C double sums of the batch's similarities and the
    /// image count, carried bit for bit in an int64 [1, C·C + 1] tensor (tensors have no
    /// float64 dtype), so calibration memory stays C² per batch and precision is double.
    public func reduceBatch(_ maps: Tensor, grads: Tensor?) throws -> Tensor? {
        guard maps.dim >= 2 else {
            throw TensorError("foad: feature maps must be [N, C, …], got \(shapeString(maps.shape))")
        }
        let sums = try maps.foadSimilaritySums("foad")
        return try DoubleSums.pack(sums, count: maps.shape[0])
    }

    /// The mean similarity matrix of reduced batches (C·C values, row-major) and C.
    public static func similarity(_ reduced: Tensor) throws -> (s: [Double], channels: Int) {
        let (sums, n) = try DoubleSums.unpack(reduced, "foad")
        let c = Int(Double(sums.count).squareRoot())
        guard c * c == sums.count, n > 0 else { throw TensorError("foad: reduced similarity sums have the wrong size") }
        return (sums.map { $0 / Double(n) }, c)
    }

    public func evaluate(_ ctx: CriterionContext) throws -> CriterionResult {
        guard let r = ctx.fmaps else { throw TensorError("foad: no feature maps were captured for group \(ctx.group.name)") }
        let (sim, c) = try Self.similarity(r)
        guard c == ctx.group.channels else {
            throw TensorError("foad: similarity of \(c) channels for group \(ctx.group.name), which has \(ctx.group.channels)")
        }
        return .keep(try FOAD.greedy(sim, channels: c, t: t, threshold: s).kept)
    }
}

/// Double-precision running sums passed through calibration as int64 tensors: row b holds
/// batch b's sums (their IEEE-754 bit patterns) followed by its item count.
public enum DoubleSums {
    public static func pack(_ sums: [Double], count: Int) throws -> Tensor {
        try pack(size: sums.count, count: count) { $0.update(from: sums, count: sums.count) }
    }

    /// One row of `size` sums that `fill` writes straight into the packed tensor (which it
    /// finds zeroed), then `count`: no array of the sums in between.
    public static func pack(size: Int, count: Int, _ fill: (UnsafeMutablePointer<Double>) throws -> Void) throws -> Tensor {
        let t = try Tensor.allocate([1, size + 1], dtype: .int64, zeroed: true, "double sums")
        let p = t.iptr
        try p.withMemoryRebound(to: Double.self, capacity: size) { try fill($0) }
        p[size] = Int64(count)
        return t
    }

    /// The element-wise total over rows (added in row order) and the total count.
    public static func unpack(_ t: Tensor, _ op: String) throws -> (sums: [Double], count: Int) {
        guard t.dtype == .int64, t.dim == 2, t.shape[1] >= 1 else {
            throw TensorError("\(op): expected packed double sums (int64 [batches, values + 1]), got \(t.dtype.rawValue) \(shapeString(t.shape))")
        }
        let rows = t.shape[0], w = t.shape[1]
        var sums = [Double](repeating: 0, count: w - 1), count = 0
        try t.contiguous().withInt64s { p in
            for b in 0..<rows {
                for k in 0..<(w - 1) { sums[k] += Double(bitPattern: UInt64(bitPattern: p[b * w + k])) }
                count += Int(p[b * w + w - 1])
            }
        }
        return (sums, count)
    }
}
