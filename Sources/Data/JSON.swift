/// A small strict JSON reader and writer for the safetensors header: objects keep their
/// key order, duplicate keys are an error, integers stay exact.
public indirect enum JSON: Equatable, Sendable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSON])
    case object([(String, JSON)])

    public static func == (a: JSON, b: JSON) -> Bool {
        switch (a, b) {
        case (.null, .null): true
        case let (.bool(x), .bool(y)): x == y
        case let (.int(x), .int(y)): x == y
        case let (.double(x), .double(y)): x == y
        case let (.string(x), .string(y)): x == y
        case let (.array(x), .array(y)): x == y
        case let (.object(x), .object(y)): x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: false
        }
    }

    /// Parses `bytes` (UTF-8). Errors say what was expected and at which byte.
    public static func parse(_ bytes: ArraySlice<UInt8>) throws -> JSON {
        var p = JSONParser(b: bytes, i: bytes.startIndex)
        let v = try p.value(depth: 0)
        p.skipSpace()
        guard p.i == bytes.endIndex else { throw p.fail("unexpected text after the JSON value") }
        return v
    }

    /// Compact JSON text.
    public var text: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let v): return String(v)
        case .double(let v): return v.isFinite ? "\(v)" : "null"
        case .string(let s): return JSON.quote(s)
        case .array(let a): return "[" + a.map(\.text).joined(separator: ",") + "]"
        case .object(let o): return "{" + o.map { JSON.quote($0.0) + ":" + $0.1.text }.joined(separator: ",") + "}"
        }
    }

    static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20:
                let h = String(u.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }
}

/// The parser behind `JSON.parse`.
struct JSONParser {
    let b: ArraySlice<UInt8>
    var i: Int

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    func fail(_ m: String) -> Failure { Failure(description: "\(m) at byte \(i - b.startIndex)") }

    mutating func skipSpace() {
        while i < b.endIndex, [0x20, 0x09, 0x0A, 0x0D].contains(b[i]) { i += 1 }
    }

    mutating func literal(_ s: String, _ v: JSON) throws -> JSON {
        let u = Array(s.utf8)
        guard b.endIndex - i >= u.count, Array(b[i..<(i + u.count)]) == u else { throw fail("invalid literal") }
        i += u.count
        return v
    }

    mutating func value(depth: Int) throws -> JSON {
        guard depth < 64 else { throw fail("nested too deeply") }
        skipSpace()
        guard i < b.endIndex else { throw fail("unexpected end of JSON") }
        switch b[i] {
        case UInt8(ascii: "{"):
            i += 1
            var fields: [(String, JSON)] = []
            var seen = Set<String>()
            skipSpace()
            if i < b.endIndex, b[i] == UInt8(ascii: "}") { i += 1; return .object(fields) }
            while true {
                skipSpace()
                guard i < b.endIndex, b[i] == UInt8(ascii: "\"") else { throw fail("expected a string key") }
                let k = try string()
                guard seen.insert(k).inserted else { throw fail("duplicate key '\(k)'") }
                skipSpace()
                guard i < b.endIndex, b[i] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                i += 1
                fields.append((k, try value(depth: depth + 1)))
                skipSpace()
                guard i < b.endIndex else { throw fail("unexpected end of JSON") }
                if b[i] == UInt8(ascii: ",") { i += 1; continue }
                if b[i] == UInt8(ascii: "}") { i += 1; return .object(fields) }
                throw fail("expected ',' or '}'")
            }
        case UInt8(ascii: "["):
            i += 1
            var items: [JSON] = []
            skipSpace()
            if i < b.endIndex, b[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
            while true {
                items.append(try value(depth: depth + 1))
                skipSpace()
                guard i < b.endIndex else { throw fail("unexpected end of JSON") }
                if b[i] == UInt8(ascii: ",") { i += 1; continue }
                if b[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
                throw fail("expected ',' or ']'")
            }
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .null)
        default: return try number()
        }
    }

    mutating func number() throws -> JSON {
        let start = i
        var integral = true
        while i < b.endIndex, let c = Optional(b[i]), (c >= 0x30 && c <= 0x39) || c == 0x2D || c == 0x2B || c == 0x2E || c == 0x65 || c == 0x45 {
            if c == 0x2E || c == 0x65 || c == 0x45 { integral = false }
            i += 1
        }
        let s = String(decoding: b[start..<i], as: UTF8.self)
        if integral, let v = Int(s) { return .int(v) }
        if let v = Double(s), !s.isEmpty, s.first != "+" { return .double(v) }
        i = start
        throw fail(s.isEmpty ? "unexpected character" : "bad number '\(s)'")
    }

    mutating func hex4() throws -> UInt32 {
        guard b.endIndex - i >= 4, let v = UInt32(String(decoding: b[i..<(i + 4)], as: UTF8.self), radix: 16) else {
            throw fail("bad \\u escape")
        }
        i += 4
        return v
    }

    mutating func string() throws -> String {
        i += 1   // opening quote
        var out: [UInt8] = []
        while true {
            guard i < b.endIndex else { throw fail("unterminated string") }
            let c = b[i]
            i += 1
            if c == UInt8(ascii: "\"") { break }
            if c < 0x20 { throw fail("control character in string") }
            guard c == UInt8(ascii: "\\") else { out.append(c); continue }
            guard i < b.endIndex else { throw fail("unterminated string") }
            let e = b[i]
            i += 1
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
            case UInt8(ascii: "b"): out.append(8)
            case UInt8(ascii: "f"): out.append(12)
            case UInt8(ascii: "n"): out.append(10)
            case UInt8(ascii: "r"): out.append(13)
            case UInt8(ascii: "t"): out.append(9)
            case UInt8(ascii: "u"):
                var v = try hex4()
                if (0xD800..<0xDC00).contains(v), b.endIndex - i >= 6, b[i] == UInt8(ascii: "\\"), b[i + 1] == UInt8(ascii: "u") {
                    i += 2
                    let lo = try hex4()
                    guard (0xDC00..<0xE000).contains(lo) else { throw fail("bad surrogate pair") }
                    v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00)
                }
                guard let s = Unicode.Scalar(v) else { throw fail("bad \\u escape") }
                out.append(contentsOf: Array(String(Character(s)).utf8))
            default: throw fail("bad escape '\\\(Character(Unicode.Scalar(e)))'")
            }
        }
        guard let s = String(validating: out, as: UTF8.self) else { throw fail("invalid UTF-8 in string") }
        return s
    }
}
