import CBLAS
import Tensor

extension Tensor {
    /// The Moore–Penrose pseudo-inverse of every matrix in the last two dims, (…, m, n) ->
    /// (…, n, m), as torch.linalg.pinv: A⁺ = V·diag(1/σ)·Uᵀ over the singular values
    /// σ > max(atol, rtol·σmax) (LAPACK dgesdd and the product in double precision).
    /// Defaults: atol 0; rtol = float32 eps·max(m, n), or 0 when only atol > 0 is given.
    /// Matrices go one after another (LAPACK and BLAS thread inside).
    public func pinv(atol: Double? = nil, rtol: Double? = nil) throws -> Tensor {
        let op = "pinv"
        guard dim >= 2 else { throw TensorError("\(op): expected a matrix (…, m, n) with at least 2 dimensions, got shape \(shapeString(shape))") }
        guard dtype == .float32 else { throw TensorError("\(op): expected a float32 tensor, got \(dtype.rawValue) (convert with :float())") }
        let m = shape[dim - 2], n = shape[dim - 1], mn = min(m, n)
        let absolute = atol ?? 0
        let relative = rtol ?? (absolute > 0 ? 0 : Double(Float.ulpOfOne) * Double(max(m, n)))
        guard absolute.isFinite, absolute >= 0 else { throw TensorError("\(op): atol must be a finite number >= 0, got \(absolute)") }
        guard relative.isFinite, relative >= 0 else { throw TensorError("\(op): rtol must be a finite number >= 0, got \(relative)") }
        let batch = Array(shape.dropLast(2)), count = batch.reduce(1, *)
        try LAPACK.checkSizes(op, rows: m, cols: n)
        let out = try Tensor.zeros(batch + [n, m])
        guard mn > 0, count > 0 else { return out }
        let a = try contiguous()
        try a.checkFinite(op)
        let lwork = try LAPACK.dgesddWorkspace("S", rows: m, cols: n, op)
        // A (then the product), U (m, mn), Vᵀ (mn, n), σ, workspace
        let doubles = m * n + m * mn + mn * n + mn + lwork
        try Scratch.check(doubles, of: Double.self, op)
        try Scratch.check(8 * mn, of: Int32.self, op)
        try Scratch.with(doubles, of: Double.self) { pa in
            try Scratch.with(8 * mn, of: Int32.self) { iwork in
                let pu = pa + m * n, pvt = pu + m * mn, ps = pvt + mn * n, work = ps + mn
                try a.withFloats { src in
                    for i in 0..<count {
                        try Interrupt.check(op)
                        copyColumnMajor(src + i * m * n, rows: m, cols: n, into: pa, ld: m)
                        let info = LAPACK.dgesdd("S", rows: m, cols: n, a: pa, s: ps, u: pu, vt: pvt,
                                                 work: work, lwork: lwork, iwork: iwork)
                        if info != 0 { throw LAPACK.failure("dgesdd", info, op) }
                        let cutoff = max(absolute, relative * ps[0])
                        var r = 0
                        while r < mn && ps[r] > cutoff { r += 1 }   // σ descending
                        guard r > 0 else { continue }                 // the output is already 0
                        for l in 0..<r {
                            let inv = 1 / ps[l], col = pu + l * m
                            for t in 0..<m { col[t] *= inv }
                        }
                        // U_r·diag(1/σ)·Vᵀ_r is column-major (m, n): row-major, that is A⁺ (n, m)
                        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(r),
                                    1, pu, Int32(m), pvt, Int32(mn), 0, pa, Int32(m))
                        let q = out.ptr + i * m * n
                        for t in 0..<(m * n) { q[t] = Float(pa[t]) }
                    }
                }
            }
        }
        return out
    }
}
