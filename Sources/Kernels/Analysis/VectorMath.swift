/// Small vectorised helpers (AVX2 through SIMD8) for the statistics kernels.
enum VectorMath {
    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }

    /// Minimum and maximum of n floats, and whether all were finite.
    static func minMax(_ p: UnsafePointer<Float>, _ n: Int) -> (min: Float, max: Float, finite: Bool) {
        var lo = SIMD8<Float>(repeating: .infinity), hi = SIMD8<Float>(repeating: -.infinity)
        var chk = SIMD8<Float>(repeating: 0)      // v − v is NaN exactly for NaN and ±inf
        var i = 0
        while i + 8 <= n {
            let v = load(p + i)
            lo.replace(with: v, where: v .< lo); hi.replace(with: v, where: v .> hi); chk += v - v
            i += 8
        }
        var mn = lo.min(), mx = hi.max(), bad = chk.sum()
        while i < n { let v = p[i]; mn = Swift.min(mn, v); mx = Swift.max(mx, v); bad += v - v; i += 1 }
        return (mn, mx, !bad.isNaN)
    }

    /// e^x to within about 2 ulp for x ≤ 88 (Cephes' expf polynomial); underflows to 0
    /// below about −87.
    @inline(__always)
    static func exp(_ x0: SIMD8<Float>) -> SIMD8<Float> {
        let x1 = x0.replacing(with: 88.0, where: x0 .> 88.0).replacing(with: -87.33, where: x0 .< -87.33)
        // round to nearest through the 1.5·2^23 trick: the low mantissa bits then hold k
        let magic = SIMD8<Float>(repeating: 12_582_912)
        let t = x1 * 1.442_695_04 + magic
        let k = t - magic
        var x = x1 - k * 0.693_359_375
        x = x - k * -2.121_944_4e-4
        let z = x * x
        var y = SIMD8<Float>(repeating: 1.987_569_15e-4)
        y = y * x + 1.398_199_95e-3
        y = y * x + 8.333_451_9e-3
        y = y * x + 4.166_579_59e-2
        y = y * x + 1.666_666_55e-1
        y = y * x + 5.000_000_12e-1
        y = y * z + x + 1
        let bits = (unsafeBitCast(t, to: SIMD8<Int32>.self) &- 0x4B40_0000 &+ 127) &<< 23
        return y * unsafeBitCast(bits, to: SIMD8<Float>.self)
    }
}
