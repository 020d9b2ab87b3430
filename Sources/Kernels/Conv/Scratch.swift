import Foundation
import Tensor

/// Scratch buffers of floats for the kernels, 64-byte aligned, taken from a small
/// process-wide pool so kernels called in a loop do not pay for fresh pages on every call.
///
/// A buffer lives exactly as long as the closure it is lent to and goes back to the pool
/// when the closure returns, never earlier (a buffer held by an object could be released
/// after its last mention under -O, and another thread would take it while the kernel
/// still writes to it). Pointers must not escape the closure.
public enum Scratch {
    /// Whether `skewed` pads (off: `topiary bench --ab skew` times the unpadded strides).
    nonisolated(unsafe) public static var skews = true

    /// A row stride of at least `floats` floats that is an odd number of 64-byte cache
    /// lines, for matrices whose rows a kernel reads or writes together: rows a multiple
    /// of 4 KB apart (128 Winograd tiles × 8 channels) all map to one set of an 8-way L1,
    /// and a kernel touching 36 of them at once misses on every access. An odd number of
    /// lines spreads 64 consecutive rows over 64 different sets. (Tried on im2col's
    /// columns and GEMM outputs, whose rows OpenBLAS packs: no change, 0.96–1.04×.)
    @inlinable
    public static func skewed(_ floats: Int) -> Int {
        guard skews else { return floats }
        return (((floats + 15) / 16) | 1) * 16
    }

    /// The free-buffer pool's old limits (8 buffers, 64 MB) or today's (`ScratchPool`),
    /// for `topiary bench --ab scratch-pool`.
    public static func useOldPoolLimits(_ old: Bool) { ScratchPool.useOldLimits(old) }

    /// Runs `body` with a buffer of at least `count` floats (zeroed on request).
    @inlinable
    public static func with<R>(_ count: Int, zeroed: Bool = false,
                               _ body: (UnsafeMutablePointer<Float>) throws -> R) rethrows -> R {
        let (p, capacity) = take(max(count, 1), zeroed: zeroed)
        defer { ScratchPool.give(p, capacity) }
        return try body(p)
    }

    /// Runs `body` with two buffers of `a` and `b` floats (one allocation).
    @inlinable
    public static func with<R>(_ a: Int, _ b: Int, zeroed: Bool = false,
                               _ body: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) throws -> R) rethrows -> R {
        let sa = aligned(a)
        return try with(sa + max(b, 1), zeroed: zeroed) { p in try body(p, p + sa) }
    }

    /// Runs `body` with three buffers (one allocation).
    @inlinable
    public static func with<R>(_ a: Int, _ b: Int, _ c: Int, zeroed: Bool = false,
                               _ body: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>,
                                        UnsafeMutablePointer<Float>) throws -> R) rethrows -> R {
        try with(a, b, c, 1, zeroed: zeroed) { p, q, r, _ in try body(p, q, r) }
    }

    /// Runs `body` with four buffers (one allocation).
    @inlinable
    public static func with<R>(_ a: Int, _ b: Int, _ c: Int, _ d: Int, zeroed: Bool = false,
                               _ body: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>,
                                        UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) throws -> R) rethrows -> R {
        let sa = aligned(a), sb = aligned(b), sc = aligned(c)
        return try with(sa + sb + sc + max(d, 1), zeroed: zeroed) { p in
            try body(p, p + sa, p + sa + sb, p + sa + sb + sc)
        }
    }

    /// Runs `body` with a buffer of at least `count` elements of a plain value type `T`
    /// (Double, Int32, SIMD lanes, …) from the same pool, 64-byte aligned, zeroed on
    /// request. For a size the input drives, call `check` first (or the throwing overload
    /// that takes `op`), outside any parallel region.
    @inlinable
    public static func with<T: BitwiseCopyable, R>(_ count: Int, of type: T.Type, zeroed: Bool = false,
                                                   _ body: (UnsafeMutablePointer<T>) throws -> R) rethrows -> R {
        let n = max(count, 1)
        return try with((n * MemoryLayout<T>.stride + 3) / 4, zeroed: zeroed) { p in
            try p.withMemoryRebound(to: T.self, capacity: n) { try body($0) }
        }
    }

    /// `with(count, of:)` after `check(count, of:, op)`: throws instead of allocating a
    /// buffer past the limit of one tensor.
    @inlinable
    public static func with<T: BitwiseCopyable, R>(_ count: Int, of type: T.Type, zeroed: Bool = false, _ op: String,
                                                   _ body: (UnsafeMutablePointer<T>) throws -> R) throws -> R {
        try check(count, of: type, op)
        return try with(count, of: type, zeroed: zeroed, body)
    }

    /// Throws `op: cannot allocate N bytes of scratch …` when `count` elements of `T`
    /// are negative, overflow, or exceed `Storage.maxBytes` (the limit of one tensor), so
    /// a scratch buffer sized by the input fails as an error before anything is allocated.
    public static func check<T>(_ count: Int, of type: T.Type, _ op: String) throws {
        let (bytes, o) = count.multipliedReportingOverflow(by: MemoryLayout<T>.stride)
        guard count >= 0, !o else {
            throw TensorError("\(op): cannot allocate \(count) elements of \(T.self) of scratch")
        }
        guard bytes <= Storage.maxBytes else {
            throw TensorError("\(op): cannot allocate \(bytes) bytes of scratch (more than the limit of \(Storage.maxBytes) bytes per tensor; TOPIARY_MAX_TENSOR_BYTES sets it)")
        }
    }

    /// `n` rounded up to whole 64-byte lines (16 floats), at least one line.
    @usableFromInline
    static func aligned(_ n: Int) -> Int { (max(n, 1) + 15) & ~15 }

    @usableFromInline
    static func take(_ count: Int, zeroed: Bool) -> (UnsafeMutablePointer<Float>, Int) {
        let (p, cap): (UnsafeMutablePointer<Float>, Int)
        if let got = ScratchPool.take(count) {
            (p, cap) = got
        } else {
            cap = count
            p = UnsafeMutableRawPointer.allocate(byteCount: cap * 4, alignment: 64).bindMemory(to: Float.self, capacity: cap)
        }
        if zeroed {
            // the batch parts' private weight gradients of a VGG 512-channel layer are 19 MB
            if count >= 1 << 20 { Storage.zero(p, count * 4) } else { p.update(repeating: 0, count: count) }
        }
        return (p, cap)
    }
}

/// Free scratch buffers: at most `limit` of them (past it the smallest are released,
/// cheap to make again) and `maxBytes` in all (past it the largest). Empty in
/// AddressSanitizer builds (`-DTOPIARY_ASAN`), so a use after the closure returned is
/// reported.
///
/// It once kept 8 buffers and 64 MB, releasing the largest first: after a two-thread
/// call had left its per-thread buffers, a VGG 512c4 ∂L/∂x at one thread got its 9 MB
/// Winograd buffers fresh from the kernel at every call (page faults, munmap) and took
/// 40 ms instead of 22, and a two-thread call after one-thread calls 27 ms instead of 13 —
/// benchmark rows depended on which thread count ran first (Zen 5, 2026-12-03).
@usableFromInline
enum ScratchPool {
    nonisolated(unsafe) static var free: [(UnsafeMutablePointer<Float>, Int)] = []
    static let lock = NSLock()
    #if TOPIARY_ASAN
    nonisolated(unsafe) static var limit = 0
    #else
    nonisolated(unsafe) static var limit = 32
    #endif
    nonisolated(unsafe) static var maxBytes = 256 << 20

    /// The old limits (8 buffers, 64 MB, largest released first) or the current ones
    /// (`topiary bench --ab scratch-pool`).
    static func useOldLimits(_ old: Bool) {
        lock.lock(); defer { lock.unlock() }
        #if !TOPIARY_ASAN
        (limit, maxBytes, releasesLargestForCount) = old ? (8, 64 << 20, true) : (32, 256 << 20, false)
        #endif
    }
    nonisolated(unsafe) static var releasesLargestForCount = false

    /// The smallest free buffer holding at least `count` floats.
    static func take(_ count: Int) -> (UnsafeMutablePointer<Float>, Int)? {
        lock.lock(); defer { lock.unlock() }
        guard let i = free.indices.filter({ free[$0].1 >= count }).min(by: { free[$0].1 < free[$1].1 }) else { return nil }
        return free.remove(at: i)
    }

    @usableFromInline
    static func give(_ p: UnsafeMutablePointer<Float>, _ capacity: Int) {
        lock.lock(); defer { lock.unlock() }
        free.append((p, capacity))
        free.sort { $0.1 < $1.1 }
        while free.count > limit {
            (releasesLargestForCount ? free.removeLast() : free.removeFirst()).0.deallocate()
        }
        while free.reduce(0, { $0 + $1.1 * 4 }) > maxBytes {
            free.removeLast().0.deallocate()
        }
    }
}
