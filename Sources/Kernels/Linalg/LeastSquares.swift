import Tensor

/// The answer of `lstsq`, as numpy.linalg.lstsq reports it.
public struct LeastSquaresResult {
    /// X (n, k), or (n) for a vector right-hand side.
    public let solution: Tensor
    /// The effective rank of A: singular values above rcond·σmax.
    public let rank: Int
    /// The singular values of A, descending (min(m, n)).
    public let singularValues: Tensor
    /// ‖A·xⱼ − bⱼ‖² per column ((k), or (1) for a vector): when m > n and A has full
    /// column rank, and always with a ridge; otherwise empty ((0)), as numpy.
    public let residuals: Tensor
}

extension Tensor {
    /// Least squares A·X ≈ B for this (m, n) matrix A and B (m, k) or (m): the minimum-norm
    /// X minimising ‖A·X − B‖ (LAPACK dgelsd, in double precision), singular values of A
    /// at or below rcond·σmax counted as zero (default numpy's: float32 eps·max(m, n)).
    /// With `lambda` > 0 the ridge (Tikhonov) solution minimising ‖A·X − B‖² + λ‖X‖²,
    /// exactly: dgelsd on A stacked over √λ·I and B over zeros; rank and singular values
    /// are then A's own (dgesdd) and the residuals the data term ‖A·X − B‖² alone.
    public func lstsq(_ b: Tensor, rcond: Double? = nil, lambda: Double = 0) throws -> LeastSquaresResult {
        let op = "lstsq"
        try checkLeastSquaresOperand("A", dims: [2], op)
        try b.checkLeastSquaresOperand("B", dims: [1, 2], op)
        let m = shape[0], n = shape[1], k = b.dim == 2 ? b.shape[1] : 1, vector = b.dim == 1
        guard b.shape[0] == m else {
            throw TensorError("\(op): A is \(shapeString(shape)) and B is \(shapeString(b.shape)): B needs as many rows as A (\(m))")
        }
        let rc = rcond ?? Double(Float.ulpOfOne) * Double(max(m, n))
        // LAPACK reads rcond >= 1 as machine precision, so it would not drop everything
        guard rc >= 0, rc < 1 else { throw TensorError("\(op): rcond must be in [0, 1), got \(rc)") }
        guard lambda.isFinite, lambda >= 0 else { throw TensorError("\(op): lambda must be a finite number >= 0, got \(lambda)") }
        let ridge = lambda > 0, rows = ridge ? m + n : m, ldb = max(rows, n), mn = min(m, n)
        // sizes first: an expanded view or a huge B fails here, before anything is copied
        try LAPACK.checkSizes(op, rows: rows, cols: n, nrhs: k)
        let a = try contiguous(), bb = try b.contiguous()
        try a.checkFinite(op)
        try bb.checkFinite(op)
        let x = try Tensor.zeros(vector ? [n] : [n, k]), s = try Tensor.zeros([mn])
        guard mn > 0 else {   // numpy: X = 0; with no unknowns the residual is all of B
            let res = m > n ? try Tensor(shape: [k], values: bb.columnSquares(rows: 0..<m, k).map { Float($0) }) : try Tensor.zeros([0])
            return LeastSquaresResult(solution: x, rank: 0, singularValues: s, residuals: res)
        }
        var (lwork, liwork) = try LAPACK.dgelsdWorkspace(rows: rows, cols: n, nrhs: k, op)
        if ridge { lwork = max(lwork, try LAPACK.dgesddWorkspace("N", rows: m, cols: n, op)) }
        // A (augmented), B, singular values of (augmented) A and of A, workspace
        let sCount = min(rows, n), doubles = rows * n + ldb * k + sCount + mn + lwork
        try Scratch.check(doubles, of: Double.self, op)
        try Scratch.check(liwork, of: Int32.self, op)
        var rank = 0, residuals: [Double] = []
        try Scratch.with(doubles, of: Double.self) { pa in
            try Scratch.with(liwork, of: Int32.self) { iwork in
                let pb = pa + rows * n, sAug = pb + ldb * k, sA = sAug + sCount, work = sA + mn
                try a.withFloats { src in
                    if ridge {   // A's own singular values first (dgesdd destroys its copy)
                        copyColumnMajor(src, rows: m, cols: n, into: pa, ld: m)
                        let info = LAPACK.dgesdd("N", rows: m, cols: n, a: pa, s: sA, u: work, vt: work,
                                                 work: work, lwork: lwork, iwork: iwork)
                        if info != 0 { throw LAPACK.failure("dgesdd", info, op) }
                    }
                    copyColumnMajor(src, rows: m, cols: n, into: pa, ld: rows)
                }
                if ridge {
                    let root = lambda.squareRoot()
                    for j in 0..<n {
                        (pa + j * rows + m).update(repeating: 0, count: n)
                        pa[j * rows + m + j] = root
                    }
                }
                pb.update(repeating: 0, count: ldb * k)
                bb.withFloats { src in copyColumnMajor(src, rows: m, cols: k, into: pb, ld: ldb) }
                // LAPACK reads rcond <= 0 as machine precision: the least normal double keeps 0 meaning 0
                let info = LAPACK.dgelsd(rows: rows, cols: n, nrhs: k, a: pa, b: pb, ldb: ldb, s: sAug,
                                         rcond: max(rc, Double.leastNormalMagnitude),
                                         rank: &rank, work: work, lwork: lwork, iwork: iwork)
                if info != 0 { throw LAPACK.failure("dgelsd", info, op) }
                let px = x.ptr
                for i in 0..<n { for j in 0..<k { px[i * k + j] = Float(pb[i + j * ldb]) } }
                let sigma = ridge ? sA : sAug
                for i in 0..<mn { s.ptr[i] = Float(sigma[i]) }
                // full column rank: rows n..<rows of the transformed B are the residual
                if rows > n && rank == n {
                    for j in 0..<k {
                        var total = 0.0, norm = 0.0
                        for i in n..<rows { total += pb[i + j * ldb] * pb[i + j * ldb] }
                        if ridge { for i in 0..<n { norm += pb[i + j * ldb] * pb[i + j * ldb] } }
                        residuals.append(max(0, total - lambda * norm))   // ridge: drop λ‖x‖²
                    }
                }
                if ridge {
                    rank = 0
                    for i in 0..<mn where sA[i] > rc * sA[0] { rank += 1 }
                }
            }
        }
        return LeastSquaresResult(solution: x, rank: rank, singularValues: s,
                                  residuals: try Tensor(shape: [residuals.count], values: residuals.map { Float($0) }))
    }

    /// Throws unless this is a float32 tensor with one of the allowed ranks (named `what`).
    func checkLeastSquaresOperand(_ what: String, dims: [Int], _ op: String) throws {
        guard dims.contains(dim) else {
            let expected = dims == [2] ? "a 2-d matrix (m, n)" : "a 2-d matrix (m, k) or a vector (m)"
            throw TensorError("\(op): \(what) must be \(expected), got shape \(shapeString(shape))")
        }
        guard dtype == .float32 else {
            throw TensorError("\(op): \(what) must be float32, got \(dtype.rawValue) (convert with :float())")
        }
    }

    /// Σᵢ x[i, j]² over `rows` of each of the k columns of this contiguous float matrix, in double.
    func columnSquares(rows: Range<Int>, _ k: Int) -> [Double] {
        var out = [Double](repeating: 0, count: k)
        withFloats { p in for i in rows { for j in 0..<k { out[j] += Double(p[i * k + j]) * Double(p[i * k + j]) } } }
        return out
    }
}
