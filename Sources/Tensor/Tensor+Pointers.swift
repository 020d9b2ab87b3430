/// Raw access to a tensor's elements: the one way to hold a pointer into a tensor.
///
/// Under -O Swift may release an object right after its last mention, so a pointer read
/// from a local tensor (a `contiguous()` or `toFloat()` copy, a result being filled) and
/// used afterwards can point into freed (or reused) memory. These methods keep the tensor,
/// and so its storage, alive until `body` returns; the pointer must not escape `body`.
///
/// `ptr` / `iptr` remain for the cases that need no lifetime extension: `self` inside a
/// method, a parameter, or a tensor that is mentioned again after the pointer's last use
/// (a result that is returned). Everything else goes through `withFloats` and friends.
extension Tensor {
    /// Calls `body` with a pointer to the first float32 element (at `offset`).
    @inlinable @inline(__always)
    public func withFloats<R>(_ body: (UnsafeMutablePointer<Float>) throws -> R) rethrows -> R {
        try withExtendedLifetime(self) { try body(storage.floats + offset) }
    }

    /// Calls `body` with a pointer to the first int64 element (at `offset`).
    @inlinable @inline(__always)
    public func withInt64s<R>(_ body: (UnsafeMutablePointer<Int64>) throws -> R) rethrows -> R {
        try withExtendedLifetime(self) { try body(storage.int64s + offset) }
    }

    /// Calls `body` with a pointer to the first element's bytes (either dtype).
    @inlinable @inline(__always)
    public func withBytes<R>(_ body: (UnsafeMutableRawPointer) throws -> R) rethrows -> R {
        try withExtendedLifetime(self) { try body(storage.raw + offset * dtype.size) }
    }

    /// Calls `body` with a pointer to the first float32 element of each tensor (nil for
    /// nil), all kept alive for the call.
    @inlinable
    public static func withFloats<R>(_ tensors: [Tensor?],
                                     _ body: ([UnsafeMutablePointer<Float>?]) throws -> R) rethrows -> R {
        try withExtendedLifetime(tensors) { try body(tensors.map { $0.map { $0.storage.floats + $0.offset } }) }
    }

    /// Calls `body` with the elements as contiguous float32 in row-major order (this
    /// tensor's memory when it is already so, otherwise a converted copy kept alive for
    /// the call).
    @inlinable @inline(__always)
    public func withContiguousFloats<R>(_ body: (UnsafePointer<Float>) throws -> R) throws -> R {
        try toFloat().contiguous().withFloats { try body(UnsafePointer($0)) }
    }
}
