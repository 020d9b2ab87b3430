/// Selection by index tensors: `indexSelect` and `gather` (the writing side is in
/// Tensor+Scatter.swift). Index tensors may be int64
/// or integral float32, and are counted from `base` (0 in Swift, 1 from Lua: errors
/// then quote the indices as the caller wrote them). Inputs of any strides; results
/// are contiguous and keep the input's dtype.
extension Tensor {
    /// The values of an index tensor in row-major order, checked to be integers in
    /// `base ..< base + size` and returned 0-based.
    public static func indexValues(_ idx: Tensor, size: Int, base: Int, _ op: String,
                                   what: String = "index") throws -> [Int] {
        let c = try idx.contiguous()
        var out = [Int](repeating: 0, count: c.numel)
        let isInt = c.dtype == .int64
        try c.withBytes { raw in
            let ip = raw.assumingMemoryBound(to: Int64.self), fp = raw.assumingMemoryBound(to: Float.self)
            for k in 0..<out.count {
                let i: Int
                if isInt {
                    i = Int(ip[k])
                } else {
                    let v = fp[k]
                    guard v.isFinite, v == v.rounded(), Swift.abs(v) < 1e15 else {
                        throw TensorError("\(op): \(what) \(v) is not an integer")
                    }
                    i = Int(v)
                }
                let z = i - base
                guard z >= 0 && z < size else {
                    throw TensorError("\(op): \(what) \(i) out of range for a dimension of size \(size)"
                                      + (base == 1 ? " (indices are 1-based)" : ""))
                }
                out[k] = z
            }
        }
        return out
    }

    /// The entries `idx` (a 1-d index tensor) of dimension `d`: the result has the
    /// input's shape with dimension `d` of size `idx.numel`.
    public func indexSelect(_ d: Int, _ idx: Tensor, base: Int = 0) throws -> Tensor {
        guard idx.dim <= 1 else {
            throw TensorError("index_select: index must be 1-d, got shape \(shapeString(idx.shape))")
        }
        let op = "index_select"
        if dim == 0 {
            let ix = try Tensor.indexValues(idx, size: 1, base: base, op)
            return try reshape([1]).expand([ix.count]).contiguous()
        }
        let dd = try checkDim(d, op)
        let ix = try Tensor.indexValues(idx, size: shape[dd], base: base, op)
        var s = shape
        s[dd] = ix.count
        try Tensor.checkShape(s, op)
        let x = try contiguous()
        let out = try Tensor(uninitialized: s, dtype: dtype)
        let inner = shape[(dd + 1)...].reduce(1, *), m = shape[dd]
        let outer = shape[..<dd].reduce(1, *), k = ix.count
        let size = dtype.size
        let dst = out.storage.raw
        x.withBytes { src in ix.withUnsafeBufferPointer { ixp in
            Parallel.ranges(outer * k, grain: Swift.max(1, 32768 / Swift.max(inner, 1))) { lo, hi in
                for item in lo..<hi {
                    let o = item / k, j = item % k
                    (dst + item * inner * size).copyMemory(from: src + (o * m + ixp[j]) * inner * size,
                                                           byteCount: inner * size)
                }
            }
        } }
        return out
    }

    /// torch.gather: `out[i][j][k] = x[i][idx[i][j][k]][k]` for d = 1. The index has
    /// this tensor's rank and no size larger than this tensor's outside `d`; the result
    /// has the index's shape.
    public func gather(_ d: Int, _ idx: Tensor, base: Int = 0) throws -> Tensor {
        let op = "gather"
        let dd = try checkDim(d, op)
        try checkIndexShape(idx, dd, op)
        let ix = try Tensor.indexValues(idx, size: dim == 0 ? 1 : shape[dd], base: base, op)
        let out = try Tensor(uninitialized: idx.shape, dtype: dtype)
        if ix.isEmpty { return out }
        let es = dtype.size, src = UnsafeRawPointer(storage.raw), dst = out.storage.raw
        Tensor.forEachPosition(idx.shape) { k, pos in
            (dst + k * es).copyMemory(from: src + storageOffset(pos, replacing: dd, with: ix[k]) * es, byteCount: es)
        }
        return out
    }

    /// Checks an index for gather/scatter along `d`: this tensor's rank (≤ 1 for a 0-d
    /// tensor) and no size larger than this tensor's outside `d`.
    func checkIndexShape(_ idx: Tensor, _ d: Int, _ op: String) throws {
        guard idx.dim == dim || (dim == 0 && idx.dim <= 1) else {
            throw TensorError("\(op): index has \(idx.dim) dimensions, expected \(dim) (shape \(shapeString(idx.shape)) for input \(shapeString(shape)))")
        }
        for k in 0..<idx.dim where k != d && idx.shape[k] > shape[k] {
            throw TensorError("\(op): index shape \(shapeString(idx.shape)) exceeds input shape \(shapeString(shape)) in dimension \(k + 1)")
        }
    }

    /// Calls `body(k, pos)` for every multi-index `pos` of `shape` in row-major order,
    /// `k` counting them from 0.
    static func forEachPosition(_ shape: [Int], _ body: (Int, [Int]) throws -> Void) rethrows {
        let n = shape.reduce(1, *), r = shape.count
        var pos = [Int](repeating: 0, count: r)
        for k in 0..<n {
            try body(k, pos)
            advance(&pos, shape, rank: r)
        }
    }

    /// Steps the multi-index `pos` to the next position of `shape` in row-major order,
    /// over its first `rank` dims (the last of them fastest); all zeros after the last.
    @inline(__always)
    static func advance(_ pos: inout [Int], _ shape: [Int], rank: Int) {
        var a = rank - 1
        while a >= 0 {
            pos[a] += 1
            if pos[a] < shape[a] { return }
            pos[a] = 0
            a -= 1
        }
    }

    /// The storage offset of the element at multi-index `pos` (0-based, at most this
    /// tensor's rank entries), with entry `d` (if any) replaced by `i`.
    func storageOffset(_ pos: [Int], replacing d: Int? = nil, with i: Int = 0) -> Int {
        var o = offset
        for a in 0..<Swift.min(pos.count, dim) { o += (a == d ? i : pos[a]) * strides[a] }
        return o
    }
}
