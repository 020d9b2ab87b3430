/// Exact int64 arithmetic, as torch does it: int64 op int64 stays int64 (wrapping on
/// overflow), and sums and running sums of int64 tensors are int64, never rounded
/// through float32 (which holds integers exactly only up to 2^24).
extension Tensor {
    /// The int64 operations that stay int64 (true division and powers give float32).
    public enum Int64Op: Sendable { case add, sub, mul }

    /// `a op b` over the broadcast of both shapes; both must be int64.
    public static func int64Binary(_ f: Int64Op, _ a: Tensor, _ b: Tensor, _ op: String) throws -> Tensor {
        guard a.dtype == .int64, b.dtype == .int64 else {
            throw TensorError("\(op): int64 arithmetic needs two int64 operands")
        }
        let shape = a.shape == b.shape ? a.shape : try broadcastShapes(a.shape, b.shape, op)
        let x = try a.expand(shape).contiguous(), y = try b.expand(shape).contiguous()
        let out = try Tensor.allocate(shape, dtype: .int64, zeroed: false, op)
        withExtendedLifetime((x, y)) {
            let p = x.iptr, q = y.iptr, r = out.iptr
            switch f {
            case .add: for i in 0..<out.numel { r[i] = p[i] &+ q[i] }
            case .sub: for i in 0..<out.numel { r[i] = p[i] &- q[i] }
            case .mul: for i in 0..<out.numel { r[i] = p[i] &* q[i] }
            }
        }
        return out
    }

    /// A 0-d int64 tensor.
    public convenience init(int64 v: Int64) throws {
        try self.init(holding: [], dtype: .int64, count: 1)
        iptr[0] = v
    }

    /// The exact sum of an int64 tensor over `dims` (all when nil), as int64.
    func int64Sum(_ dims: [Int]?, keepdim: Bool) throws -> Tensor {
        let ds = try reductionDims(dims, "sum")
        let kept = (0..<dim).filter { !ds.contains($0) }
        // Kept dims first, reduced ones last: each output element sums one contiguous row.
        let x = try permute(kept + ds).contiguous()
        let m = ds.reduce(1) { $0 * shape[$1] }
        let outShape = keepdim ? shape.enumerated().map { ds.contains($0.offset) ? 1 : $0.element } : kept.map { shape[$0] }
        let out = try Tensor.allocate(outShape, dtype: .int64, zeroed: false, "sum")
        withExtendedLifetime(x) {
            let p = x.iptr, q = out.iptr
            for r in 0..<out.numel {
                var s: Int64 = 0
                for j in 0..<m { s &+= p[r * m + j] }
                q[r] = s
            }
        }
        return out
    }

    /// Running sums of an int64 tensor along `d` (0-based, checked), as int64.
    func int64Cumsum(_ d: Int) throws -> Tensor {
        let x = try contiguous()
        let out = try Tensor.allocate(shape, dtype: .int64, zeroed: false, "cumsum")
        if dim == 0 || numel == 0 { copyStrided(from: x, to: out); return out }
        let m = shape[d], inner = shape[(d + 1)...].reduce(1, *), outer = numel / (m * inner)
        withExtendedLifetime(x) {
            let p = x.iptr, q = out.iptr
            for o in 0..<outer {
                for i in 0..<inner {
                    var s: Int64 = 0
                    for k in 0..<m {
                        let at = (o * m + k) * inner + i
                        s &+= p[at]
                        q[at] = s
                    }
                }
            }
        }
        return out
    }

    /// Sets every element to the integer `v` (in place, through any view): exact for
    /// int64 tensors, rounded to the nearest float for float32 ones.
    public func fill(int64 v: Int64) {
        guard dtype == .int64 else { fill(Float(v)); return }
        let loop = StridedLoop(shape: shape, operands: [(strides, offset)])
        let s = loop.innerStride(0), p = storage.int64s
        loop.run { o, _, _, n in for i in 0..<n { p[o + i * s] = v } }
    }

    /// The element at a full multi-index (0-based) of an int64 tensor, exactly.
    public func int64Value(at index: [Int]) -> Int64 {
        var o = offset
        for (i, s) in zip(index, strides) { o += i * s }
        if dtype == .int64 { return storage.int64s[o] }
        let v = storage.floats[o]
        return v.isFinite && Swift.abs(v) < 9.2e18 ? Int64(v) : 0
    }
}
