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

    /// A new contiguous tensor of zeros, for sizes derived from tensors that already
    /// exist. Sizes that come from user input go through `Tensor.allocate`, which throws.
    public convenience init(zeros shape: [Int], dtype: DType = .float32) {
        self.init(storage: Tensor.storageOrTrap(shape, dtype, zeroed: true),
                  shape: shape, strides: Tensor.contiguousStrides(shape))
    }

    /// A new contiguous tensor whose memory is not initialised (callers fill it).
    public convenience init(uninitialized shape: [Int], dtype: DType = .float32) {
        self.init(storage: Tensor.storageOrTrap(shape, dtype, zeroed: false),
                  shape: shape, strides: Tensor.contiguousStrides(shape))
    }

    /// A new contiguous tensor (zeroed unless `zeroed` is false) whose shape is checked
    /// (`checkShape`) and whose allocation may fail: throws `op: …` for a bad shape and
    /// `cannot allocate N bytes` when memory is short, instead of aborting.
    public static func allocate(_ shape: [Int], dtype: DType = .float32, zeroed: Bool = true,
                                _ op: String = "allocate") throws -> Tensor {
        try checkShape(shape, op)
        let storage = try Storage(count: shape.reduce(1, *), dtype: dtype, zeroed: zeroed)
        return Tensor(storage: storage, shape: shape, strides: contiguousStrides(shape))
    }

    private static func storageOrTrap(_ shape: [Int], _ dtype: DType, zeroed: Bool) -> Storage {
        do {
            var n = 1
            for d in shape {
                let (m, o) = n.multipliedReportingOverflow(by: d)
                guard !o, d >= 0 else { throw TensorError("cannot allocate a tensor of shape \(shapeString(shape))") }
                n = m
            }
            return try Storage(count: n, dtype: dtype, zeroed: zeroed)
        } catch {
            fatalError("\(error)")
        }
    }

    /// A contiguous float32 tensor holding `values` (whose count must equal the shape's).
    public convenience init(shape: [Int], values: [Float]) {
        self.init(uninitialized: shape)
        values.withUnsafeBufferPointer { src in
            ptr.update(from: src.baseAddress!, count: min(src.count, numel))
        }
    }

    /// A 0-dimensional tensor.
    public convenience init(scalar: Float) {
        self.init(shape: [], values: [scalar])
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

    /// Pointer to the first element (float32 tensors).
    @inlinable public var ptr: UnsafeMutablePointer<Float> { storage.floats + offset }
    /// Pointer to the first element (int64 tensors).
    @inlinable public var iptr: UnsafeMutablePointer<Int64> { storage.int64s + offset }

    /// This tensor if contiguous, otherwise a contiguous copy.
    public func contiguous() -> Tensor {
        isContiguous ? self : clone()
    }

    /// A contiguous copy with its own storage.
    public func clone() -> Tensor {
        let out = Tensor(uninitialized: shape, dtype: dtype)
        copyStrided(from: self, to: out)
        return out
    }

    /// Converts to float32 (a no-op for float32 tensors).
    public func toFloat() -> Tensor {
        if dtype == .float32 { return self }
        let out = Tensor(uninitialized: shape)
        let q = out.ptr, n = numel
        contiguous().withInt64s { p in for i in 0..<n { q[i] = Float(p[i]) } }
        return out
    }

    /// Converts to int64, truncating toward zero (a no-op for int64 tensors).
    public func toInt64() throws -> Tensor {
        if dtype == .int64 { return self }
        let out = Tensor(uninitialized: shape, dtype: .int64)
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

    /// All elements in row-major order, as Doubles.
    public func toArray() -> [Double] {
        let c = contiguous(), n = numel
        if dtype == .float32 {
            return c.withFloats { p in (0..<n).map { Double(p[$0]) } }
        }
        return c.withInt64s { p in (0..<n).map { Double(p[$0]) } }
    }

    /// All elements in row-major order, as Floats.
    public func toFloats() -> [Float] {
        withContiguousFloats { Array(UnsafeBufferPointer(start: $0, count: numel)) }
    }

    /// The single value of a one-element tensor.
    public func item() throws -> Double {
        guard numel == 1 else {
            throw TensorError("item: tensor has \(numel) elements, expected 1 (shape \(shapeString(shape)))")
        }
        return value(at: [Int](repeating: 0, count: dim))
    }
}
