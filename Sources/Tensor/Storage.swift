import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The element type of a tensor. Values are `float32`; operations that return positions
/// (argmax, topk, sort) return `int64` tensors holding 1-based indices.
public enum DType: String, Sendable {
    case float32, int64
    public var size: Int { self == .float32 ? 4 : 8 }
}

/// A reference-counted, 64-byte aligned native buffer shared by a tensor and its views.
/// Its bytes are counted in `Storage.liveBytes`, which the Lua host uses to run the
/// garbage collector when native memory grows (Torch7's heap tracking).
///
/// Buffers of 256 KB and more are mapped directly and pooled (`Storage+Pool.swift`), those
/// of 2 MB and more advised to use transparent huge pages (as NumPy does): a fresh 32 MB
/// result then costs 16 page faults instead of 8192, which is most of the time of a large
/// element-wise op. Mapped memory is zeroed.
public final class Storage: @unchecked Sendable {
    public let raw: UnsafeMutableRawPointer
    public let count: Int
    public let dtype: DType
    /// Mapped length when the buffer came from mmap (0: from the allocator).
    private let mapped: Int

    private static let live = Atomic<Int>(0)
    private static let allocated = Atomic<Int>(0)
    /// Buffers from this size on are mapped and pooled; smaller ones come from malloc. From
    /// the glibc heap, a training step's 0.5–2 MB maps (a pruned ResNet-56's later stages)
    /// fragmented it: it grew by ~25 MB a step for 30 steps, each new page faulted in and
    /// zeroed (a fifth of the first steps' time).
    static let poolThreshold = 256 << 10
    static let hugePage = 2 << 20
    /// False in AddressSanitizer builds (`-DTOPIARY_ASAN`, Scripts/asan): every buffer then
    /// comes from malloc and is freed on deinit, so a use after free is reported instead of
    /// landing in a pooled or mapped buffer the sanitizer cannot see.
    #if TOPIARY_ASAN
    static let pooling = false
    #else
    static let pooling = true
    #endif

    /// Bytes currently held by all storages.
    public static var liveBytes: Int { live.load(ordering: .relaxed) }

    private static let externalLive = Atomic<Int>(0)
    /// Bytes held outside storages by objects Lua holds (a dataset's pixels), counted so the
    /// host's collector sees them too: `noteExternal` when made, `releaseExternal` on deinit.
    public static var externalBytes: Int { externalLive.load(ordering: .relaxed) }
    public static func noteExternal(_ bytes: Int) {
        externalLive.add(bytes, ordering: .relaxed)
        allocated.add(bytes, ordering: .relaxed)
    }
    public static func releaseExternal(_ bytes: Int) { externalLive.subtract(bytes, ordering: .relaxed) }
    /// Bytes allocated since the process started (monotonic); the host compares it
    /// between calls to decide when to collect.
    public static var allocatedBytes: Int { allocated.load(ordering: .relaxed) }

    /// The most bytes one storage may hold: `TOPIARY_MAX_TENSOR_BYTES` when set (a byte
    /// count, or with a K/M/G suffix: `2G`), otherwise half of physical memory. Larger
    /// requests are refused with an error before anything is allocated.
    public static let maxBytes: Int = {
        if let v = ProcessInfo.processInfo.environment["TOPIARY_MAX_TENSOR_BYTES"], let n = parseBytes(v) {
            return n
        }
        let mem = Int(clamping: ProcessInfo.processInfo.physicalMemory) / 2
        return mem > 0 ? mem : 1 << 34
    }()

    /// A byte count as `TOPIARY_MAX_TENSOR_BYTES` spells it: digits with an optional K, M
    /// or G suffix (powers of 1024); nil for anything else.
    public static func parseBytes(_ text: String) -> Int? {
        var digits = Substring(text.trimmingCharacters(in: .whitespaces)), scale = 1
        switch digits.last?.uppercased() {
        case "K": scale = 1 << 10
        case "M": scale = 1 << 20
        case "G": scale = 1 << 30
        default: break
        }
        if scale > 1 { digits = digits.dropLast() }
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), let n = Int(digits), n >= 0 else { return nil }
        let (r, o) = n.multipliedReportingOverflow(by: scale)
        return o ? nil : r
    }

    /// Allocates `count` elements, zeroed unless `zeroed` is false. Throws
    /// `cannot allocate N bytes for WHAT (…)` when the size overflows, exceeds `maxBytes`,
    /// or the system has no memory for it (never aborts). `what` names the request in the
    /// message (`contiguous: float32 tensor of shape [3000000000]`). `capped: false` skips
    /// the `maxBytes` check, for copies of values that already sit in memory.
    public init(count: Int, dtype: DType = .float32, zeroed: Bool = true, for what: String? = nil,
                capped: Bool = true) throws {
        let (product, overflow) = count.multipliedReportingOverflow(by: dtype.size)
        let forWhat = what.map { " for \($0)" } ?? ""
        guard count >= 0, !overflow else {
            throw TensorError("cannot allocate \(count) elements of \(dtype.rawValue)\(forWhat)")
        }
        guard product <= Storage.maxBytes || !capped else {
            throw TensorError("cannot allocate \(product) bytes\(forWhat) (more than the limit of \(Storage.maxBytes) bytes per tensor; TOPIARY_MAX_TENSOR_BYTES sets it)")
        }
        let bytes = max(product, 1)
        _ = Storage.mallocTuned
        self.count = count
        self.dtype = dtype
        if Storage.pooling, bytes >= Storage.poolThreshold, let p = Storage.reuse(bytes) {
            raw = p.0
            mapped = p.1
            if zeroed { Storage.zero(raw, bytes) }
        } else if Storage.pooling, bytes >= Storage.poolThreshold, let p = Storage.map(bytes) {
            raw = p.0
            mapped = p.1
        } else {
            var p: UnsafeMutableRawPointer?
            guard posix_memalign(&p, 64, bytes) == 0, let p else {
                throw TensorError("cannot allocate \(bytes) bytes\(forWhat) (out of memory)")
            }
            raw = p
            mapped = 0
            if zeroed { raw.initializeMemory(as: UInt8.self, repeating: 0, count: bytes) }
        }
        Storage.live.add(bytes, ordering: .relaxed)
        Storage.allocated.add(bytes, ordering: .relaxed)
    }

    deinit {
        #if os(Linux)
        if mapped > 0 { if !Storage.recycle(raw, mapped) { munmap(raw, mapped) } } else { free(raw) }
        #else
        free(raw)
        #endif
        Storage.live.subtract(max(count * dtype.size, 1), ordering: .relaxed)
    }

    @inlinable public var floats: UnsafeMutablePointer<Float> { raw.assumingMemoryBound(to: Float.self) }
    @inlinable public var int64s: UnsafeMutablePointer<Int64> { raw.assumingMemoryBound(to: Int64.self) }
}
