/// How a reduction walks its (contiguous) input without transposing it.
///
/// - rows: the innermost dim is reduced. The trailing reduced dims form contiguous runs
///   of `segLen` floats; any other reduced dims repeat that run (segments), so each
///   output reduces `m / segLen` runs — one run when all reduced dims are trailing
///   (over H, W of NCHW, or everything), several for BN statistics over {N, H, W}.
/// - tiles: the innermost dims are kept (sum over the batch or the channels of NCHW).
///   The input is viewed as [outer, reduced, inner]; each tile of up to `tileSize`
///   outputs accumulates the matching contiguous run of every reduced position.
///
/// Loads are contiguous in both, so loops vectorise. Each output is computed by one work
/// item in a fixed order: results do not depend on the thread count.
@usableFromInline
struct ReductionLayout {
    static let tileSize = 8192

    /// Contiguous float32 input.
    let x: Tensor
    let outShape: [Int]
    /// Elements reduced into each output.
    let m: Int
    /// Number of outputs.
    let count: Int
    /// Tiles: inner block size (0 for the rows layout).
    let inner: Int
    /// Rows: the length of each contiguous run.
    let segLen: Int
    /// Kept dims (size, stride), outermost first: rows: all of them; tiles: those before
    /// the last reduced dim. They give the base offset of an output (block).
    let keptDims: [(Int, Int)]
    /// Reduced dims (size, stride): tiles: all of them; rows: those before the trailing
    /// contiguous run (the segments).
    let reducedDims: [(Int, Int)]

    var isRows: Bool { inner == 0 }
    /// Rows whose reduced elements are one contiguous run each, at r * m.
    var isPlainRows: Bool { inner == 0 && segLen == m && keptDims.count <= 1 }

    /// `dims`: sorted, distinct, 0-based. `forceRows` transposes the input when needed so
    /// that every output's elements are one contiguous run (for row-only kernels).
    init(_ t: Tensor, dims: [Int], keepdim: Bool, forceRows: Bool = false) throws {
        let kept = (0..<t.dim).filter { !dims.contains($0) }
        let last = dims.last ?? -1
        let keptInner = kept.filter { $0 > last }
        m = dims.map { t.shape[$0] }.reduce(1, *)
        count = kept.map { t.shape[$0] }.reduce(1, *)
        outShape = keepdim ? (0..<t.dim).map { dims.contains($0) ? 1 : t.shape[$0] } : kept.map { t.shape[$0] }
        let innerCount = keptInner.map { t.shape[$0] }.reduce(1, *)
        // Reduced dims at the end (size-1 kept dims between them do not count).
        var trailing: [Int] = []
        for d in stride(from: t.dim - 1, through: 0, by: -1) {
            if dims.contains(d) { trailing.append(d) } else if t.shape[d] != 1 { break }
        }
        let segments = dims.filter { !trailing.contains($0) }
        let plain = innerCount <= 1 && segments.allSatisfy { t.shape[$0] == 1 }
        if forceRows && !plain || m <= 1 || count == 0 || m > Int(Int32.max) {
            x = try t.toFloat().permute(kept + dims).contiguous()
            (inner, segLen) = (0, m)
            keptDims = [(count, m)]
            reducedDims = []
            return
        }
        let c = try t.toFloat().contiguous()
        x = c
        let st = Tensor.contiguousStrides(c.shape)
        func pairs(_ ds: [Int]) -> [(Int, Int)] { ReductionLayout.merged(ds.map { (c.shape[$0], st[$0]) }) }
        if innerCount > 1 {
            (inner, segLen) = (innerCount, 0)
            keptDims = pairs(kept.filter { $0 < last })
            reducedDims = pairs(dims)
        } else {
            (inner, segLen) = (0, trailing.map { t.shape[$0] }.reduce(1, *))
            keptDims = pairs(kept)
            reducedDims = pairs(segments)
        }
    }

    /// Merges adjacent (size, stride) pairs that walk memory as one.
    static func merged(_ ds: [(Int, Int)]) -> [(Int, Int)] {
        var out: [(Int, Int)] = []
        for d in ds where d.0 != 1 {
            if let l = out.last, l.1 == d.0 * d.1 { out[out.count - 1] = (l.0 * d.0, d.1) } else { out.append(d) }
        }
        return out
    }

    /// Offset of the `i`-th multi-index (row-major) over `dims`.
    @inline(__always)
    static func offset(_ i: Int, _ dims: [(Int, Int)]) -> Int {
        var o = 0, rem = i
        for d in dims.reversed() {
            o += (rem % d.0) * d.1
            rem /= d.0
        }
        return o
    }

    /// Calls `body(r, offset)` for each reduced position (tiles) or segment (rows) in order.
    @inline(__always)
    func forEachReduced(_ body: (Int, Int) -> Void) {
        let n = reducedDims.reduce(1) { $0 * $1.0 }
        if reducedDims.count == 1 {
            let s = reducedDims[0].1
            for r in 0..<n { body(r, r * s) }
        } else {
            for r in 0..<n { body(r, ReductionLayout.offset(r, reducedDims)) }
        }
    }

    /// Rows layout: `row(r, p)` for every output r; its elements are the `segLen`-runs
    /// at p + offset for each segment offset of `forEachReduced`.
    func forEachRow(_ row: (Int, UnsafePointer<Float>) -> Void) {
        let p = UnsafePointer(x.ptr)
        let plain = isPlainRows, m = m
        Parallel.ranges(count, grain: Swift.max(1, 65536 / Swift.max(m, 1))) { lo, hi in
            if plain {
                for r in lo..<hi { row(r, p + r * m) }
            } else {
                for r in lo..<hi { row(r, p + ReductionLayout.offset(r, keptDims)) }
            }
        }
    }

    /// Tiles layout: `tile(out, src, n)` for every tile; outputs out ..< out + n
    /// correspond to the inner run starting at x.ptr + src (add a reduced offset).
    func forEachTile(_ tile: (Int, Int, Int) -> Void) {
        let ts = ReductionLayout.tileSize, inner = inner
        let perBlock = (inner + ts - 1) / ts
        let blocks = count / inner
        let work = Swift.min(ts, inner) * m
        Parallel.ranges(blocks * perBlock, grain: Swift.max(1, 65536 / Swift.max(work, 1))) { lo, hi in
            for item in lo..<hi {
                let o = item / perBlock, b0 = (item % perBlock) * ts
                tile(o * inner + b0, ReductionLayout.offset(o, keptDims) + b0, Swift.min(ts, inner - b0))
            }
        }
    }
}
