import CBLAS
import Tensor

/// Singular values (descending) of every matrix in the last two dims, and optionally
/// the thin factors: A = U·diag(S)·Vᵀ with U (…, m, k), V (…, n, k), k = min(m, n).
public struct SVDResult {
    public let s: Tensor
    public let u: Tensor?
    public let v: Tensor?
}

extension Tensor {
    /// Batched SVD through LAPACK's sgesdd (OpenBLAS), the matrices split over threads
    /// with OpenBLAS single-threaded inside.
    public func svd(vectors: Bool = false, _ op: String = "svd") throws -> SVDResult {
        guard dim >= 2 else { throw TensorError("\(op): expected a tensor with at least 2 dimensions (…, m, n), got \(shapeString(shape))") }
        let x = try toFloat().contiguous()
        try x.checkFinite(op)
        let m = shape[dim - 2], n = shape[dim - 1], k = min(m, n)
        let batch = Array(shape.dropLast(2)), count = batch.reduce(1, *)
        let s = try Tensor(uninitialized: batch + [k])
        let u = vectors ? try Tensor(uninitialized: batch + [m, k]) : nil
        let v = vectors ? try Tensor(uninitialized: batch + [n, k]) : nil
        guard k > 0, count > 0 else {
            if let u { u.fill(0) }
            if let v { v.fill(0) }
            return SVDResult(s: s, u: u, v: v)
        }
        let job = vectors ? "S" : "N"
        // The row-major m×n matrix is LAPACK's column-major n×m matrix Aᵀ = V·S·Uᵀ, so
        // LAPACK's "U" (n×k) is our Vᵀ laid out row-major and its "VT" (k×m) our U.
        let lwork = try LAPACK.sgesddWorkspace(job, rows: n, cols: m)
        let ps = s.ptr, pu = u?.ptr, pv = v?.ptr
        var failures = 0
        // per thread: a copy of the matrix, LAPACK's U (our Vᵀ), its workspace, and iwork
        let floats = m * n + n * k + lwork + 1
        try Scratch.check(floats, of: Float.self, op)
        try Scratch.check(8 * k, of: Int32.self, op)
        let batched = { (px: UnsafeMutablePointer<Float>) throws -> Void in
            try Chunked.run(op, count: count, block: Chunked.blockSize(perItem: m * n * 16)) { lo, hi in
                Scratch.with(floats) { a in
                    Scratch.with(8 * k, of: Int32.self) { iwork in
                        let vt = a + m * n, work = vt + n * k, dummy = work + lwork
                        for i in lo..<hi {
                            a.update(from: px + i * m * n, count: m * n)
                            let info = LAPACK.sgesdd(job, rows: n, cols: m, a: a, s: ps + i * k,
                                                     u: vectors ? vt : dummy, ldu: vectors ? n : 1,
                                                     vt: pu.map { $0 + i * m * k } ?? dummy, ldvt: vectors ? k : 1,
                                                     work: work, lwork: lwork, iwork: iwork)
                            if info != 0 { ps[i * k] = .nan; continue }
                            if let pv { transposeBlock(vt, n, rows: k, cols: n, pv + i * n * k, k) }
                        }
                    }
                }
            }
        }
        // one matrix: LAPACK may thread inside; many: one thread each, OpenBLAS single-threaded
        try x.withFloats { px in
            if count > 1 { try BLAS.singleThreaded { try batched(px) } } else { try batched(px) }
        }
        for i in 0..<count where ps[i * k].isNaN { failures += 1 }
        if failures > 0 { throw TensorError("\(op): LAPACK sgesdd did not converge for \(failures) of \(count) matrices") }
        return SVDResult(s: s, u: u, v: v)
    }

    /// Nuclear norm (sum of singular values) of every matrix in the last two dims.
    public func nuclearNorm() throws -> Tensor {
        let s = try svd(vectors: false, "nuclear_norm").s
        let k = s.shape[s.dim - 1], count = s.shape.dropLast().reduce(1, *)
        let out = try Tensor(uninitialized: Array(s.shape.dropLast())), q = out.ptr
        s.withFloats { ps in
            for i in 0..<count {
                var t = 0.0
                for j in 0..<k { t += Double(ps[i * k + j]) }
                q[i] = Float(t)
            }
        }
        return out
    }
}

/// Thin wrappers over the LAPACK routines OpenBLAS ships (column-major, Fortran ABI).
enum LAPACK {
    static func sgesdd(_ job: String, rows: Int, cols: Int, a: UnsafeMutablePointer<Float>,
                       s: UnsafeMutablePointer<Float>, u: UnsafeMutablePointer<Float>, ldu: Int,
                       vt: UnsafeMutablePointer<Float>, ldvt: Int, work: UnsafeMutablePointer<Float>,
                       lwork: Int, iwork: UnsafeMutablePointer<Int32>) -> Int32 {
        var m = Int32(rows), n = Int32(cols), lda = Int32(max(rows, 1)), lu = Int32(ldu), lvt = Int32(ldvt)
        var lw = Int32(lwork), info: Int32 = 0
        job.withCString { j in sgesdd_(j, &m, &n, a, &lda, s, u, &lu, vt, &lvt, work, &lw, iwork, &info) }
        return info
    }

    /// The optimal workspace (in floats) of sgesdd for a rows×cols matrix.
    static func sgesddWorkspace(_ job: String, rows: Int, cols: Int) throws -> Int {
        let k = min(rows, cols)
        var a = [Float](repeating: 0, count: max(rows * cols, 1)), s = [Float](repeating: 0, count: max(k, 1))
        var u = [Float](repeating: 0, count: 1), vt = [Float](repeating: 0, count: 1)
        var work: Float = 0
        var iwork = [Int32](repeating: 0, count: max(8 * k, 1))
        let info = sgesdd(job, rows: rows, cols: cols, a: &a, s: &s, u: &u, ldu: max(rows, 1), vt: &vt,
                          ldvt: max(k, 1), work: &work, lwork: -1, iwork: &iwork)
        guard info == 0 else { throw TensorError("svd: LAPACK workspace query failed (info \(info))") }
        return max(Int(work) + 1, 1)
    }
}
