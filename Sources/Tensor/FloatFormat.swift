import Foundation

/// NumPy's float formatting for `str(array)` (arrayprint's FloatingFormat with
/// floatmode "maxprec"), so printed tensors line up on the decimal point exactly as
/// NumPy's do. One format is chosen for all the values shown:
/// - positional (`[  1.5    10.25  100.125]`): shortest digits, at most `precision`
///   after the point, trailing zeros dropped, integer parts padded on the left and
///   fractions padded with spaces on the right;
/// - scientific (`[1.0e-05 1.5e+00]`) when the largest magnitude is >= 1e8, the
///   smallest non-zero one < 1e-4, or their ratio > 1e3: every mantissa gets the same
///   number of digits.
/// nan and inf are right-aligned in the common width.
public struct FloatFormat: Sendable {
    public let scientific: Bool
    let precision: Int
    let padLeft: Int
    let padRight: Int
    let expDigits: Int

    /// Chooses the format for `values` (the elements that will be shown).
    public init(_ values: [Float], precision: Int = 4) {
        let finite = values.filter(\.isFinite)
        let nonZero = finite.filter { $0 != 0 }.map { Swift.abs(Double($0)) }
        var sci = false
        if let hi = nonZero.max(), let lo = nonZero.min() {
            sci = hi >= 1e8 || lo < 1e-4 || hi / lo > 1e3
        }
        var padLeft = 0, padRight = 0, prec = precision, expDigits = -1
        if sci {
            let parts = finite.map { FloatFormat.scientific($0, precision: precision) }
            prec = parts.map(\.frac.count).max() ?? 0
            padLeft = parts.map(\.int.count).max() ?? 0
            expDigits = parts.map(\.exp.count).max() ?? 2
            padRight = expDigits + 2 + prec
        } else {
            let parts = finite.map { FloatFormat.positional($0, precision: precision) }
            padLeft = parts.map(\.int.count).max() ?? 0
            padRight = parts.map(\.frac.count).max() ?? 0
        }
        if finite.count != values.count {
            let negInf = values.contains { $0.isInfinite && $0 < 0 }
            let offset = padRight + 1
            padLeft = Swift.max(padLeft, 3 - offset, 3 + (negInf ? 1 : 0) - offset)
        }
        self.scientific = sci
        self.precision = prec
        self.padLeft = padLeft
        self.padRight = padRight
        self.expDigits = expDigits
    }

    /// The text of `x` in this format (all values get the same width).
    public func callAsFunction(_ x: Float) -> String {
        if !x.isFinite {
            let s = x.isNaN ? "nan" : (x < 0 ? "-inf" : "inf")
            return FloatFormat.padded(s, left: padLeft + padRight + 1)
        }
        if scientific {
            let p = FloatFormat.scientific(x, precision: precision)
            let frac = p.frac + String(repeating: "0", count: Swift.max(0, precision - p.frac.count))
            let expSign = p.expNegative ? "-" : "+"
            let exp = String(repeating: "0", count: Swift.max(0, expDigits - p.exp.count)) + p.exp
            return FloatFormat.padded(p.int, left: padLeft) + "." + frac + "e" + expSign + exp
        }
        let p = FloatFormat.positional(x, precision: precision)
        return FloatFormat.padded(p.int, left: padLeft) + "." + p.frac
            + String(repeating: " ", count: Swift.max(0, padRight - p.frac.count))
    }

    static func padded(_ s: String, left width: Int) -> String {
        String(repeating: " ", count: Swift.max(0, width - s.count)) + s
    }

    /// Shortest round-trip decimal digits of `x` (no leading zeros; "0" for zero) and the
    /// exponent of the first digit: |x| = d1.d2d3… × 10^exponent.
    static func shortestDigits(_ x: Float) -> (digits: [UInt8], exponent: Int) {
        var s = Swift.abs(x).description   // "100.0", "0.0001", "1e-05", "1.2345679e+08"
        var exp10 = 0
        if let e = s.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exp10 = Int(s[s.index(after: e)...]) ?? 0
            s = String(s[..<e])
        }
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        let intPart = parts[0], fracPart = parts.count > 1 ? parts[1] : ""
        var digits = Array((intPart + fracPart).utf8).map { $0 - 48 }
        var pointPos = intPart.count   // digits before the decimal point
        while digits.count > 1, digits.first == 0 { digits.removeFirst(); pointPos -= 1 }
        while digits.count > 1, digits.last == 0 { digits.removeLast() }
        if digits == [0] { return ([0], 0) }
        return (digits, pointPos - 1 + exp10)
    }

    /// Positional text split at the point: at most `precision` fraction digits (shortest
    /// digits when they fit, otherwise rounded), trailing zeros dropped.
    static func positional(_ x: Float, precision: Int) -> (int: String, frac: String) {
        let (d, e) = shortestDigits(x)
        let sign = x.sign == .minus ? "-" : ""
        var intPart: String, frac: String
        if d.count - 1 - e <= precision {
            let text = d.map { String($0) }.joined()
            if e >= 0 {
                let n = e + 1
                intPart = n >= d.count ? text + String(repeating: "0", count: n - d.count) : String(text.prefix(n))
                frac = n >= d.count ? "" : String(text.dropFirst(n))
            } else {
                intPart = "0"
                frac = String(repeating: "0", count: -e - 1) + text
            }
        } else {
            let s = String(format: "%.\(precision)f", Swift.abs(Double(x)))
            let p = s.split(separator: ".", omittingEmptySubsequences: false)
            intPart = String(p[0])
            frac = p.count > 1 ? String(p[1]) : ""
        }
        while frac.hasSuffix("0") { frac.removeLast() }
        if d == [0] { intPart = "0"; frac = "" }
        return (sign + intPart, frac)
    }

    /// Scientific text in parts: mantissa integer digit (with sign), fraction digits
    /// (shortest, at most `precision`, trailing zeros dropped), exponent digits (>= 2).
    static func scientific(_ x: Float, precision: Int) -> (int: String, frac: String, exp: String, expNegative: Bool) {
        let (d, e) = shortestDigits(x)
        let sign = x.sign == .minus ? "-" : ""
        var lead: String, frac: String, exp = e
        if d.count - 1 <= precision {
            lead = String(d[0])
            frac = d.dropFirst().map { String($0) }.joined()
        } else {
            let s = String(format: "%.\(precision)e", Swift.abs(Double(x)))   // "1.2346e+05"
            let m = s.split(separator: "e")
            let mp = m[0].split(separator: ".", omittingEmptySubsequences: false)
            lead = String(mp[0])
            frac = mp.count > 1 ? String(mp[1]) : ""
            exp = Int(m[1]) ?? e
        }
        while frac.hasSuffix("0") { frac.removeLast() }
        var expText = String(Swift.abs(exp))
        if expText.count < 2 { expText = "0" + expText }
        return (sign + lead, frac, expText, exp < 0)
    }
}
