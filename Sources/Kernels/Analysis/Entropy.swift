import Foundation
import Tensor

/// What the softmax entropy variant feeds to the softmax.
public enum SoftmaxLogits: String, CaseIterable, Sendable {
    /// (x − mean)² over the map, as in PAPERS.md's SFM option (a constant map scores the maximum).
    case squaredDeviation = "squared_deviation"
    /// The values themselves (bench_fmstats.py's entropy_softmax).
    case values
}

extension Tensor {
    /// Histogram entropy of every map over the last two dims: `bins` equal bins over
    /// the map's own [min, max], binned exactly as numpy.histogram does on float32 data
    /// (float32 edges, the last bin closed); H = −Σ p log p in the given base. A
    /// constant map scores 0. (…, H, W) → (…).
    public func histogramEntropy(bins: Int = 256, base: Double = 2) throws -> Tensor {
        let (x, batch, hw) = try mapView("entropy")
        let out = try Tensor(uninitialized: batch)
        try x.withFloats { px in
            try EntropyKernel.histograms(px, groups: batch.reduce(1, *), groupStride: hw, segments: 1,
                                         segmentStride: 0, length: hw, bins: bins, base: base, into: out.ptr)
        }
        return out
    }

    /// Histogram entropy of each channel over all its values: (N, C, …) → (C), the
    /// histogram of x[:, c] as one sample (bench_fmstats.py's entropy_hist).
    public func channelHistogramEntropy(bins: Int = 256, base: Double = 2) throws -> Tensor {
        guard dim >= 2 else { throw TensorError("entropy: per-channel entropy needs (N, C, …), got \(shapeString(shape))") }
        let n = shape[0], c = shape[1], rest = shape.dropFirst(2).reduce(1, *)
        let out = try Tensor(uninitialized: [c])
        try withContiguousFloats { px in
            try EntropyKernel.histograms(px, groups: c, groupStride: rest, segments: n, segmentStride: c * rest,
                                         length: rest, bins: bins, base: base, into: out.ptr)
        }
        return out
    }

    /// The pooled variant (Luo & Wu): each map of (N, C, …) averaged to one number per
    /// image, then the histogram entropy of those N numbers per channel → (C).
    public func pooledEntropy(bins: Int = 256, base: Double = 2) throws -> Tensor {
        guard dim >= 2 else { throw TensorError("entropy: the pooled variant needs (N, C, …), got \(shapeString(shape))") }
        let n = shape[0], c = shape[1], rest = shape.dropFirst(2).reduce(1, *)
        let out = try Tensor(uninitialized: [c])
        try Tensor(uninitialized: [c, n]).withFloats { pm in
            try withContiguousFloats { px in
                try Chunked.run("entropy", count: n, block: Chunked.blockSize(perItem: c * rest)) { lo, hi in
                    for i in lo..<hi {
                        for j in 0..<c { pm[j * n + i] = Float(rowSum(px + (i * c + j) * rest, rest) / Double(max(rest, 1))) }
                    }
                }
            }
            try EntropyKernel.histograms(pm, groups: c, groupStride: n, segments: 1, segmentStride: 0, length: n,
                                         bins: bins, base: base, into: out.ptr)
        }
        return out
    }

    /// Softmax entropy of every map over the last two dims: p = softmax(logits) over the
    /// H·W pixels, H = −Σ p log p in the given base. (…, H, W) → (…).
    public func softmaxEntropy(base: Double = 2, logits: SoftmaxLogits = .squaredDeviation) throws -> Tensor {
        let (x, batch, hw) = try mapView("entropy")
        try EntropyKernel.checkBase(base)
        let maps = batch.reduce(1, *)
        let out = try Tensor(uninitialized: batch)
        let po = out.ptr, scale = 1 / Foundation.log(base)
        try x.withFloats { px in
            try Chunked.run("entropy", count: maps, block: Chunked.blockSize(perItem: hw)) { lo, hi in
                Scratch.with(hw + 8) { z in
                    for m in lo..<hi { po[m] = Float(EntropyKernel.softmaxEntropy(px + m * hw, hw, logits, scratch: z) * scale) }
                }
            }
        }
        // a NaN or infinite input leaves a NaN entropy
        for m in 0..<maps where po[m].isNaN { throw TensorError("entropy: input contains NaN or infinity") }
        return out
    }

    /// The contiguous float32 data, the leading (batch) shape and the map size H·W.
    func mapView(_ op: String) throws -> (Tensor, [Int], Int) {
        guard dim >= 2 else {
            throw TensorError("\(op): expected a tensor with at least 2 dimensions (…, H, W), got \(shapeString(shape))")
        }
        return (try toFloat().contiguous(), Array(shape.dropLast(2)), shape[dim - 2] * shape[dim - 1])
    }
}
