import Synchronization

/// The element type of a tensor. Values are `float32`; operations that return positions
/// (argmax, topk, sort) return `int64` tensors holding 1-based indices.
public enum DType: String, Sendable {
    case float32, int64
    public var size: Int { self == .float32 ? 4 : 8 }
}

/// A reference-counted, 64-byte aligned native buffer shared by a tensor and its views.
/// Its bytes are counted in `Storage.liveBytes`, which the Lua host uses to run the
/// garbage collector when native memory grows (Torch7's heap tracking).
public final class Storage: @unchecked Sendable {
    public let raw: UnsafeMutableRawPointer
    public let count: Int
    public let dtype: DType

    private static let live = Atomic<Int>(0)
    private static let allocated = Atomic<Int>(0)

    /// Bytes currently held by all storages.
    public static var liveBytes: Int { live.load(ordering: .relaxed) }
    /// Bytes allocated since the process started (monotonic); the host compares it
    /// between calls to decide when to collect.
    public static var allocatedBytes: Int { allocated.load(ordering: .relaxed) }

    /// Allocates `count` zeroed elements.
    public init(count: Int, dtype: DType = .float32, zeroed: Bool = true) {
        self.count = count
        self.dtype = dtype
        let bytes = max(count * dtype.size, 1)
        raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        if zeroed { raw.initializeMemory(as: UInt8.self, repeating: 0, count: bytes) }
        Storage.live.add(bytes, ordering: .relaxed)
        Storage.allocated.add(bytes, ordering: .relaxed)
    }

    deinit {
        raw.deallocate()
        Storage.live.subtract(max(count * dtype.size, 1), ordering: .relaxed)
    }

    @inlinable public var floats: UnsafeMutablePointer<Float> { raw.assumingMemoryBound(to: Float.self) }
    @inlinable public var int64s: UnsafeMutablePointer<Int64> { raw.assumingMemoryBound(to: Int64.self) }
}
