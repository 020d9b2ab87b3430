import Foundation

/// "Nice" axis ticks: steps of 1, 2 or 5 times a power of ten, so a range of 0–0.93 gets
/// ticks 0, 0.2, …, 1 and 3–97 gets 0, 20, …, 100. Labels have a fixed number of decimals
/// derived from the step, so the same data always gives the same text.
public struct Ticks: Equatable, Sendable {
    /// Tick positions, increasing.
    public let values: [Double]
    /// Distance between ticks: m × 10^power with m in {1, 2, 5}.
    public let step: Double
    /// The power of ten of the step (decides the decimals of the labels).
    public let power: Int

    /// Ticks for [lo, hi] with about `count` intervals, all inside the range.
    public static func within(_ lo: Double, _ hi: Double, count: Int = 5) -> Ticks {
        let (lo, hi) = Ticks.widen(lo, hi)
        let (step, power) = niceStep(hi - lo, count: count)
        let first = (lo / step - 1e-9).rounded(.up), last = (hi / step + 1e-9).rounded(.down)
        var values: [Double] = []
        if first <= last {
            var i = first
            while i <= last && values.count < 1000 { values.append(clean(i * step, power)); i += 1 }
        }
        return Ticks(values: values, step: step, power: power)
    }

    /// A domain containing [lo, hi] that starts and ends on ticks, and its ticks.
    public static func nice(_ lo: Double, _ hi: Double, count: Int = 5) -> (lo: Double, hi: Double, ticks: Ticks) {
        let (lo, hi) = Ticks.widen(lo, hi)
        let (step, power) = niceStep(hi - lo, count: count)
        let nlo = clean((lo / step + 1e-9).rounded(.down) * step, power)
        let nhi = clean((hi / step - 1e-9).rounded(.up) * step, power)
        return (nlo, nhi, within(nlo, nhi, count: count))
    }

    /// The step for a span: d3's rule (thresholds √50, √10, √2 on span / count).
    static func niceStep(_ span: Double, count: Int) -> (Double, Int) {
        let raw = span / Double(max(count, 1))
        var power = Int(log10(raw).rounded(.down))
        let error = raw / pow(10, Double(power))
        var m = 1.0
        if error >= 50.0.squareRoot() { m = 1; power += 1 }
        else if error >= 10.0.squareRoot() { m = 5 }
        else if error >= 2.0.squareRoot() { m = 2 }
        return (m * pow(10, Double(power)), power)
    }

    /// A non-empty finite range around [lo, hi] (a single value gets a unit-sized range).
    static func widen(_ lo: Double, _ hi: Double) -> (Double, Double) {
        guard lo.isFinite, hi.isFinite else { return (0, 1) }
        if hi > lo { return (lo, hi) }
        let pad = lo == 0 ? 1 : abs(lo) * 0.1
        return (lo - pad, lo + pad)
    }

    /// Rounds away binary noise (0.30000000000000004 → 0.3) at the step's precision.
    static func clean(_ v: Double, _ power: Int) -> Double {
        let scale = pow(10, Double(max(0, 3 - power)))
        let r = (v * scale).rounded() / scale
        return r == 0 ? 0 : r
    }

    /// The label of tick value `v`: fixed decimals from the step (0.2 → "0.4"), scientific
    /// notation for very large or very small magnitudes ("2e+06").
    public func label(_ v: Double) -> String {
        let biggest = values.map { abs($0) }.max() ?? abs(v)
        if biggest >= 1e6 || (power < -4 && biggest != 0) {
            return Ticks.noNegativeZero(String(format: "%.*e", max(0, significantDigits - 1), v))
        }
        return Ticks.noNegativeZero(String(format: "%.*f", max(0, -power), v))
    }

    /// Digits needed to tell the ticks apart in scientific notation.
    var significantDigits: Int {
        guard let big = values.map({ abs($0) }).max(), big > 0 else { return 1 }
        return max(1, Int(log10(big).rounded(.down)) - power + 1)
    }

    static func noNegativeZero(_ s: String) -> String {
        if s.hasPrefix("-"), s.dropFirst().allSatisfy({ $0 == "0" || $0 == "." }) { return String(s.dropFirst()) }
        if s.hasPrefix("-"), let m = s.range(of: "e"), s[s.index(after: s.startIndex)..<m.lowerBound].allSatisfy({ $0 == "0" || $0 == "." }) {
            return String(s.dropFirst())
        }
        return s
    }
}

/// Maps a data interval onto a pixel interval.
struct LinearScale {
    let d0: Double, d1: Double, r0: Double, r1: Double
    func callAsFunction(_ v: Double) -> Double {
        d1 == d0 ? (r0 + r1) / 2 : r0 + (v - d0) / (d1 - d0) * (r1 - r0)
    }
}
