import Foundation

extension SIMDMath {
    /// The error function erf(x) = 2/√π ∫₀ˣ e^{−t²} dt, eight lanes at a time: its Maclaurin
    /// series to x¹³ for |x| < 0.5 (relative error < 2·10⁻⁸ before rounding), elsewhere
    /// Abramowitz & Stegun 7.1.26, 1 − (a₁t + … + a₅t⁵)·e^{−x²} with t = 1 / (1 + p|x|)
    /// (absolute error < 1.5·10⁻⁷); ±1 from |x| = 4, NaN kept. GELU's Φ(x) is built on it.
    @inlinable @inline(__always)
    public static func erf(_ x: V) -> V {
        let ax = x.replacing(with: -x, where: x .< 0)
        // 2/√π (x − x³/3 + x⁵/10 − x⁷/42 + x⁹/216 − x¹¹/1320 + x¹³/9360)
        let x2 = x * x
        var s = V(repeating: 1.0 / 9360)
        s = horner(s, x2, -1.0 / 1320)
        s = horner(s, x2, 1.0 / 216)
        s = horner(s, x2, -1.0 / 42)
        s = horner(s, x2, 1.0 / 10)
        s = horner(s, x2, -1.0 / 3)
        s = horner(s, x2, 1)
        let series = s * x * 1.1283791670955126
        let t = 1 / horner(V(repeating: 0.3275911), ax, 1)
        var p = V(repeating: 1.061405429)
        p = horner(p, t, -1.453152027)
        p = horner(p, t, 1.421413741)
        p = horner(p, t, -0.284496739)
        p = horner(p, t, 0.254829592)
        var tail = 1 - p * t * exp(-x2)
        tail.replace(with: V(repeating: 1), where: ax .>= 4)
        tail.replace(with: -tail, where: x .< 0)
        var r = series.replacing(with: tail, where: ax .>= 0.5)
        r.replace(with: x, where: x .!= x)
        return r
    }
}
