import Foundation
import Synchronization
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

    /// Whether `runChunks` deals the chunks out as threads finish (the default) or gives
    /// each thread a fixed run of them (`topiary bench --ab chunk-turns` compares).
    nonisolated(unsafe) public static var dealsChunks = true

    /// Runs `body(next)` on up to `Parallel.threads` threads, each taking the chunks
    /// [k·chunk, min((k + 1)·chunk, items)) in turn from a shared counter as it finishes
    /// the last (`next()` is nil when none are left or an interrupt is pending), with
    /// OpenBLAS single-threaded inside. Only for passes where an item's result does not
    /// depend on the thread or on the other items of its chunk (the images of a forward
    /// convolution): then a thread the system slows down does not keep the other waiting
    /// at the end of every layer, and the results are the same however the chunks fall.
    /// "AMD EPYC" Zen 1, two threads, fixed halves: the first thread to finish waited
    /// 8–25 ms of pruned ResNet-56's ~170 ms inference.
    public static func runChunks(_ items: Int, chunk: Int, op: String,
                                 _ body: (_ next: () -> Range<Int>?) -> Void) throws {
        guard items > 0 else { return }
        let size = max(1, chunk), chunks = (items + size - 1) / size
        let parts = splitsBatch ? min(Parallel.threads, chunks) : 1
        let taken = Atomic<Int>(0)
        func range(_ k: Int) -> Range<Int> { k * size ..< min((k + 1) * size, items) }
        func part(_ p: Int) {
            if dealsChunks {
                body {
                    let k = taken.add(1, ordering: .relaxed).oldValue
                    return k < chunks && !Interrupt.pending() ? range(k) : nil
                }
            } else {   // fixed shares: part p takes its own run of chunks
                var k = chunks * p / parts
                let end = chunks * (p + 1) / parts
                body {
                    defer { k += 1 }
                    return k < end && !Interrupt.pending() ? range(k) : nil
                }
            }
        }
        if splitsBatch {
            BLAS.singleThreaded { Parallel.forEach(parts, part) }
        } else {
            part(0)   // one part, OpenBLAS threads inside the GEMMs (as `run`)
        }
        try Interrupt.check(op)
    }

    /// The number of parts `run` will use for `items`.
    public static func parts(_ items: Int) -> Int { splitsBatch ? max(1, min(Parallel.threads, items)) : 1 }
}
