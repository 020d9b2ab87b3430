import Foundation
import CBLAS
import Tensor

extension BLAS {
    /// The thread count OpenBLAS currently uses.
    public static var threads: Int { Int(openblas_get_num_threads()) }

    /// Runs `body` with OpenBLAS on one thread (for BLAS calls made inside Topiary's own
    /// parallel loops: two levels of threads on two cores only oversubscribe them), then
    /// restores the previous count.
    @inlinable
    public static func singleThreaded<R>(_ body: () throws -> R) rethrows -> R {
        let before = threads
        if before != 1 { setThreads(1) }
        defer { if before != 1 { setThreads(before) } }
        return try body()
    }
}

/// Splits a batch into `Parallel.threads` fixed parts (the same partition every run) and
/// runs `body(part, lo, hi)` on each, with OpenBLAS single-threaded inside. Long loops
/// poll `Interrupt` between items through `stop`; an interrupt is thrown after the
/// parallel region has finished.
public enum ParallelBatch {
    public static func run(_ items: Int, op: String,
                           _ body: (_ part: Int, _ lo: Int, _ hi: Int, _ stop: () -> Bool) -> Void) throws {
        guard items > 0 else { return }
        let parts = min(Parallel.threads, items)
        BLAS.singleThreaded {
            Parallel.forEach(parts) { p in
                let lo = items * p / parts, hi = items * (p + 1) / parts
                body(p, lo, hi, { Interrupt.pending() })
            }
        }
        try Interrupt.check(op)
    }

    /// The number of parts `run` will use for `items`.
    public static func parts(_ items: Int) -> Int { max(1, min(Parallel.threads, items)) }
}

/// A 64-byte aligned scratch buffer of floats (zeroed on request). Buffers come from a
/// small process-wide pool and go back to it on deinit, so kernels called in a loop do
/// not pay for fresh pages (page faults) on every call.
public final class Scratch {
    public let ptr: UnsafeMutablePointer<Float>
    public let count: Int
    private let capacity: Int

    public init(_ count: Int, zeroed: Bool = false) {
        self.count = max(count, 1)
        if let (p, cap) = ScratchPool.take(self.count) {
            ptr = p; capacity = cap
        } else {
            capacity = self.count
            ptr = UnsafeMutableRawPointer.allocate(byteCount: capacity * 4, alignment: 64)
                .bindMemory(to: Float.self, capacity: capacity)
        }
        if zeroed { ptr.update(repeating: 0, count: self.count) }
    }

    deinit { ScratchPool.give(ptr, capacity) }
}

/// Free scratch buffers: at most `limit` of them and `maxBytes` in all (the largest
/// are released first).
enum ScratchPool {
    nonisolated(unsafe) static var free: [(UnsafeMutablePointer<Float>, Int)] = []
    static let lock = NSLock()
    static let limit = 8
    static let maxBytes = 64 << 20

    /// The smallest free buffer holding at least `count` floats.
    static func take(_ count: Int) -> (UnsafeMutablePointer<Float>, Int)? {
        lock.lock(); defer { lock.unlock() }
        guard let i = free.indices.filter({ free[$0].1 >= count }).min(by: { free[$0].1 < free[$1].1 }) else { return nil }
        return free.remove(at: i)
    }

    static func give(_ p: UnsafeMutablePointer<Float>, _ capacity: Int) {
        lock.lock(); defer { lock.unlock() }
        free.append((p, capacity))
        free.sort { $0.1 < $1.1 }
        while free.count > limit || free.reduce(0, { $0 + $1.1 * 4 }) > maxBytes {
            free.removeLast().0.deallocate()
        }
    }
}
