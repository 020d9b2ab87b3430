import Tensor

/// Parallel loops over many independent items (maps, matrices, images) for the analysis
/// kernels: items are processed in blocks, each block split over `Parallel.threads`
/// into the same contiguous ranges every run, and Ctrl-C is polled between blocks.
/// OpenBLAS / LAPACK calls inside run single-threaded (two levels of threads on two
/// cores only fight: CHIP's per-image dsyevd took 3.5× longer with OpenBLAS's threads
/// spinning beside ours).
public enum Chunked {
    /// Runs `body(lo, hi)` over 0..<count. `block` bounds the items between two
    /// interrupt checks; `grain` is the smallest range worth a thread.
    public static func run(_ op: String, count: Int, block: Int, grain: Int = 1,
                           _ body: (Int, Int) -> Void) throws {
        var lo = 0
        let step = max(block, 1)
        try BLAS.singleThreaded {
            while lo < count {
                try Interrupt.check(op)
                let hi = min(count, lo + step)
                Parallel.ranges(hi - lo, grain: grain) { a, b in body(lo + a, lo + b) }
                lo = hi
            }
        }
        try Interrupt.check(op)
    }

    /// Items per block so that a block touches about `budget` elements of `perItem`.
    public static func blockSize(perItem: Int, budget: Int = 1 << 22) -> Int {
        max(Parallel.threads, budget / max(perItem, 1))
    }
}

extension Tensor {
    /// Throws `<op>: input contains NaN or infinity` unless every element is finite.
    public func checkFinite(_ op: String) throws {
        let n = numel
        let bad = try withContiguousFloats { p in
            var bad = false
            var i = 0
            while i < n && !bad {
                let hi = min(n, i + 4096)
                var acc: Float = 0
                for k in i..<hi { acc += p[k] * 0 }   // NaN or ±inf makes the product NaN
                bad = acc.isNaN
                i = hi
            }
            return bad
        }
        if bad { throw TensorError("\(op): input contains NaN or infinity") }
    }
}
