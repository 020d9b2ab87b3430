/// The tile forms of the reductions (see `ReductionLayout`): `n` outputs at once, each
/// accumulating its inner element of every reduced position; contiguous loads of `n`
/// floats per position, so the loops vectorise.

/// Σ g(x − shift[i]) over the reduced positions for the `n` outputs of a tile whose
/// reduced position 0 starts at `base`. Float accumulators are flushed into Double
/// every 64 positions; `done(i, sum)` receives each result.
@inline(__always)
func tileSum<G: UnaryFunction>(_ lay: ReductionLayout, _ base: UnsafePointer<Float>, _ n: Int, _ g: G.Type,
                               shift: UnsafePointer<Float>? = nil, _ done: (Int, Double) -> Void) {
    withUnsafeTemporaryAllocation(of: Double.self, capacity: n) { dacc in
        withUnsafeTemporaryAllocation(of: Float.self, capacity: n) { facc in
            let d = dacc.baseAddress!, f = facc.baseAddress!
            for i in 0..<n { d[i] = 0; f[i] = 0 }
            lay.forEachReduced { r, off in
                let s = base + off
                if let c = shift { for i in 0..<n { f[i] += G.apply(s[i] - c[i]) } }
                else { for i in 0..<n { f[i] += G.apply(s[i]) } }
                if r & 63 == 63 { for i in 0..<n { d[i] += Double(f[i]); f[i] = 0 } }
            }
            for i in 0..<n { done(i, d[i] + Double(f[i])) }
        }
    }
}

/// Fills `vals` and `idx` (0-based positions among the reduced elements) with the max
/// (or min) of each output; the first occurrence wins, and a NaN beats any number.
func extremeFill(_ lay: ReductionLayout, _ vals: Tensor, _ idx: Tensor, min: Bool) {
    let p = UnsafePointer(lay.x.ptr), vq = vals.ptr, iq = idx.iptr, m = lay.m
    if lay.isRows {
        if lay.count == 1 && lay.isPlainRows {
            let (v, i) = lay.x.withFloats { rowArgExtremeParallel($0, m, min: min) }
            vq[0] = v; iq[0] = Int64(i)
            return
        }
        let len = lay.segLen
        if lay.isPlainRows {
            lay.forEachRow { r, row in
                let (v, i) = rowArgExtreme(row, m, min: min)
                vq[r] = v; iq[r] = Int64(i)
            }
            return
        }
        lay.forEachRow { r, row in
            var best: (Float, Int)? = nil
            lay.forEachReduced { k, off in
                let (v, i) = rowArgExtreme(row + off, len, min: min)
                best = betterExtreme(best, (v, k * len + i), min: min)
            }
            vq[r] = best?.0 ?? .nan; iq[r] = Int64(best?.1 ?? 0)
        }
        return
    }
    // Positions are kept as Int32 in the tile (vectorises with the float compares);
    // the layout uses rows when m does not fit.
    lay.forEachTile { o, src, n in
        withUnsafeTemporaryAllocation(of: Float.self, capacity: n) { bb in
            withUnsafeTemporaryAllocation(of: Int32.self, capacity: n) { ib in
                let b = bb.baseAddress!, ix = ib.baseAddress!
                for i in 0..<n { b[i] = p[src + i]; ix[i] = 0 }
                lay.forEachReduced { r, off in
                    let s = p + src + off, r32 = Int32(truncatingIfNeeded: r)
                    if min {
                        for i in 0..<n {
                            let v = s[i], c = b[i]
                            let take = v < c || (v != v && c == c)
                            b[i] = take ? v : c
                            ix[i] = take ? r32 : ix[i]
                        }
                    } else {
                        for i in 0..<n {
                            let v = s[i], c = b[i]
                            let take = v > c || (v != v && c == c)
                            b[i] = take ? v : c
                            ix[i] = take ? r32 : ix[i]
                        }
                    }
                }
                for i in 0..<n { vq[o + i] = b[i]; iq[o + i] = Int64(ix[i]) }
            }
        }
    }
}

/// `rowArgExtreme` of a long row in fixed chunks (in parallel), combined in order.
func rowArgExtremeParallel(_ p: UnsafePointer<Float>, _ m: Int, min: Bool) -> (Float, Int) {
    let chunk = 1 << 16
    if m < 2 * chunk { return rowArgExtreme(p, m, min: min) }
    let n = (m + chunk - 1) / chunk
    var parts = [(Float, Int)](repeating: (0, 0), count: n)
    parts.withUnsafeMutableBufferPointer { out in
        let o = out.baseAddress!
        Parallel.ranges(n) { lo, hi in
            for k in lo..<hi {
                let (v, i) = rowArgExtreme(p + k * chunk, Swift.min(chunk, m - k * chunk), min: min)
                o[k] = (v, i + k * chunk)
            }
        }
    }
    var best: (Float, Int)? = nil
    for part in parts { best = betterExtreme(best, part, min: min) }
    return best ?? (.nan, 0)
}

/// Combines the extremes of consecutive pieces: the earlier wins ties, a NaN wins.
@inline(__always)
func betterExtreme(_ best: (Float, Int)?, _ next: (Float, Int), min: Bool) -> (Float, Int) {
    guard let b = best else { return next }
    if b.0.isNaN { return b }
    return next.0.isNaN || (min ? next.0 < b.0 : next.0 > b.0) ? next : b
}

extension Tensor {
    /// Max (or min) over one dimension: values and 0-based int64 indices (first
    /// occurrence; NaN propagates as the maximum, as torch).
    public func maxAlong(_ d: Int, keepdim: Bool = false, min: Bool = false) throws -> (Tensor, Tensor) {
        let op = min ? "min" : "max"
        guard numel > 0 else { throw TensorError("\(op): cannot reduce an empty tensor") }
        let dd = try checkDim(d, op)
        let lay = try ReductionLayout(self, dims: dim == 0 ? [] : [dd], keepdim: keepdim)
        let vals = try Tensor(uninitialized: lay.outShape), idx = try Tensor(uninitialized: lay.outShape, dtype: .int64)
        extremeFill(lay, vals, idx, min: min)
        return (vals, idx)
    }

    /// Max or min over all elements (NaN if any is NaN).
    public func extreme(min: Bool) throws -> Float {
        guard numel > 0 else { throw TensorError("\(min ? "min" : "max"): cannot reduce an empty tensor") }
        let n = numel
        return try withContiguousFloats { rowArgExtremeParallel($0, n, min: min).0 }
    }

    /// Running sum along a dimension (accumulated in Double).
    public func cumsum(_ d: Int) throws -> Tensor {
        let dd = try checkDim(d, "cumsum")
        if dtype == .int64 { return try int64Cumsum(dd) }   // exact, as torch
        let x = try toFloat().contiguous()
        let out = try Tensor(uninitialized: shape)
        if dim == 0 || numel == 0 { copyStrided(from: x, to: out); return out }
        let m = shape[dd], inner = shape[(dd + 1)...].reduce(1, *), outer = numel / (m * inner)
        let ts = ReductionLayout.tileSize, perBlock = (inner + ts - 1) / ts
        let q = out.ptr
        x.withFloats { p in Parallel.ranges(outer * perBlock, grain: Swift.max(1, 65536 / Swift.max(m * Swift.min(inner, ts), 1))) { lo, hi in
            withUnsafeTemporaryAllocation(of: Double.self, capacity: Swift.min(inner, ts)) { acc in
                let a = acc.baseAddress!
                for item in lo..<hi {
                    let o = item / perBlock, b0 = (item % perBlock) * ts, n = Swift.min(ts, inner - b0)
                    for i in 0..<n { a[i] = 0 }
                    for r in 0..<m {
                        let k = (o * m + r) * inner + b0
                        for i in 0..<n { a[i] += Double(p[k + i]); q[k + i] = Float(a[i]) }
                    }
                }
            }
        } }
        return out
    }
}
