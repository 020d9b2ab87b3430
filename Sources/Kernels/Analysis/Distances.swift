import CBLAS
import Foundation
import Tensor

/// How the images of a (N, C, …) batch enter a channel-by-channel comparison.
public enum ChannelBatching: String, CaseIterable, Sendable {
    /// Each channel is one vector over all of (N, …) — bench_fmstats.py's convention.
    case flatten
    /// Each channel's maps are averaged over N first.
    case mean
    /// Compared image by image, the (C, C) results averaged over N (FOAD's definition).
    case perImage = "per_image"
}

/// Channel-to-channel measures, all computed from Gram matrices X·Xᵀ (one SGEMM)
/// rather than pairwise loops.
public enum ChannelMeasure: Sendable {
    /// ⟨a, b⟩ / (‖a‖‖b‖); a zero channel scores 0 (torch's F.normalize with eps 1e-12).
    case cosine
    /// ‖a − b‖₂ = √(‖a‖² + ‖b‖² − 2⟨a, b⟩), or summed directly where that cancels (see
    /// `transform`).
    case euclidean
    /// FOAD's 1 / (1 + ‖a − b‖₂).
    case foad

    /// A Euclidean pair whose ‖a − b‖² from the Gram matrix is below this share of
    /// ‖a‖² + ‖b‖² is summed directly: the subtraction cancels the leading digits and leaves
    /// float32's rounding of ⟨a, b⟩ (near-equal channels, maps sharing a large offset: a
    /// distance of 0.012 read as 0).
    static let cancellation: Float = 1.0 / 64

    /// Rewrites the C×C Gram matrix of `rows` (C rows of `width` floats) in place into
    /// this measure. A Euclidean (or FOAD) pair that cancels (`cancellation`) or involves a
    /// channel whose squared norm is not finite (NaN, ±inf, or overflow) is computed
    /// directly in double instead, so it keeps its digits, and NaN and infinity propagate as
    /// in numpy: ‖a − b‖ is inf for an infinite a and finite b.
    func transform(_ g: UnsafeMutablePointer<Float>, _ c: Int, diag: UnsafeMutablePointer<Float>,
                   rows: UnsafePointer<Float>, width: Int) {
        for i in 0..<c { diag[i] = g[i * c + i] }
        switch self {
        case .cosine:
            for i in 0..<c { diag[i] = 1 / max(diag[i].squareRoot(), 1e-12) }
            for i in 0..<c {
                let r = g + i * c, di = diag[i]
                for j in 0..<c { r[j] = r[j] * di * diag[j] }
            }
        case .euclidean, .foad:
            let foad = self == .foad
            for i in 0..<c {
                let r = g + i * c, si = diag[i]
                for j in i..<c {
                    let sum = si + diag[j], v = sum - 2 * r[j]
                    let d: Float
                    if i == j && si.isFinite {
                        d = 0
                    } else if sum.isFinite && v >= sum * Self.cancellation {
                        d = v.squareRoot()
                    } else {
                        let a = rows + i * width, b = rows + j * width
                        var s = 0.0
                        for k in 0..<width { let e = Double(a[k]) - Double(b[k]); s += e * e }
                        d = Float(s.squareRoot())
                    }
                    r[j] = foad ? 1 / (1 + d) : d
                    g[j * c + i] = r[j]
                }
            }
        }
    }
}

extension Tensor {
    /// The (C, C) matrix of `measure` between the channels of a (N, C, …) tensor of at
    /// least 3 dimensions. A 2-d tensor is refused: (N, C) and (C, F) cannot be told
    /// apart, and `rowMatrix` compares the rows of the latter.
    public func channelMatrix(_ measure: ChannelMeasure, batching: ChannelBatching, _ op: String) throws -> Tensor {
        guard dim >= 3 else {
            throw TensorError("\(op): expected (N, C, …) with at least 3 dimensions, got \(shapeString(shape))"
                              + (dim == 2 ? " (the rows of a (C, F) matrix are compared by rowMatrix)" : ""))
        }
        return try measureMatrix(measure, batching: batching, op)
    }

    /// The (C, C) matrix of `measure` between the rows of a (C, F) matrix.
    public func rowMatrix(_ measure: ChannelMeasure, _ op: String) throws -> Tensor {
        guard dim == 2 else { throw TensorError("\(op): expected a (C, F) matrix, got shape \(shapeString(shape))") }
        return try reshape([1] + shape).measureMatrix(measure, batching: .flatten, op)
    }

    private func measureMatrix(_ measure: ChannelMeasure, batching: ChannelBatching, _ op: String) throws -> Tensor {
        let x = try toFloat().contiguous()
        let n = shape[0], c = shape[1], f = shape.dropFirst(2).reduce(1, *)
        guard n > 0, c > 0, f > 0 else { throw TensorError("\(op): empty input \(shapeString(shape))") }
        let out = try Tensor(uninitialized: [c, c])
        switch batching {
        case .flatten, .mean:
            let width = batching == .flatten ? n * f : f
            try Tensor(uninitialized: [c, width]).withFloats { pr in
                try x.withFloats { px in
                    try Chunked.run(op, count: c, block: c, grain: 8) { lo, hi in
                        for j in lo..<hi {
                            let dst = pr + j * width
                            if batching == .flatten {
                                for i in 0..<n { dst.advanced(by: i * f).update(from: px + (i * c + j) * f, count: f) }
                            } else {
                                for k in 0..<f { dst[k] = 0 }
                                for i in 0..<n {
                                    let src = px + (i * c + j) * f
                                    for k in 0..<f { dst[k] += src[k] }
                                }
                                let s = 1 / Float(n)
                                for k in 0..<f { dst[k] *= s }
                            }
                        }
                    }
                }
                // G = X·Xᵀ: the upper triangle from SSYRK (half the flops of a GEMM), mirrored
                cblas_ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, Int32(c), Int32(width), 1, pr, Int32(width),
                            0, out.ptr, Int32(c))
                let g = out.ptr
                for i in 1..<max(c, 1) { for j in 0..<i { g[i * c + j] = g[j * c + i] } }
                Scratch.with(c) { diag in measure.transform(out.ptr, c, diag: diag, rows: pr, width: width) }
            }
        case .perImage where measure == .foad:
            // FOAD's keep-sets hinge on small gaps between similarities: sums in double
            let sums = try x.foadSimilaritySums(op)
            for k in 0..<(c * c) { out.ptr[k] = Float(sums[k] / Double(n)) }
        case .perImage:
            try perImageMatrix(x, measure, n: n, c: c, f: f, into: out, op)
        }
        return out
    }

    /// Σ_n measure(X_n) / N with X_n = x[n] as a C×F matrix; images split over threads
    /// (single-threaded SGEMM each), partial sums added in a fixed order.
    private func perImageMatrix(_ x: Tensor, _ measure: ChannelMeasure, n: Int, c: Int, f: Int,
                                into out: Tensor, _ op: String) throws {
        let parts = min(Parallel.threads, n), cc = c * c
        // per part: its sums (double) and one image's C×C matrix and diagonal (float)
        let each = Scratch.aligned(cc + c)
        try Scratch.check(parts * each, of: Float.self, op)
        try Scratch.with(parts * cc, of: Double.self, zeroed: true, op) { acc in
            try Scratch.with(parts * each) { gs in
                try x.withFloats { px in
                    try perImageSums(px, measure, n: n, c: c, f: f, parts: parts, acc: acc, gs: gs, op)
                }
            }
            let po = out.ptr, inv = 1 / Double(n)
            for k in 0..<cc {
                var s = 0.0
                for p in 0..<parts { s += acc[p * cc + k] }
                po[k] = Float(s * inv)
            }
        }
    }

    /// The loop of `perImageMatrix`: image blocks split into `parts` ranges, each adding
    /// its images' matrices into its own `acc` rows, with `gs` its float scratch.
    private func perImageSums(_ px: UnsafeMutablePointer<Float>, _ measure: ChannelMeasure, n: Int, c: Int, f: Int,
                              parts: Int, acc: UnsafeMutablePointer<Double>, gs: UnsafeMutablePointer<Float>,
                              _ op: String) throws {
        let cc = c * c, each = Scratch.aligned(cc + c)
        try BLAS.singleThreaded {
            var done = 0
            let block = max(parts, 4096 * 4096 / max(cc + c * f, 1))
            while done < n {
                try Interrupt.check(op)
                let hi = min(n, done + block), base = done
                Parallel.forEach(parts) { p in
                    let lo = base + (hi - base) * p / parts, up = base + (hi - base) * (p + 1) / parts
                    guard up > lo else { return }
                    let g = gs + p * each, a = acc + p * cc
                    for i in lo..<up {
                        let xi = px + i * c * f
                        BLAS.sgemm(transA: false, transB: true, m: c, n: c, k: f, a: xi, lda: f, b: xi, ldb: f,
                                   c: g, ldc: c)
                        measure.transform(g, c, diag: g + cc, rows: xi, width: f)
                        for k in 0..<cc { a[k] += Double(g[k]) }
                    }
                }
                done = hi
            }
        }
    }
}
