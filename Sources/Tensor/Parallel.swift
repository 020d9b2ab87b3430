import Dispatch
import Foundation
import Synchronization

/// The thread count native kernels use (both cores by default). Work is split into the
/// same partitions on every run, so threaded reductions are deterministic.
public enum Parallel {
    private static let count = Atomic<Int>(defaultThreads())

    private static func defaultThreads() -> Int {
        if let s = ProcessInfo.processInfo.environment["TOPIARY_THREADS"], let n = Int(s), n > 0 {
            return n
        }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }

    /// Threads used by native kernels (and by OpenBLAS; see `BLAS.setThreads`).
    public static var threads: Int {
        get { count.load(ordering: .relaxed) }
        set { count.store(max(1, newValue), ordering: .relaxed) }
    }

    /// Whether `forEach` runs on `WorkerPool`'s threads (the default) or on
    /// `DispatchQueue.concurrentPerform` (`TOPIARY_WORKERS=gcd`; `topiary bench --ab workers`).
    nonisolated(unsafe) public static var usesWorkerPool = ProcessInfo.processInfo.environment["TOPIARY_WORKERS"] != "gcd"

    /// Runs `body(i)` for i in 0..<n, on up to `threads` threads. `n` is usually the
    /// thread count itself: callers split their work into `n` fixed chunks.
    @inlinable
    public static func forEach(_ n: Int, _ body: (Int) -> Void) {
        if n <= 1 { if n == 1 { body(0) }; return }
        run(n, body)
    }

    @usableFromInline
    static func run(_ n: Int, _ body: (Int) -> Void) {
        if usesWorkerPool {
            WorkerPool.shared.run(n, helpers: min(n, threads) - 1, body)
        } else {
            DispatchQueue.concurrentPerform(iterations: n, execute: body)
        }
    }

    /// Splits 0..<total into at most `threads` contiguous ranges of at least `grain` items
    /// and runs them in parallel: `body(lo, hi)`.
    @inlinable
    public static func ranges(_ total: Int, grain: Int = 1, _ body: (Int, Int) -> Void) {
        guard total > 0 else { return }
        let parts = min(threads, max(1, total / max(grain, 1)))
        if parts == 1 { body(0, total); return }
        forEach(parts) { p in
            let lo = total * p / parts, hi = total * (p + 1) / parts
            if hi > lo { body(lo, hi) }
        }
    }
}
