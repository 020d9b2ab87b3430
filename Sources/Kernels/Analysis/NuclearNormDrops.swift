import CBLAS
import Tensor

extension Tensor {
    /// CHIP's channel independence (Sui et al. 2021) of maps [N, C, …]: for each image n
    /// and channel c, ‖A_n‖_* − ‖A_n with row c zeroed‖_*, A_n the C × HW matrix of the
    /// image's maps. [N, C] float32.
    ///
    /// Singular values are the square roots of the Gram matrix's eigenvalues, formed in
    /// double from the float32 maps (exact products): G = A·Aᵀ when C < HW, else AᵀA. One
    /// eigendecomposition per image (LAPACK dsyevd, double): G = V·diag(λ)·Vᵀ. Zeroing row
    /// c subtracts a_c·a_cᵀ from AᵀA, which in the basis V is diag(λ) − z·zᵀ with
    /// z = √λ ⊙ (row c of V) (C < HW) or z = Vᵀ·a_c; its eigenvalues come from the
    /// secular equation (`RankOneDowndate`, O(k²) per channel instead of a k×k
    /// decomposition). Where the root finder fails, that channel's matrix is decomposed
    /// on its own (Householder + dsterf). About 1e-8·σmax absolute per singular value,
    /// against ~1e-7·σmax for a float32 SVD. Images run in parallel.
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
        let lwork = 1 + 6 * k + 2 * k * k, liwork = 3 + 5 * k
        let o = out.ptr
        try x.withFloats { px in
            try Chunked.run("chip", count: n, block: Chunked.blockSize(perItem: c * k * k)) { lo, hi in
                Scratch.with(liwork, of: Int32.self) { iwork in
                Scratch.with(2 * k * k + k + c * hw + c * k + lwork + RankOneDowndate.workCount(k), of: Double.self) { g in
                    let v = g + k * k, lambda = v + k * k, buf = lambda + k
                    let zs = buf + c * hw, work = zs + c * k, rwork = work + lwork
                    for i in lo..<hi {
                        Self.gram(px + i * c * hw, c, hw, into: g, buf: buf)
                        v.update(from: g, count: k * k)
                        guard Self.eigen(v, k, lambda, work: work, lwork, iwork: iwork, liwork) else {
                            for j in 0..<c { o[i * c + j] = .nan }   // no convergence: NaN scores
                            continue
                        }
                        var full = 0.0
                        for r in 0..<k { full += Swift.max(lambda[r], 0).squareRoot() }
                        // z for every channel, rows of zs: V column-major, V[q + r·k] = vᵣ[q]
                        if deleting {
                            for r in 0..<k {
                                let sr = Swift.max(lambda[r], 0).squareRoot()
                                for j in 0..<c { zs[j * k + r] = v[j + r * k] * sr }
                            }
                        } else {
                            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(c), Int32(k), Int32(hw), 1,
                                        buf, Int32(hw), v, Int32(k), 0, zs, Int32(k))
                        }
                        for j in 0..<c {
                            let rest = RankOneDowndate.nuclear(lambda: lambda, z: zs + j * k, k, work: rwork)
                                ?? Self.dropDirect(g, k, channel: j, deleting: deleting, row: buf + j * hw, scratch: work)
                            o[i * c + j] = Float(full - rest)
                        }
                    }
                }
                }
            }
        }
        return out
    }

    /// Eigenvalues (ascending, into `w`) and eigenvectors (into `a`, column-major) of the
    /// symmetric k×k `a`; false when LAPACK does not converge.
    static func eigen(_ a: UnsafeMutablePointer<Double>, _ k: Int, _ w: UnsafeMutablePointer<Double>,
                      work: UnsafeMutablePointer<Double>, _ lwork: Int, iwork: UnsafeMutablePointer<Int32>,
                      _ liwork: Int) -> Bool {
        var n = Int32(k), lw = Int32(lwork), liw = Int32(liwork), info: Int32 = 0
        dsyevd_("V", "U", &n, a, &n, w, work, &lw, iwork, &liw, &info)
        return info == 0
    }

    /// ‖A with row `channel` zeroed‖_* from its own Gram matrix (row and column deleted,
    /// or AᵀA − a·aᵀ), decomposed afresh: the fallback of the secular equation. `scratch`:
    /// k² + 2k doubles.
    static func dropDirect(_ g: UnsafePointer<Double>, _ k: Int, channel j: Int, deleting: Bool,
                           row a: UnsafePointer<Double>, scratch: UnsafeMutablePointer<Double>) -> Double {
        let w = scratch, d = w + k * k, e = d + k
        if deleting {
            var t = 0
            for r in 0..<k where r != j {
                for q in 0..<k where q != j { w[t] = g[r * k + q]; t += 1 }
            }
            return nuclear(w, k - 1, d, e)
        }
        for r in 0..<k { for q in 0..<k { w[r * k + q] = g[r * k + q] - a[r] * a[q] } }
        return nuclear(w, k, d, e)
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
