import CBLAS
import Tensor

extension Tensor {
    /// CHIP's channel independence (Sui et al. 2021) of maps [N, C, …]: for each image n
    /// and channel c, ‖A_n‖_* − ‖A_n with row c zeroed‖_*, A_n the C × HW matrix of the
    /// image's maps. [N, C] float32.
    ///
    /// Singular values are the square roots of the Gram matrix's eigenvalues, formed in
    /// double from the float32 maps (exact products): zeroing row c deletes row and column
    /// c of A·Aᵀ (used when C < HW), or subtracts a_c·a_cᵀ from AᵀA. Each matrix is
    /// reduced to tridiagonal form (Householder, double) and its eigenvalues found by
    /// LAPACK's dsterf — about 1e-8·σmax absolute per singular value, against ~1e-7·σmax
    /// for a float32 SVD, and no C + 1 matrix copies per image. Images run in parallel.
    public func nuclearNormDrops() throws -> Tensor {
        guard dim >= 2 else {
            throw TensorError("chip: feature maps must be [N, C, …], got \(shapeString(shape))")
        }
        let x = try toFloat().contiguous()
        try x.checkFinite("chip")
        let n = shape[0], c = shape[1], hw = shape.dropFirst(2).reduce(1, *)
        let out = try Tensor(zeros: [n, c])
        guard n > 0, c > 0, hw > 0 else { return out }
        let k = Swift.min(c, hw), deleting = c < hw     // Tensor.gram: A·Aᵀ exactly when c < hw
        let o = out.ptr
        try x.withFloats { px in
            try Chunked.run("chip", count: n, block: Chunked.blockSize(perItem: c * k * k * k)) { lo, hi in
                Scratch.with(2 * k * k + 2 * k + c * hw, of: Double.self) { g in
                    let w = g + k * k, d = w + k * k, e = d + k, buf = e + k
                    for i in lo..<hi {
                        Self.gram(px + i * c * hw, c, hw, into: g, buf: buf)
                        w.update(from: g, count: k * k)
                        let full = Self.nuclear(w, k, d, e)
                        for j in 0..<c {
                            let rest: Double
                            if deleting {
                                var t = 0
                                for r in 0..<k where r != j {
                                    for q in 0..<k where q != j { w[t] = g[r * k + q]; t += 1 }
                                }
                                rest = Self.nuclear(w, k - 1, d, e)
                            } else {
                                let a = buf + j * hw
                                for r in 0..<k { for q in 0..<k { w[r * k + q] = g[r * k + q] - a[r] * a[q] } }
                                rest = Self.nuclear(w, k, d, e)
                            }
                            o[i * c + j] = Float(full - rest)
                        }
                    }
                }
            }
        }
        return out
    }

    /// Σ √λ over the eigenvalues λ of the symmetric m×m row-major `a` (destroyed; negative
    /// rounding residue counts as 0). `d`, `e`: m doubles of scratch.
    static func nuclear(_ a: UnsafeMutablePointer<Double>, _ m: Int, _ d: UnsafeMutablePointer<Double>,
                        _ e: UnsafeMutablePointer<Double>) -> Double {
        guard m > 0 else { return 0 }
        SymmetricEigen.tridiagonalize(a, m, d, e)
        var n = Int32(m), info: Int32 = 0
        dsterf_(&n, d, e + 1, &info)
        guard info == 0 else { return .nan }     // no convergence: the criterion reports a NaN score
        var s = 0.0
        for i in 0..<m { s += Swift.max(d[i], 0).squareRoot() }
        return s
    }
}
