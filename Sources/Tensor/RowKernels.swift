/// Vectorised kernels over one contiguous row of floats, used by the reductions.

@inlinable @inline(__always)
func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}

/// Σ f(p[i] − shift) over a row: 32 float lanes per block of 1024, Double overall.
@inlinable
public func rowSum<F: UnaryFunction>(_ p: UnsafePointer<Float>, _ m: Int, _ f: F.Type = IdentityF.self,
                                     shift: Float = 0) -> Double {
    var total = 0.0
    var i = 0
    let c = SIMD8<Float>(repeating: shift)
    while i + 1024 <= m {
        var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
        var j = i
        while j < i + 1024 {
            a0 += F.apply(load8(p + j) - c)
            a1 += F.apply(load8(p + j + 8) - c)
            a2 += F.apply(load8(p + j + 16) - c)
            a3 += F.apply(load8(p + j + 24) - c)
            j += 32
        }
        total += Double(((a0 + a1) + (a2 + a3)).sum())
        i += 1024
    }
    var t: Float = 0
    while i < m { t += F.apply(p[i] - shift); i += 1 }
    return total + Double(t)
}

/// `rowSum` of a long row split into fixed chunks summed in parallel, then added in
/// order (the same result for any thread count).
@inlinable
public func rowSumParallel<F: UnaryFunction>(_ p: UnsafePointer<Float>, _ m: Int, _ f: F.Type = IdentityF.self,
                                             shift: Float = 0) -> Double {
    let chunk = 1 << 16
    if m < 2 * chunk { return rowSum(p, m, f, shift: shift) }
    let n = (m + chunk - 1) / chunk
    var parts = [Double](repeating: 0, count: n)
    parts.withUnsafeMutableBufferPointer { out in
        let o = out.baseAddress!
        Parallel.ranges(n) { lo, hi in
            for k in lo..<hi { o[k] = rowSum(p + k * chunk, Swift.min(chunk, m - k * chunk), f, shift: shift) }
        }
    }
    return parts.reduce(0, +)
}

/// Sample variance of a row (two passes: mean, then squared deviations).
@inlinable
public func rowVariance(_ p: UnsafePointer<Float>, _ m: Int, unbiased: Bool, parallel: Bool = false) -> Double {
    let denom = unbiased ? m - 1 : m
    if denom <= 0 { return .nan }
    let mean = (parallel ? rowSumParallel(p, m) : rowSum(p, m)) / Double(m)
    let s = parallel ? rowSumParallel(p, m, SquareF.self, shift: Float(mean))
                     : rowSum(p, m, SquareF.self, shift: Float(mean))
    // Correct for the rounding of the mean to float: Σ(x−c)² − m(μ−c)².
    let d = mean - Double(Float(mean))
    return clampedVariance(s - Double(m) * d * d) / Double(denom)
}

/// A sum of squared deviations clamped at 0 against rounding, keeping NaN (a row with
/// NaN or ±Inf has a NaN variance, as in torch; `Swift.max(0, .nan)` would give 0).
@inlinable @inline(__always)
public func clampedVariance(_ v: Double) -> Double { v.isNaN ? v : Swift.max(0, v) }

/// The maximum (or minimum) of a row and its first position; a NaN wins (first NaN),
/// as in torch. Two vectorised passes: the extreme value, then where it first occurs.
@inlinable
public func rowArgExtreme(_ p: UnsafePointer<Float>, _ m: Int, min: Bool) -> (Float, Int) {
    guard m > 0 else { return (.nan, 0) }
    if m < 8 {                                // short rows: one scalar pass
        var b = p[0], bi = 0
        if b.isNaN { return (b, 0) }
        for i in 1..<m {
            let v = p[i]
            if v.isNaN { return (v, i) }
            if min ? v < b : v > b { b = v; bi = i }
        }
        return (b, bi)
    }
    // Pass 1: the extreme over whole vectors (the last, overlapping, covers the tail).
    var best = load8(p)
    var nan = best .!= best
    var i = 8
    while i < m {
        let v = load8(p + Swift.min(i, m - 8))
        nan .|= v .!= v
        if min { best.replace(with: v, where: v .< best) } else { best.replace(with: v, where: v .> best) }
        i += 8
    }
    if any(nan) {
        for k in 0..<m where p[k].isNaN { return (p[k], k) }
    }
    var b = best[0]
    for k in 1..<8 { b = min ? Swift.min(b, best[k]) : Swift.max(b, best[k]) }
    // Pass 2: the first position holding it.
    let bv = SIMD8<Float>(repeating: b)
    i = 0
    while i < m {
        let at = Swift.min(i, m - 8)
        if any(load8(p + at) .== bv) {
            for k in at..<(at + 8) where p[k] == b { return (b, k) }
        }
        i += 8
    }
    return (b, 0)
}
