import CBLAS
import Foundation
import Tensor

extension Tensor {
    /// Σ over images n of FOAD's similarity 1 / (1 + ‖x[n, i] − x[n, j]‖₂) between the
    /// channels of a (N, C, …) tensor, in double precision: C·C sums, row-major.
    ///
    /// Per image the Gram matrix X·Xᵀ of the C × F maps comes from one double-precision
    /// SYRK (so float32 maps lose nothing to ‖a‖² + ‖b‖² − 2⟨a, b⟩ cancellation at float
    /// precision); a pair whose squared distance is below 10⁻⁶ of ‖a‖² + ‖b‖², or that
    /// involves a non-finite map, is recomputed from direct differences, so identical maps
    /// score exactly 1 (ties stay ties) and NaN / ±inf propagate as in numpy (‖a − b‖ = inf
    /// for an infinite a and a finite b, so S = 0). Images are split over `Parallel.threads`
    /// in fixed contiguous ranges and the partial sums added in a fixed order.
    public func foadSimilaritySums(_ op: String = "foad_similarity") throws -> [Double] {
        guard dim >= 2 else { throw TensorError("\(op): expected (N, C, …), got \(shapeString(shape))") }
        let n = shape[0], c = shape[1], f = shape.dropFirst(2).reduce(1, *)
        guard n > 0, c > 0, f > 0 else { throw TensorError("\(op): empty input \(shapeString(shape))") }
        let cc = c * c, parts = ParallelBatch.parts(n)
        // per part: its sums, and one image's maps, Gram matrix and diagonal in double
        let each = Scratch.aligned(c * f + cc + c)
        try Scratch.check(parts * each, of: Double.self, op)
        var out: [Double] = []
        try Scratch.with(parts * cc, of: Double.self, zeroed: true, op) { partial in
            try Scratch.with(parts * each, of: Double.self) { scratch in
                try toFloat().contiguous().withFloats { px in
                    let px = UnsafePointer(px)
                    try ParallelBatch.run(n, op: op) { part, lo, hi, stop in
                        let a = partial + part * cc, xd = scratch + part * each
                        let g = xd + c * f, diag = g + cc
                        for img in lo..<hi {
                            if stop() { break }
                            let src = px + img * c * f
                            for k in 0..<(c * f) { xd[k] = Double(src[k]) }
                            cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, Int32(c), Int32(f), 1, xd, Int32(f),
                                        0, g, Int32(c))
                            for i in 0..<c { diag[i] = g[i * c + i] }
                            for i in 0..<c {
                                for j in i..<c {
                                    a[i * c + j] += FOADPair.similarity(xd + i * f, xd + j * f, f, gram: g[i * c + j],
                                                                        ni: diag[i], nj: diag[j])
                                }
                            }
                        }
                    }
                }
            }
            out = [Double](repeating: 0, count: cc)
            for p in 0..<parts { for k in 0..<cc { out[k] += partial[p * cc + k] } }
        }
        for i in 0..<c { for j in 0..<i { out[i * c + j] = out[j * c + i] } }
        return out
    }
}

/// One pair's similarity from its Gram entries, falling back to direct differences.
enum FOADPair {
    @inline(__always)
    static func similarity(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ f: Int,
                           gram: Double, ni: Double, nj: Double) -> Double {
        if a == b && ni.isFinite { return 1 }
        let v = ni + nj - 2 * gram
        let d2: Double
        if ni.isFinite && nj.isFinite && v > 1e-6 * (ni + nj) {
            d2 = v
        } else {
            var s = 0.0
            for k in 0..<f { let e = a[k] - b[k]; s += e * e }
            d2 = s
        }
        return 1 / (1 + d2.squareRoot())
    }
}
