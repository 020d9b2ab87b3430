/// Element-wise arithmetic with NumPy broadcasting. Inputs may have any strides and
/// either dtype (int64 inputs are converted to float32); results are new contiguous
/// float32 tensors.
extension Tensor {
    /// `f(a, b)` over the broadcast of both shapes. Inlinable, so every caller gets a
    /// loop specialised (and vectorised) for `F`.
    @inlinable
    public static func binary<F: BinaryFunction>(_ f: F.Type, _ a: Tensor, _ b: Tensor, _ op: String) throws -> Tensor {
        let a = try a.toFloat(), b = try b.toFloat()
        let shape = a.shape == b.shape ? a.shape : try broadcastShapes(a.shape, b.shape, op)
        let ea = a.shape == shape ? a : try a.expand(shape)
        let eb = b.shape == shape ? b : try b.expand(shape)
        let out = try Tensor(uninitialized: shape)
        let loop = StridedLoop(shape: shape, operands: [(ea.strides, 0), (eb.strides, 0), (out.strides, 0)])
        let sa = loop.innerStride(0), sb = loop.innerStride(1)
        let q = out.ptr
        ea.withFloats { pa in eb.withFloats { pb in
            loop.run { oa, ob, oq, n in
                let x = pa + oa, y = pb + ob, z = q + oq
                if sa == 1 && sb == 1 {
                    for i in 0..<n { z[i] = F.apply(x[i], y[i]) }
                } else if sa == 1 && sb == 0 {
                    let c = y[0]
                    for i in 0..<n { z[i] = F.apply(x[i], c) }
                } else if sa == 0 && sb == 1 {
                    let c = x[0]
                    for i in 0..<n { z[i] = F.apply(c, y[i]) }
                } else {
                    for i in 0..<n { z[i] = F.apply(x[i * sa], y[i * sb]) }
                }
            }
        } }
        return out
    }

    /// `f(a)` element by element (specialised per caller, like `binary`).
    @inlinable
    public func unary<F: UnaryFunction>(_ f: F.Type) throws -> Tensor {
        let a = try toFloat()
        let out = try Tensor(uninitialized: shape)
        let loop = StridedLoop(shape: shape, operands: [(a.strides, 0), (out.strides, 0)])
        let sa = loop.innerStride(0)
        let q = out.ptr
        a.withFloats { pa in
            loop.run { oa, oq, _, n in
                let x = pa + oa, z = q + oq
                if sa == 1 && F.vectorized {
                    var i = 0
                    while i + 8 <= n {
                        let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
                        UnsafeMutableRawPointer(z + i).storeBytes(of: F.apply(v), as: SIMD8<Float>.self)
                        i += 8
                    }
                    while i < n { z[i] = F.apply(x[i]); i += 1 }
                } else if sa == 1 { for i in 0..<n { z[i] = F.apply(x[i]) } }
                else { for i in 0..<n { z[i] = F.apply(x[i * sa]) } }
            }
        }
        return out
    }

    /// Applies an arbitrary closure (slower than the typed functions; for rare ops).
    public func map(_ f: (Float) -> Float) throws -> Tensor {
        let out = try Tensor(uninitialized: shape), q = out.ptr, n = numel
        try withContiguousFloats { p in for i in 0..<n { q[i] = f(p[i]) } }
        return out
    }

    public func add(_ b: Tensor) throws -> Tensor { try Tensor.binary(AddF.self, self, b, "add") }
    public func sub(_ b: Tensor) throws -> Tensor { try Tensor.binary(SubF.self, self, b, "sub") }
    public func mul(_ b: Tensor) throws -> Tensor { try Tensor.binary(MulF.self, self, b, "mul") }
    public func div(_ b: Tensor) throws -> Tensor { try Tensor.binary(DivF.self, self, b, "div") }
    public func pow(_ b: Tensor) throws -> Tensor { try Tensor.binary(PowF.self, self, b, "pow") }
    public func maximum(_ b: Tensor) throws -> Tensor { try Tensor.binary(MaxF.self, self, b, "maximum") }
    public func minimum(_ b: Tensor) throws -> Tensor { try Tensor.binary(MinF.self, self, b, "minimum") }

    /// `min(max(x, lo), hi)`; either bound may be nil.
    public func clamp(min lo: Float?, max hi: Float?) throws -> Tensor {
        if let lo, let hi, lo > hi { throw TensorError("clamp: min \(lo) is greater than max \(hi)") }
        var r = try self.toFloat()
        if let lo { r = try r.maximum(try Tensor(scalar: lo)) }
        if let hi { r = try r.minimum(try Tensor(scalar: hi)) }
        return r === self ? try clone() : r
    }

    /// Picks `a` where `cond` is non-zero, else `b` (all three broadcast).
    public static func `where`(_ cond: Tensor, _ a: Tensor, _ b: Tensor) throws -> Tensor {
        let c = try cond.toFloat(), a = try a.toFloat(), b = try b.toFloat()
        let shape = try broadcastShapes(try broadcastShapes(c.shape, a.shape, "where"), b.shape, "where")
        let ec = try c.expand(shape).contiguous(), ea = try a.expand(shape).contiguous(), eb = try b.expand(shape).contiguous()
        let out = try Tensor(uninitialized: shape)
        let q = out.ptr
        ec.withFloats { pc in ea.withFloats { pa in eb.withFloats { pb in
            Parallel.ranges(out.numel, grain: 32768) { lo, hi in
                for i in lo..<hi { q[i] = pc[i] != 0 ? pa[i] : pb[i] }
            }
        } } }
        return out
    }

    /// The elements where `mask` (broadcast to this shape) is non-zero, as a 1-d tensor.
    public func maskedSelect(_ mask: Tensor) throws -> Tensor {
        let shape = try broadcastShapes(self.shape, mask.shape, "masked_select")
        let x = try toFloat().expand(shape).contiguous(), m = try mask.toFloat().expand(shape).contiguous()
        var vals: [Float] = []
        x.withFloats { px in m.withFloats { pm in
            for i in 0..<x.numel where pm[i] != 0 { vals.append(px[i]) }
        } }
        return try Tensor(shape: [vals.count], values: vals)
    }

    /// Sets every element to `v` (in place, through any view).
    public func fill(_ v: Float) {
        let loop = StridedLoop(shape: shape, operands: [(strides, offset)])
        let s = loop.innerStride(0)
        if dtype == .float32 {
            let p = storage.floats
            loop.run { o, _, _, n in for i in 0..<n { p[o + i * s] = v } }
        } else {
            let p = storage.int64s, iv = Int64(exactly: v.rounded(.towardZero)) ?? 0
            loop.run { o, _, _, n in for i in 0..<n { p[o + i * s] = iv } }
        }
    }

    /// Copies `src` (broadcast to this shape) into this tensor, in place.
    public func copy(from src: Tensor) throws {
        let e = try src.expand(shape)
        if e.storage === storage {
            copyStrided(from: try e.clone(), to: self)   // overlapping views: go through a copy
        } else {
            copyStrided(from: e, to: self)
        }
    }
}
