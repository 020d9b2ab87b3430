/// Vectorised exp, log, tanh and sigmoid on eight floats (AVX2 with the release CPU
/// flags): Cephes' single-precision polynomials, about 1–2 ulp from the C library's
/// expf/logf/tanhf, with IEEE special values (NaN, ±inf, 0, denormal inputs) handled.
public enum SIMDMath {
    public typealias V = SIMD8<Float>
    public typealias U = SIMD8<UInt32>

    @inlinable @inline(__always) static func bits(_ x: V) -> U { unsafeBitCast(x, to: U.self) }
    @inlinable @inline(__always) static func float(_ u: U) -> V { unsafeBitCast(u, to: V.self) }

    /// 1.5·2^23: adding it to |v| < 2^22 leaves round(v) in the low mantissa bits.
    @usableFromInline static let magic: Float = 12582912

    /// p·x + c with one rounding (vfmadd).
    @inlinable @inline(__always)
    static func horner(_ p: V, _ x: V, _ c: Float) -> V { V(repeating: c).addingProduct(p, x) }

    /// e^x.
    @inlinable @inline(__always)
    public static func exp(_ x: V) -> V {
        let hi: Float = 88.72283935546875, lo: Float = -103.97207708
        var xc = x.replacing(with: V(repeating: hi), where: x .> hi)
        xc.replace(with: V(repeating: lo), where: xc .< lo)
        xc.replace(with: V(), where: x .!= x)
        // Round to an integer with the 1.5·2^23 trick: its low mantissa bits hold n.
        let t = V(repeating: magic).addingProduct(xc, V(repeating: 1.44269504088896341))
        let n = t - magic
        let ni = SIMD8<Int32>(truncatingIfNeeded: bits(t) &- bits(V(repeating: magic)))
        var r = xc.addingProduct(n, V(repeating: -0.693359375))  // x - n·ln2, in two parts
        r = r.addingProduct(n, V(repeating: 2.12194440e-4))
        var p = V(repeating: 1.9875691500e-4)
        p = horner(p, r, 1.3981999507e-3)
        p = horner(p, r, 8.3334519073e-3)
        p = horner(p, r, 4.1665795894e-2)
        p = horner(p, r, 1.6666665459e-1)
        p = horner(p, r, 5.0000001201e-1)
        p = (r + 1).addingProduct(p, r * r)
        // 2^n split in two factors so denormal results (n down to -150) stay exact.
        let n1 = ni &>> 1, n2 = ni &- n1
        let s1 = float(U(truncatingIfNeeded: (n1 &+ 127) &<< 23))
        let s2 = float(U(truncatingIfNeeded: (n2 &+ 127) &<< 23))
        var y = p * s1 * s2
        y.replace(with: V(repeating: .infinity), where: x .> hi)
        y.replace(with: V(), where: x .< lo)
        y.replace(with: x, where: x .!= x)
        return y
    }

    /// Natural logarithm (NaN below 0, -inf at 0).
    @inlinable @inline(__always)
    public static func log(_ x: V) -> V {
        // Scale denormals into the normal range first.
        let tiny = x .< Float.leastNormalMagnitude
        let xs = x.replacing(with: x * 8388608, where: tiny)   // * 2^23
        let xb = bits(xs)
        // The exponent as a float, through the same 1.5·2^23 trick.
        var e = float(((xb &>> 23) & 0xff) &+ (bits(V(repeating: magic)) &- 126)) - magic
        e.replace(with: e - 23, where: tiny)
        var m = float((xb & 0x807f_ffff) | 0x3f00_0000)   // in [0.5, 1)
        let small = m .< 0.707106781186547524
        e.replace(with: e - 1, where: small)
        m = m.replacing(with: m + m - 1, where: small).replacing(with: m - 1, where: .!small)
        let z = m * m
        var y = V(repeating: 7.0376836292e-2)
        y = horner(y, m, -1.1514610310e-1)
        y = horner(y, m, 1.1676998740e-1)
        y = horner(y, m, -1.2420140846e-1)
        y = horner(y, m, 1.4249322787e-1)
        y = horner(y, m, -1.6668057665e-1)
        y = horner(y, m, 2.0000714765e-1)
        y = horner(y, m, -2.4999993993e-1)
        y = horner(y, m, 3.3333331174e-1)
        y = y * m * z
        y = y + e * -2.12194440e-4
        y = y - z * 0.5
        var r = m + y + e * 0.693359375
        r.replace(with: V(repeating: -.infinity), where: x .== 0)
        r.replace(with: V(repeating: .infinity), where: x .== .infinity)
        r.replace(with: V(repeating: .nan), where: x .< 0)
        r.replace(with: x, where: x .!= x)
        return r
    }

    /// Hyperbolic tangent: Eigen's rational approximation (odd degree-13 over even
    /// degree-6 polynomial) on [-7.99881, 7.99881], ±1 beyond; within 4 ulps of tanhf.
    @inlinable @inline(__always)
    public static func tanh(_ x: V) -> V {
        let c: Float = 7.99881172180175781
        var xc = x.replacing(with: V(repeating: c), where: x .> c)
        xc.replace(with: V(repeating: -c), where: xc .< -c)
        let x2 = xc * xc
        var p = V(repeating: -2.76076847742355e-16)
        p = horner(p, x2, 2.00018790482477e-13)
        p = horner(p, x2, -8.60467152213735e-11)
        p = horner(p, x2, 5.12229709037114e-08)
        p = horner(p, x2, 1.48572235717979e-05)
        p = horner(p, x2, 6.37261928875436e-04)
        p = horner(p, x2, 4.89352455891786e-03)
        var q = V(repeating: 1.19825839466702e-06)
        q = horner(q, x2, 1.18534705686654e-04)
        q = horner(q, x2, 2.26843463243900e-03)
        q = horner(q, x2, 4.89352518554385e-03)
        var r = p * xc / q
        r.replace(with: x, where: x2 .< 1.6e-7)           // |x| < 0.0004: tanh x = x
        r.replace(with: x, where: x .!= x)
        return r
    }

    /// The logistic function 1 / (1 + e^{-x}).
    @inlinable @inline(__always)
    public static func sigmoid(_ x: V) -> V {
        1 / (1 + exp(-x))
    }
}
