/// How a reduction walks its input without transposing it.
///
/// - `rows`: the reduced elements of each output are a contiguous run of `m` floats
///   (reducing trailing dims such as H, W of NCHW, or everything). No copy is made when
///   the input is contiguous.
/// - `tiles`: the innermost dims are kept (sum over the batch or the channels of NCHW).
///   The input is viewed as [outer, reduced, inner]; each output tile of up to
///   `tileSize` inner elements accumulates the matching contiguous run of every reduced
///   position, so loads stay contiguous and vectorise.
///
/// Each output element is computed by one work item in a fixed order, so results do
/// not depend on the thread count.
@usableFromInline
struct ReductionLayout {
    static let tileSize = 512

    /// Contiguous float32 input.
    let x: Tensor
    let outShape: [Int]
    /// Elements reduced into each output.
    let m: Int
    /// Number of outputs.
    let count: Int
    /// Inner block size (0 for the rows layout).
    let inner: Int
    /// Kept dims before the last reduced dim (size, stride), outermost first.
    let outerDims: [(Int, Int)]
    /// Reduced dims (size, stride), outermost first.
    let reducedDims: [(Int, Int)]

    var isRows: Bool { inner == 0 }

    /// `dims`: sorted, distinct, 0-based.
    /// `forceRows` transposes the input when needed so that every output's elements are
    /// a contiguous run (for kernels that only exist in row form).
    init(_ t: Tensor, dims: [Int], keepdim: Bool, forceRows: Bool = false) throws {
        let kept = (0..<t.dim).filter { !dims.contains($0) }
        let last = dims.last ?? -1
        let keptInner = kept.filter { $0 > last }
        m = dims.map { t.shape[$0] }.reduce(1, *)
        count = kept.map { t.shape[$0] }.reduce(1, *)
        outShape = keepdim ? (0..<t.dim).map { dims.contains($0) ? 1 : t.shape[$0] } : kept.map { t.shape[$0] }
        let innerCount = keptInner.map { t.shape[$0] }.reduce(1, *)
        if innerCount <= 1 || m <= 1 || count == 0 || forceRows || m > Int(Int32.max) {
            x = try t.toFloat().permute(kept + dims).contiguous()
            inner = 0
            outerDims = []
            reducedDims = []
        } else {
            let c = t.toFloat().contiguous()
            x = c
            inner = innerCount
            let st = Tensor.contiguousStrides(c.shape)
            outerDims = ReductionLayout.merged(kept.filter { $0 < last }.map { (c.shape[$0], st[$0]) })
            reducedDims = ReductionLayout.merged(dims.map { (c.shape[$0], st[$0]) })
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

    /// Calls `body(r, offset)` for every reduced position r in order.
    @inline(__always)
    func forEachReduced(_ body: (Int, Int) -> Void) {
        if reducedDims.count == 1 {
            let s = reducedDims[0].1
            for r in 0..<m { body(r, r * s) }
        } else {
            for r in 0..<m { body(r, ReductionLayout.offset(r, reducedDims)) }
        }
    }

    /// Runs `row(out, src)` for every output (rows layout): `src` points at its m
    /// contiguous elements.
    func forEachRow(_ row: (Int, UnsafePointer<Float>) -> Void) {
        let p = UnsafePointer(x.ptr), m = m
        Parallel.ranges(count, grain: Swift.max(1, 65536 / Swift.max(m, 1))) { lo, hi in
            for r in lo..<hi { row(r, p + r * m) }
        }
    }

    /// Runs `tile(out, src, n)` for every tile (tiles layout): outputs out ..< out + n
    /// correspond to the inner run starting at x.ptr + src (add a reduced offset).
    func forEachTile(_ tile: (Int, Int, Int) -> Void) {
        let ts = ReductionLayout.tileSize, inner = inner
        let perBlock = (inner + ts - 1) / ts
        let blocks = count / inner
        let work = Swift.min(ts, inner) * m
        Parallel.ranges(blocks * perBlock, grain: Swift.max(1, 65536 / Swift.max(work, 1))) { lo, hi in
            for item in lo..<hi {
                let o = item / perBlock, b0 = (item % perBlock) * ts
                tile(o * inner + b0, ReductionLayout.offset(o, outerDims) + b0, Swift.min(ts, inner - b0))
            }
        }
    }
}
