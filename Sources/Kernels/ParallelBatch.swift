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
///
/// `splitsBatch` false (environment `TOPIARY_BATCH_SPLIT=0`) runs the whole batch as one
/// part with OpenBLAS on `Parallel.threads` threads inside each GEMM instead — the other
/// strategy, kept to measure one against the other (never both levels at once).
public enum ParallelBatch {
    nonisolated(unsafe) public static var splitsBatch =
        ProcessInfo.processInfo.environment["TOPIARY_BATCH_SPLIT"] != "0"

    public static func run(_ items: Int, op: String,
                           _ body: (_ part: Int, _ lo: Int, _ hi: Int, _ stop: () -> Bool) -> Void) throws {
        guard items > 0 else { return }
        if !splitsBatch {
            body(0, 0, items, { Interrupt.pending() })
            try Interrupt.check(op)
            return
        }
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
    public static func parts(_ items: Int) -> Int { splitsBatch ? max(1, min(Parallel.threads, items)) : 1 }
}
