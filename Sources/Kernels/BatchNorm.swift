import Tensor

/// Batch normalisation on a contiguous [N, C, S] buffer (S = H·W for 2-d, 1 or L for
/// 1-d), channels split across threads. Sums run in float lanes within a row and in
/// double across rows.
public enum BatchNormKernel {
    /// Per-channel mean and biased variance (two passes).
    public static func statistics(_ x: UnsafePointer<Float>, n: Int, c: Int, s: Int,
                                  mean: UnsafeMutablePointer<Double>, variance: UnsafeMutablePointer<Double>) {
        Parallel.ranges(c, grain: channelGrain(n: n, s: s)) { lo, hi in
            for ch in lo..<hi { (mean[ch], variance[ch]) = channelStatistics(x, n: n, c: c, s: s, channel: ch) }
        }
    }

    /// Channels a thread takes at least in the per-channel passes (about 32768 values).
    @inline(__always)
    static func channelGrain(n: Int, s: Int) -> Int { max(1, 32768 / max(n * s, 1)) }

    /// One channel's mean and biased variance: its rows summed in float lanes, the rows'
    /// sums in double; then the squared deviations from that mean the same way.
    @inline(__always)
    static func channelStatistics(_ x: UnsafePointer<Float>, n: Int, c: Int, s: Int, channel ch: Int) -> (Double, Double) {
        let count = Double(max(n * s, 1))
        var acc = 0.0
        for i in 0..<n { acc += Double(rowSumFloat(x + (i * c + ch) * s, s)) }
        let m = acc / count
        var sq = 0.0
        for i in 0..<n { sq += Double(rowSquaredDeviation(x + (i * c + ch) * s, s, Float(m))) }
        return (m, sq / count)
    }

    /// y = x·scale[c] + shift[c]; with `relu`, max(x·scale[c] + shift[c], 0) in the same
    /// pass (see `BatchNormGate`). With `residual` (x's layout), y = (x·scale[c] + shift[c]) +
    /// residual, then the ReLU: a residual block's last BatchNorm, its add and its ReLU as
    /// one pass, the same bits as the three.
    public static func affine(_ x: UnsafePointer<Float>, n: Int, c: Int, s: Int, scale: UnsafePointer<Float>,
                              shift: UnsafePointer<Float>, residual: UnsafePointer<Float>? = nil, relu: Bool = false,
                              y: UnsafeMutablePointer<Float>) {
        Parallel.ranges(n * c, grain: max(1, 32768 / max(s, 1))) { lo, hi in
            for r in lo..<hi {
                affineRow(x + r * s, s, scale[r % c], shift[r % c], residual: residual.map { $0 + r * s }, relu: relu, y + r * s)
            }
        }
    }

    /// One row of `affine`.
    @inline(__always)
    static func affineRow(_ src: UnsafePointer<Float>, _ s: Int, _ a: Float, _ b: Float, residual: UnsafePointer<Float>?,
                          relu: Bool, _ dst: UnsafeMutablePointer<Float>) {
        switch (residual, relu) {
        case (nil, true): for q in 0..<s { dst[q] = max(src[q] * a + b, 0) }
        case (nil, false): for q in 0..<s { dst[q] = src[q] * a + b }
        case (let r?, true): for q in 0..<s { dst[q] = max((src[q] * a + b) + r[q], 0) }
        case (let r?, false): for q in 0..<s { dst[q] = (src[q] * a + b) + r[q] }
        }
    }

    /// Per-channel Σ dy and Σ dy·(x − center[c]); with a `gate`, of the gated gradient
    /// dz = (x·scale + shift > 0 ? dy : 0) (see `BatchNormGate`).
    public static func gradientSums(_ x: UnsafePointer<Float>, dy: UnsafePointer<Float>, n: Int, c: Int, s: Int,
                                    center: UnsafePointer<Float>, gate: BatchNormGate? = nil,
                                    sumDy: UnsafeMutablePointer<Double>, sumDyX: UnsafeMutablePointer<Double>) {
        Parallel.ranges(c, grain: channelGrain(n: n, s: s)) { lo, hi in
            for ch in lo..<hi {
                (sumDy[ch], sumDyX[ch]) = channelGradientSums(x, dy: dy, n: n, c: c, s: s, channel: ch, center: center[ch],
                                                              gate: gate)
            }
        }
    }

    /// One channel's (Σ dy, Σ dy·(x − m)) of `gradientSums`: rows in float lanes, their sums
    /// in double.
    @inline(__always)
    static func channelGradientSums(_ x: UnsafePointer<Float>, dy: UnsafePointer<Float>, n: Int, c: Int, s: Int,
                                    channel ch: Int, center m: Float, gate: BatchNormGate?) -> (Double, Double) {
        var a = 0.0, b = 0.0
        for i in 0..<n {
            let o = (i * c + ch) * s
            if let gate {
                let (sd, sdx) = rowGatedSums(dy + o, x + o, s, m, gate.scale[ch], gate.shift[ch])
                a += Double(sd)
                b += Double(sdx)
            } else {
                a += Double(rowSumFloat(dy + o, s))
                b += Double(rowCenteredDot(dy + o, x + o, s, m))
            }
        }
        return (a, b)
    }

    /// dx = k[c]·dy + 0: `combine` with u = v = 0 (running statistics) for finite x,
    /// bit for bit (the added +0 turns a −0 product into +0 there too), without reading x.
    public static func scaled(_ dy: UnsafePointer<Float>, n: Int, c: Int, s: Int, k: UnsafePointer<Float>,
                              dx: UnsafeMutablePointer<Float>) {
        Parallel.ranges(n * c, grain: max(1, 32768 / max(s, 1))) { lo, hi in
            for r in lo..<hi {
                let kk = k[r % c], gy = dy + r * s, out = dx + r * s
                for q in 0..<s { out[q] = kk * gy[q] + 0 }
            }
        }
    }

    /// dx = k[c]·dy + u[c]·x + v[c] (the training-mode input gradient written as an
    /// affine map of dy and x per channel); with a `gate`, of the gated gradient dz.
    public static func combine(_ x: UnsafePointer<Float>, dy: UnsafePointer<Float>, n: Int, c: Int, s: Int,
                               k: UnsafePointer<Float>, u: UnsafePointer<Float>, v: UnsafePointer<Float>,
                               gate: BatchNormGate? = nil, dx: UnsafeMutablePointer<Float>) {
        Parallel.ranges(n * c, grain: max(1, 32768 / max(s, 1))) { lo, hi in
            for r in lo..<hi {
                let ch = r % c
                combineRow(x + r * s, dy + r * s, s, k[ch], u[ch], v[ch], gate: gate.map { ($0.scale[ch], $0.shift[ch]) },
                           dx + r * s)
            }
        }
    }

    /// One row of `combine`; `gate`: the row's channel's scale and shift.
    @inline(__always)
    static func combineRow(_ gx: UnsafePointer<Float>, _ gy: UnsafePointer<Float>, _ s: Int, _ kk: Float, _ uu: Float,
                           _ vv: Float, gate: (Float, Float)?, _ out: UnsafeMutablePointer<Float>) {
        if let (a, b) = gate {
            for q in 0..<s { out[q] = kk * (gx[q] * a + b > 0 ? gy[q] : 0) + uu * gx[q] + vv }
        } else {
            for q in 0..<s { out[q] = kk * gy[q] + uu * gx[q] + vv }
        }
    }
}

/// Σ (p[i] − m)² in float lanes.
@inlinable
public func rowSquaredDeviation(_ p: UnsafePointer<Float>, _ n: Int, _ m: Float) -> Float {
    var acc = SIMD8<Float>(repeating: 0)
    let mv = SIMD8<Float>(repeating: m)
    var i = 0
    while i + 8 <= n {
        let d = UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self) - mv
        acc.addProduct(d, d)
        i += 8
    }
    var s = acc.sum()
    while i < n { let d = p[i] - m; s += d * d; i += 1 }
    return s
}

/// Σ a[i]·(b[i] − m) in float lanes.
@inlinable
public func rowCenteredDot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int, _ m: Float) -> Float {
    var acc = SIMD8<Float>(repeating: 0)
    let mv = SIMD8<Float>(repeating: m)
    var i = 0
    while i + 8 <= n {
        let x = UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Float>.self)
        let y = UnsafeRawPointer(b + i).loadUnaligned(as: SIMD8<Float>.self) - mv
        acc.addProduct(x, y)
        i += 8
    }
    var s = acc.sum()
    while i < n { s += a[i] * (b[i] - m); i += 1 }
    return s
}
