import Foundation

/// How an axis maps data onto pixels: linearly, or by log10 (positive values only; a
/// value ≤ 0 is left out, as NaN is: a line breaks there).
public enum AxisScale: String, Sendable, CaseIterable {
    case linear, log
}

/// One axis of a line or scatter chart: the data interval it shows (the data's, widened to
/// nice ticks, or the limits given) and its ticks.
struct AxisLayout {
    let scale: AxisScale
    /// The interval shown, in data units.
    let lo: Double, hi: Double
    let values: [Double]
    let labels: [String]

    /// The layout for `data` on `scale`, within `limits` when given (lo < hi; positive on a
    /// log axis, which the chart's setters check).
    init(_ data: [Double], scale: AxisScale, limits: (Double, Double)?) {
        self.scale = scale
        switch scale {
        case .linear:
            if let (a, b) = limits {
                let t = Ticks.within(a, b)
                (lo, hi, values, labels) = (a, b, t.values, t.values.map(t.label))
            } else {
                var a = Double.infinity, b = -Double.infinity
                for v in data where v.isFinite { a = min(a, v); b = max(b, v) }
                let t = a <= b ? Ticks.nice(a, b) : Ticks.nice(0, 1)
                (lo, hi, values, labels) = (t.lo, t.hi, t.ticks.values, t.ticks.values.map(t.ticks.label))
            }
        case .log:
            var a = Double.infinity, b = -Double.infinity
            for v in data where v.isFinite && v > 0 { a = min(a, v); b = max(b, v) }
            if let (l, h) = limits { (a, b) = (l, h) } else if a > b { (a, b) = (1, 10) } else {
                // whole decades around the data
                a = pow(10, log10(a).rounded(.down)); b = pow(10, log10(b).rounded(.up))
                if a == b { b = a * 10 }
            }
            (lo, hi) = (a, b)
            values = AxisLayout.logTicks(a, b)
            labels = values.map(AxisLayout.logLabel)
        }
    }

    /// Ticks of a log axis over [a, b]: the powers of ten inside it, with 2× and 5× steps
    /// added when fewer than three powers fall inside.
    static func logTicks(_ a: Double, _ b: Double) -> [Double] {
        let k0 = Int(log10(a).rounded(.down)), k1 = Int(log10(b).rounded(.up))
        guard k1 - k0 <= 400 else { return [] }
        let inside = { (v: Double) in v >= a * (1 - 1e-12) && v <= b * (1 + 1e-12) }
        var ticks = (k0...k1).map { pow(10, Double($0)) }.filter(inside)
        if ticks.count < 3 {
            ticks = (k0...k1).flatMap { k in [1.0, 2, 5].map { $0 * pow(10, Double(k)) } }.filter(inside)
        }
        if ticks.count > 12 {   // many decades: every n-th power
            let every = (ticks.count + 9) / 10
            ticks = ticks.enumerated().filter { $0.offset % every == 0 }.map(\.element)
        }
        return ticks
    }

    /// A log tick's label: plain from 0.001 to 10000 ("0.01", "200"), else "1e-05", "2e+06".
    static func logLabel(_ v: Double) -> String {
        if v >= 1e-3 && v < 1e5 {
            let digits = max(0, -Int(log10(v).rounded(.down)))
            return String(format: "%.*f", digits, v)
        }
        return String(format: "%.0e", v)
    }

    /// Data → pixels onto [r0, r1] (NaN for a value the axis cannot show: ≤ 0 on a log axis).
    func map(_ r0: Double, _ r1: Double) -> (Double) -> Double {
        switch scale {
        case .linear:
            let s = LinearScale(d0: lo, d1: hi, r0: r0, r1: r1)
            return { s($0) }
        case .log:
            let s = LinearScale(d0: log10(lo), d1: log10(hi), r0: r0, r1: r1)
            return { $0 > 0 ? s(log10($0)) : .nan }
        }
    }

    /// The ticks at their pixels.
    func placed(_ map: (Double) -> Double) -> [Tick] {
        zip(values, labels).map { Tick(at: map($0), label: $1) }
    }

    /// The widest label, in characters.
    var widestLabel: Int { labels.map(\.count).max() ?? 1 }
}
