extension JSON {
    /// Compact JSON text, keys in their order: `{"a":[1,2.5],"b":null}`.
    public var text: String {
        var out = ""
        write(to: &out, Style(indent: nil, comma: ",", colon: ":", sortedKeys: false), level: 0)
        return out
    }

    /// One line with a blank after each `,` and `:`, as Python's `json.dumps` writes by
    /// default (benchmark records): `{"a": [1, 2.5], "b": null}`.
    public var line: String {
        var out = ""
        write(to: &out, Style(indent: nil, comma: ", ", colon: ": ", sortedKeys: false), level: 0)
        return out
    }

    /// Indented JSON text, `indent` spaces a level: empty arrays and objects stay `[]` and
    /// `{}`, keys are followed by `": "`. With `sortedKeys`, object keys are sorted (by
    /// their UTF-8 bytes) so the output does not depend on construction order.
    public func indented(_ indent: Int = 2, sortedKeys: Bool = false) -> String {
        var out = ""
        write(to: &out, Style(indent: String(repeating: " ", count: indent), comma: ",", colon: ": ", sortedKeys: sortedKeys), level: 0)
        return out
    }

    /// A double in the shortest spelling that reads back to the same bits (`0.1`, `1e-06`,
    /// `2.0`: a double with an integral value keeps its `.0` so it reads back as a double).
    /// JSON has no NaN or infinity: those are written as `null`.
    public static func number(_ d: Double) -> String {
        guard d.isFinite else { return "null" }
        return d.description
    }

    struct Style {
        let indent: String?
        let comma: String, colon: String
        let sortedKeys: Bool
    }

    func write(to out: inout String, _ style: Style, level: Int) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d): out += JSON.number(d)
        case .string(let s): out += JSON.quote(s)
        case .array(let a):
            if a.isEmpty { out += "[]"; return }
            out += "["
            for (k, v) in a.enumerated() {
                if k > 0 { out += style.comma }
                newline(&out, style.indent, level + 1)
                v.write(to: &out, style, level: level + 1)
            }
            newline(&out, style.indent, level)
            out += "]"
        case .object(let o):
            if o.isEmpty { out += "{}"; return }
            let fields = style.sortedKeys ? o.sorted { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) } : o
            out += "{"
            for (k, (key, v)) in fields.enumerated() {
                if k > 0 { out += style.comma }
                newline(&out, style.indent, level + 1)
                out += JSON.quote(key)
                out += style.colon
                v.write(to: &out, style, level: level + 1)
            }
            newline(&out, style.indent, level)
            out += "}"
        }
    }

    private func newline(_ out: inout String, _ indent: String?, _ level: Int) {
        guard let indent else { return }
        out += "\n"
        for _ in 0..<level { out += indent }
    }

    /// `s` as a JSON string literal: `"`, `\` and control characters escaped (`\n`, `\t`,
    /// `\r`, `\b`, `\f`, else `\u00XX`); everything else, `/` and non-ASCII included, as is.
    public static func quote(_ s: String) -> String {
        "\"" + s.escapingScalars { u in
            escapes[u] ?? (u.value < 0x20 ? "\\u00" + String(hexDigit(u.value >> 4)) + String(hexDigit(u.value & 15)) : nil)
        } + "\""
    }

    static let escapes: [Unicode.Scalar: String] = [
        "\"": "\\\"", "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\u{8}": "\\b", "\u{C}": "\\f",
    ]

    static func hexDigit(_ v: UInt32) -> Unicode.Scalar {
        Unicode.Scalar(UInt8(v < 10 ? 0x30 + v : 0x57 + v))
    }
}
