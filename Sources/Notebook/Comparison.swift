import Foundation

/// Compares recorded and replayed text: numbers within a tolerance, everything else
/// exactly, after masking what changes from run to run — addresses (`0x55d…`,
/// `table: 0x…`), timings (`took 1.23 s`, `4.5ms`), rates (`629 img/s`), the values of
/// timing fields in a shown table (`seconds = 0.0054`, `images_per_s = 23691`, `after_ms =`)
/// and a ratio of two timings (`0.04 ms → 0.02 ms (2.48×)`); and the line of a position in
/// a Lua file (`nb.lua:12:`, which moves when prose above the cell is edited).
public struct Comparison: Sendable {
    /// |a − b| ≤ absolute + relative · max(|a|, |b|).
    public let relative: Double
    public let absolute: Double

    public init(relative: Double, absolute: Double = 0) {
        self.relative = relative
        self.absolute = absolute
    }

    /// A piece of text: a number (with its spelling) or anything else.
    enum Token: Equatable {
        case number(Double, String)
        case text(String)
    }

    static let timeUnits: Set<String> = ["ns", "us", "µs", "ms", "s", "sec", "secs", "second", "seconds", "min", "mins", "minutes", "h"]

    /// Whether a table field named `key` holds a time or a rate: a time unit itself
    /// (`seconds`, `ms`), or a name ending in one (`after_ms`, `epoch_seconds`) or in `per_s`
    /// (`images_per_s`), or `time` / `elapsed`.
    static func isTimingKey(_ key: String) -> Bool {
        if timeUnits.contains(key) || key == "time" || key == "elapsed" || key.hasSuffix("per_s") { return true }
        guard let u = key.lastIndex(of: "_") else { return false }
        return timeUnits.contains(String(key[key.index(after: u)...]))
    }

    /// The field name `key` in `… key = ` / `"key": ` just before position `i`, if any.
    static func fieldName(before i: Int, in c: [Unicode.Scalar]) -> String? {
        var j = i
        while j > 0, c[j - 1] == " " { j -= 1 }
        guard j > 0, c[j - 1] == "=" || c[j - 1] == ":" else { return nil }
        j -= 1
        while j > 0, c[j - 1] == " " { j -= 1 }
        if j > 0, c[j - 1] == "\"" { j -= 1 }
        let end = j
        while j > 0, c[j - 1] == "_" || c[j - 1].properties.isAlphabetic || ("0"..."9").contains(c[j - 1]) { j -= 1 }
        return j < end ? String(String.UnicodeScalarView(c[j..<end])) : nil
    }

    /// Whether `text` ends with a masked time and its unit, then spaces or an opening bracket.
    static func endsWithTime(_ text: String.UnicodeScalarView) -> Bool {
        var t = Substring(String(text))
        while let l = t.unicodeScalars.last, l == " " || l == "(" { t = t.dropLast() }
        while let l = t.unicodeScalars.last, l.properties.isAlphabetic || l == "/" { t = t.dropLast() }
        while let l = t.unicodeScalars.last, l == " " { t = t.dropLast() }
        return t.hasSuffix("<time>")
    }

    /// Splits `s` into tokens, masking addresses and timings.
    static func tokens(_ s: String) -> [Token] {
        let c = Array(s.unicodeScalars)
        var out: [Token] = []
        var text = String.UnicodeScalarView()
        func flush() { if !text.isEmpty { out.append(.text(String(text))); text = String.UnicodeScalarView() } }
        func isWord(_ u: Unicode.Scalar) -> Bool { u == "_" || u.properties.isAlphabetic || ("0"..."9").contains(u) }
        func isDigit(_ i: Int) -> Bool { i < c.count && ("0"..."9").contains(c[i]) }
        var i = 0
        while i < c.count {
            let prevWord = i > 0 && isWord(c[i - 1])
            // Hexadecimal addresses.
            if !prevWord, c[i] == "0", i + 2 < c.count, c[i + 1] == "x" || c[i + 1] == "X", c[i + 2].properties.isASCIIHexDigit {
                var j = i + 2
                while j < c.count, c[j].properties.isASCIIHexDigit { j += 1 }
                text.append(contentsOf: "0x…".unicodeScalars)
                i = j
                continue
            }
            // Numbers: -1, 2.5, .5, 1e-3 (not the digits of a word like conv1).
            let signed = (c[i] == "-" || c[i] == "+") && (isDigit(i + 1) || (i + 2 < c.count && c[i + 1] == "." && isDigit(i + 2)))
            let dotted = c[i] == "." && isDigit(i + 1) && !(i > 0 && c[i - 1] == ".")
            if !prevWord, isDigit(i) || signed || dotted {
                var j = i
                if c[j] == "-" || c[j] == "+" { j += 1 }
                while isDigit(j) { j += 1 }
                if j < c.count, c[j] == ".", !(j + 1 < c.count && c[j + 1] == ".") { j += 1; while isDigit(j) { j += 1 } }
                if j < c.count, c[j] == "e" || c[j] == "E" {
                    var k = j + 1
                    if k < c.count, c[k] == "-" || c[k] == "+" { k += 1 }
                    if isDigit(k) { j = k; while isDigit(j) { j += 1 } }
                }
                var spelled = String(String.UnicodeScalarView(c[i..<j]))
                // A timing: the number followed by a unit of time.
                var k = j
                if k < c.count, c[k] == " " { k += 1 }
                var u = k
                while u < c.count, c[u].properties.isAlphabetic { u += 1 }
                let unit = String(String.UnicodeScalarView(c[k..<u]))
                // A rate: the number followed by `<unit>/s` (img/s, samples/s, it/s).
                let rate = u + 1 < c.count && c[u] == "/" && c[u + 1] == "s" && (u + 2 == c.count || !isWord(c[u + 2]))
                // A ratio of timings: `0.02 ms (2.48×)` — a ratio right after a masked time and its unit.
                let afterTime = j < c.count && (c[j] == "×" || c[j] == "x") && endsWithTime(text)
                if rate || afterTime || (timeUnits.contains(unit) && (u == c.count || !isWord(c[u])))
                    || fieldName(before: i, in: c).map(isTimingKey) == true {
                    spelled = "<time>"
                    text.append(contentsOf: spelled.unicodeScalars)
                } else if i >= 5, c[(i - 5)..<i].elementsEqual(".lua:".unicodeScalars), !spelled.contains(".") {
                    text.append(contentsOf: "<line>".unicodeScalars)
                } else if let v = Double(spelled.hasPrefix("+") ? String(spelled.dropFirst()) : spelled), v.isFinite {
                    // (A spelling beyond a double's range, like 1e999999, stays text: compared
                    // exactly, it cannot match every number as infinity within tolerance would.)
                    flush()
                    out.append(.number(v, spelled))
                } else {
                    text.append(contentsOf: spelled.unicodeScalars)
                }
                i = j
                continue
            }
            text.append(c[i])
            i += 1
        }
        flush()
        return out
    }

    /// The text with addresses and timings masked (as shown in diffs).
    public static func masked(_ s: String) -> String {
        tokens(s).map { t -> String in
            switch t {
            case .number(_, let spelled): return spelled
            case .text(let s): return s
            }
        }.joined()
    }

    /// True if `a` and `b` agree: the same text around numbers that are within tolerance.
    public func equal(_ a: String, _ b: String) -> Bool {
        if a == b { return true }
        let ta = Comparison.tokens(a), tb = Comparison.tokens(b)
        guard ta.count == tb.count else { return false }
        for (x, y) in zip(ta, tb) {
            switch (x, y) {
            case let (.text(s), .text(t)): if s != t { return false }
            case let (.number(u, _), .number(v, _)): if !close(u, v) { return false }
            default: return false
            }
        }
        return true
    }

    func close(_ a: Double, _ b: Double) -> Bool {
        if a == b { return true }
        if a.isNaN && b.isNaN { return true }
        return abs(a - b) <= absolute + relative * max(abs(a), abs(b))
    }
}
