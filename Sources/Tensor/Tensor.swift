/// An n-dimensional array: a shape, strides (in elements) and an offset over a shared
/// `Storage`. Views (`narrow`, `permute`, `select`, `expand`, …) share storage; ops
/// accept any strides and return contiguous results.
///
/// Dimensions and indices in this Swift API are 0-based; the Lua bindings translate
/// Lua's 1-based ones.
public final class Tensor: @unchecked Sendable {
    public let storage: Storage
    public let shape: [Int]
    public let strides: [Int]
    public let offset: Int

    public init(storage: Storage, shape: [Int], strides: [Int], offset: Int = 0) {
        self.storage = storage
        self.shape = shape
        self.strides = strides
        self.offset = offset
    }

    /// A new contiguous tensor of zeros. Throws `cannot allocate N bytes …` when the
    /// shape is too large or memory is short (`Tensor.allocate`); never aborts.
    public convenience init(zeros shape: [Int], dtype: DType = .float32) throws {
        self.init(storage: try Tensor.storage(shape, dtype, zeroed: true, nil),
                  shape: shape, strides: Tensor.contiguousStrides(shape))
    }

    /// A new contiguous tensor whose memory is not initialised (callers fill it). Throws
    /// like `init(zeros:)`.
    public convenience init(uninitialized shape: [Int], dtype: DType = .float32) throws {
        self.init(storage: try Tensor.storage(shape, dtype, zeroed: false, nil),
                  shape: shape, strides: Tensor.contiguousStrides(shape))
    }

    /// A new contiguous tensor (zeroed unless `zeroed` is false) whose shape is checked
    /// (`checkShape`) and whose allocation may fail: throws `op: …` for a bad shape and
    /// `op: cannot allocate N bytes for …` past `Storage.maxBytes` or when memory is
    /// short, instead of aborting.
    public static func allocate(_ shape: [Int], dtype: DType = .float32, zeroed: Bool = true,
                                _ op: String = "allocate") throws -> Tensor {
        try checkShape(shape, op)
        return Tensor(storage: try storage(shape, dtype, zeroed: zeroed, op),
                      shape: shape, strides: contiguousStrides(shape))
    }

    /// The storage for a contiguous `shape`, or an error naming the bytes and what asked
    /// (`op`, or the shape and dtype): the one place tensors get memory.
    private static func storage(_ shape: [Int], _ dtype: DType, zeroed: Bool, _ op: String?) throws -> Storage {
        let what = "a \(dtype.rawValue) tensor of shape \(shapeString(shape))"
        var n = 1
        for d in shape {
            let (m, o) = n.multipliedReportingOverflow(by: d)
            guard !o, d >= 0 else {
                throw TensorError((op.map { "\($0): " } ?? "") + "cannot allocate \(what): too many elements")
            }
            n = m
        }
        do {
            return try Storage(count: n, dtype: dtype, zeroed: zeroed, for: what)
        } catch let e as TensorError {
            throw op.map { TensorError("\($0): \(e.message)") } ?? e
        }
    }

    /// A contiguous float32 tensor holding `values`, whose count must equal the shape's.
    /// The values already sit in memory, so their copy is not held to `Storage.maxBytes`;
    /// it throws for a bad shape, a count that does not match, or when the system cannot
    /// give the copy's memory (tensors sized by user input come from `allocate`,
    /// `init(zeros:)` or `init(uninitialized:)`, which also apply the limit).
    public convenience init(shape: [Int], values: [Float]) throws {
        try self.init(holding: shape, dtype: .float32, count: values.count)
        values.withUnsafeBufferPointer { src in
            if let b = src.baseAddress { ptr.update(from: b, count: src.count) }
        }
    }

    /// An uninitialised tensor for a copy of `count` values the caller already holds in
    /// memory (not held to `Storage.maxBytes`). Throws for a bad shape, a `count` other
    /// than the shape's element count, or a failed allocation.
    convenience init(holding shape: [Int], dtype: DType, count: Int) throws {
        try Tensor.checkShape(shape, "tensor")
        let n = shape.reduce(1, *)
        guard n == count else {
            throw TensorError("tensor: \(count) values for shape \(shapeString(shape)), which holds \(n)")
        }
        let what = "a \(dtype.rawValue) tensor of shape \(shapeString(shape))"
        let storage = try Storage(count: n, dtype: dtype, zeroed: false, for: what, capped: false)
        self.init(storage: storage, shape: shape, strides: Tensor.contiguousStrides(shape))
    }

    /// A 0-dimensional tensor.
    public convenience init(scalar: Float) throws {
        try self.init(shape: [], values: [scalar])
    }

    public static func contiguousStrides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var s = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[i] = s
            s *= max(shape[i], 1)
        }
        return strides
    }

    @inlinable public var dtype: DType { storage.dtype }
    @inlinable public var dim: Int { shape.count }
    public var numel: Int { shape.reduce(1, *) }

    /// True when the elements lie in row-major order without gaps (always, for an
    /// empty tensor: there is nothing to lay out).
    public var isContiguous: Bool {
        if shape.contains(0) { return true }
        var expected = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) where shape[i] != 1 {
            if strides[i] != expected { return false }
            expected *= shape[i]
        }
        return true
    }

    /// Whether the tensor is its storage's elements in order, all of them (no view of a part).
    public var spansItsStorage: Bool { offset == 0 && isContiguous && numel == storage.count }

    /// Whether the two may share elements: the same storage and overlapping spans of it
    /// (the span from the first to the last element a view reaches). False if either is empty.
    public func overlaps(_ other: Tensor) -> Bool {
        guard storage === other.storage, numel > 0, other.numel > 0 else { return false }
        func span(_ t: Tensor) -> ClosedRange<Int> {
            var lo = t.offset, hi = t.offset
            for (n, s) in zip(t.shape, t.strides) { if s < 0 { lo += (n - 1) * s } else { hi += (n - 1) * s } }
            return lo...hi
        }
        return span(self).overlaps(span(other))
    }

    /// Pointer to the first element (float32 tensors).
    @inlinable public var ptr: UnsafeMutablePointer<Float> { storage.floats + offset }
    /// Pointer to the first element (int64 tensors).
    @inlinable public var iptr: UnsafeMutablePointer<Int64> { storage.int64s + offset }

    /// This tensor if contiguous, otherwise a contiguous copy (which may fail to
    /// allocate: an expanded view can be far larger than its storage).
    public func contiguous() throws -> Tensor {
        isContiguous ? self : try clone()
    }

    /// A contiguous copy with its own storage.
    public func clone() throws -> Tensor {
        let out = try Tensor(uninitialized: shape, dtype: dtype)
        copyStrided(from: self, to: out)
        return out
    }

    /// Converts to float32 (a no-op for float32 tensors).
    public func toFloat() throws -> Tensor {
        if dtype == .float32 { return self }
        let out = try Tensor(uninitialized: shape)
        copyStrided(from: self, to: out)
        return out
    }

    /// Converts to int64, truncating toward zero (a no-op for int64 tensors).
    public func toInt64() throws -> Tensor {
        if dtype == .int64 { return self }
        let out = try Tensor(uninitialized: shape, dtype: .int64)
        let q = out.iptr, n = numel
        try contiguous().withFloats { p in
            for i in 0..<n {
                let v = p[i]
                guard v.isFinite, abs(v) < 9.2e18 else { throw TensorError("cannot convert \(v) to int64") }
                q[i] = Int64(v)
            }
        }
        return out
    }

    /// The element at a full multi-index (0-based), as a Double.
    public func value(at index: [Int]) -> Double {
        var o = offset
        for (i, s) in zip(index, strides) { o += i * s }
        return dtype == .float32 ? Double(storage.floats[o]) : Double(storage.int64s[o])
    }

    /// All elements in row-major order, as Doubles (read in place through any strides).
    public func toArray() -> [Double] {
        var out = [Double](repeating: 0, count: numel)
        out.withUnsafeMutableBufferPointer { q in
            let base = q.baseAddress!
            forEachRow { o, s, n, at in
                if dtype == .float32 { let p = storage.floats; for i in 0..<n { base[at + i] = Double(p[o + i * s]) } }
                else { let p = storage.int64s; for i in 0..<n { base[at + i] = Double(p[o + i * s]) } }
            }
        }
        return out
    }

    /// All elements in row-major order, as Floats (read in place through any strides).
    public func toFloats() -> [Float] {
        var out = [Float](repeating: 0, count: numel)
        out.withUnsafeMutableBufferPointer { q in
            let base = q.baseAddress!
            forEachRow { o, s, n, at in
                if dtype == .float32 { let p = storage.floats; for i in 0..<n { base[at + i] = p[o + i * s] } }
                else { let p = storage.int64s; for i in 0..<n { base[at + i] = Float(p[o + i * s]) } }
            }
        }
        return out
    }

    /// Calls `body(offset, stride, count, position)` for each innermost row in row-major
    /// order: the row's first element offset in storage, its stride, its length, and the
    /// row-major index of its first element.
    private func forEachRow(_ body: (Int, Int, Int, Int) -> Void) {
        let total = numel
        if total == 0 { return }
        guard let last = shape.indices.last else { body(offset, 1, 1, 0); return }
        let n = shape[last], s = strides[last]
        var index = [Int](repeating: 0, count: shape.count)
        var at = 0
        while at < total {
            var o = offset
            for d in 0..<last { o += index[d] * strides[d] }
            body(o, s, n, at)
            at += n
            Tensor.advance(&index, shape, rank: last)
        }
    }

    /// The single value of a one-element tensor.
    public func item() throws -> Double {
        guard numel == 1 else {
            throw TensorError("item: tensor has \(numel) elements, expected 1 (shape \(shapeString(shape)))")
        }
        return value(at: [Int](repeating: 0, count: dim))
    }
}
