import CBLAS
import Tensor

/// Matrix products through OpenBLAS SGEMM. Operands whose last two dims are row-major
/// or transposed views are passed to BLAS as they are (no copy); other layouts are made
/// contiguous first.
public enum BLAS {
    /// Sets the threads OpenBLAS uses (Topiary's own kernels follow `Parallel.threads`).
    public static func setThreads(_ n: Int) {
        openblas_set_num_threads(Int32(max(1, n)))
    }

    /// OpenBLAS's kernel family for this CPU ("Haswell", "SkylakeX"...) and its build line.
    public static var coreName: String { openblas_get_corename().map { String(cString: $0) } ?? "?" }
    public static var config: String { openblas_get_config().map { String(cString: $0) } ?? "?" }

    /// C[M,N] = alpha·op(A)·op(B) + beta·C on raw row-major buffers.
    @inlinable
    public static func sgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
                             a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                             beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}

/// How a matrix (the last two dims of a tensor) can be handed to BLAS.
struct MatrixOperand {
    let tensor: Tensor
    let trans: Bool
    let ld: Int

    init(_ t: Tensor) throws {
        let r = t.dim
        let rows = t.shape[r - 2], cols = t.shape[r - 1]
        let s0 = t.strides[r - 2], s1 = t.strides[r - 1]
        if (s1 == 1 || cols == 1) && s0 >= max(cols, 1) {
            tensor = t; trans = false; ld = max(s0, 1)
        } else if (s0 == 1 || rows == 1) && s1 >= max(rows, 1) {
            tensor = t; trans = true; ld = max(s1, 1)
        } else {
            let c = try t.contiguous()
            tensor = c; trans = false; ld = max(cols, 1)
        }
    }
}

extension Tensor {
    /// The matrix product with torch.matmul's rules: 1-d·1-d is a dot product, 2-d·2-d
    /// a matrix product, 1-d operands are promoted and the added dim removed, and leading
    /// (batch) dims broadcast.
    public func matmul(_ other: Tensor) throws -> Tensor {
        let p = try MatmulPlan(self, other)
        // BLAS overwrites the output (beta = 0); only an empty inner dimension leaves zeros.
        let out = p.k == 0 ? try Tensor(zeros: p.batch + [p.m, p.n]) : try Tensor(uninitialized: p.batch + [p.m, p.n])
        try p.run(into: out.ptr)
        return try out.reshape(p.resultShape)
    }

    /// The matrix product written into `out`, a contiguous float32 tensor of the result's
    /// shape (numpy's `matmul(a, b, out=c)`): no allocation, so a loop can reuse a buffer.
    public func matmul(_ other: Tensor, into out: Tensor) throws {
        let p = try MatmulPlan(self, other)
        guard out.dtype == .float32, out.isContiguous, out.shape == p.resultShape else {
            throw TensorError("matmul: output must be a contiguous float32 tensor of shape \(shapeString(p.resultShape)), got \(out.dtype.rawValue) \(shapeString(out.shape))")
        }
        if p.k == 0 { out.fill(0) }
        try p.run(into: out.ptr)
    }

    /// Batched matrix product of (B, M, K) and (B, K, N).
    public func bmm(_ other: Tensor) throws -> Tensor {
        guard dim == 3, other.dim == 3 else {
            throw TensorError("bmm: expected 3-d tensors, got \(shapeString(shape)) and \(shapeString(other.shape))")
        }
        guard shape[0] == other.shape[0] else {
            throw TensorError("bmm: batch sizes differ: \(shapeString(shape)) and \(shapeString(other.shape))")
        }
        return try matmul(other)
    }

    /// The matrix at flat batch index i of a tensor expanded to `batch + [r, c]`.
    static func batchItem(_ t: Tensor, _ i: Int, _ batch: [Int]) throws -> Tensor {
        var x = t, rem = i
        var idx = [Int](repeating: 0, count: batch.count)
        for d in stride(from: batch.count - 1, through: 0, by: -1) { idx[d] = rem % batch[d]; rem /= batch[d] }
        for d in idx { x = try x.select(0, d) }
        return x
    }
}

/// A checked matrix product: operands promoted and expanded to `batch + [m, k]` and
/// `batch + [k, n]`, and the shape of the result.
struct MatmulPlan {
    let a: Tensor, b: Tensor
    let batch: [Int]
    let m: Int, k: Int, n: Int
    let resultShape: [Int]

    init(_ x: Tensor, _ y: Tensor) throws {
        guard x.dim >= 1, y.dim >= 1 else {
            throw TensorError("matmul: both arguments need at least 1 dimension, got \(shapeString(x.shape)) and \(shapeString(y.shape))")
        }
        var a = try x.toFloat(), b = try y.toFloat()
        let aVec = a.dim == 1, bVec = b.dim == 1
        if aVec { a = try a.unsqueeze(0) }
        if bVec { b = try b.unsqueeze(1) }
        m = a.shape[a.dim - 2]; k = a.shape[a.dim - 1]; n = b.shape[b.dim - 1]
        guard b.shape[b.dim - 2] == k else {
            throw TensorError("matmul: shapes \(shapeString(x.shape)) and \(shapeString(y.shape)) cannot be multiplied (\(k) vs \(b.shape[b.dim - 2]))")
        }
        batch = try broadcastShapes(Array(a.shape.dropLast(2)), Array(b.shape.dropLast(2)), "matmul")
        try Tensor.checkShape(batch + [m, n], "matmul")
        guard max(m, n, k) < Int(Int32.max) else { throw TensorError("matmul: dimensions past 2^31 are not supported") }
        self.a = try a.expand(batch + [m, k])
        self.b = try b.expand(batch + [k, n])
        var shape = batch + [m, n]
        if bVec { shape.removeLast() }
        if aVec { shape.remove(at: shape.count - (bVec ? 1 : 2)) }
        resultShape = shape
    }

    /// One SGEMM per batch item into `c` (row-major, batch + [m, n]); Ctrl-C is checked
    /// every 64 items.
    func run(into c: UnsafeMutablePointer<Float>) throws {
        guard m > 0, n > 0, k > 0 else { return }
        let count = batch.reduce(1, *)
        for i in 0..<count {
            if i & 63 == 0 { try Interrupt.check("matmul") }
            let oa = try MatrixOperand(try Tensor.batchItem(a, i, batch)), ob = try MatrixOperand(try Tensor.batchItem(b, i, batch))
            oa.tensor.withFloats { pa in ob.tensor.withFloats { pb in
                BLAS.sgemm(transA: oa.trans, transB: ob.trans, m: m, n: n, k: k, a: pa, lda: oa.ld, b: pb, ldb: ob.ld,
                           c: c + i * m * n, ldc: n)
            } }
        }
    }
}
