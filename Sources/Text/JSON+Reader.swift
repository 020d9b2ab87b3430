/// A JSON syntax error: what was expected and where (line, column and byte offset).
public struct JSONError: Error, CustomStringConvertible, Equatable, Sendable {
    public let message: String
    /// Byte offset from the start of the text (0-based).
    public let offset: Int
    /// 1-based line and column (the column counts bytes).
    public let line: Int, column: Int

    public var description: String { "\(message) at line \(line), column \(column)" }
}

extension JSON {
    /// What the reader accepts: nesting deeper than `depth` and texts longer than `bytes`
    /// are errors (hostile input must not exhaust the stack or the memory).
    public struct Limits: Sendable {
        public var depth: Int
        public var bytes: Int
        public init(depth: Int = 256, bytes: Int = 1 << 30) {
            self.depth = depth
            self.bytes = bytes
        }
    }

    /// Parses JSON text (RFC 8259, strict: no comments, trailing commas, NaN or
    /// Infinity). Duplicate keys are an error. Numbers without a fraction or exponent
    /// that fit an `Int` are `.int`; others `.double`. A number whose magnitude a double
    /// cannot hold (`1e999999`, or `1e-999999` which would become 0) is an error, never
    /// silently infinity or zero.
    public static func parse(_ text: String, limits: Limits = Limits()) throws -> JSON {
        var text = text
        return try text.withUTF8 { try parse(bytes: $0, limits: limits) }
    }

    /// Parses UTF-8 bytes; see `parse(_:limits:)`.
    public static func parse<C: Collection>(_ bytes: C, limits: Limits = Limits()) throws -> JSON where C.Element == UInt8 {
        if let v = try bytes.withContiguousStorageIfAvailable({ try parse(bytes: $0, limits: limits) }) { return v }
        return try Array(bytes).withUnsafeBufferPointer { try parse(bytes: $0, limits: limits) }
    }

    static func parse(bytes: UnsafeBufferPointer<UInt8>, limits: Limits) throws -> JSON {
        var r = JSONReader(b: bytes, limits: limits)
        guard bytes.count <= limits.bytes else { throw r.fail("JSON text of \(bytes.count) bytes is longer than the limit of \(limits.bytes)") }
        let v = try r.value(depth: 0)
        r.skipSpace()
        guard r.i == bytes.count else { throw r.fail("unexpected text after the JSON value") }
        return v
    }
}

/// The recursive-descent reader behind `JSON.parse`.
struct JSONReader {
    let b: UnsafeBufferPointer<UInt8>
    let limits: JSON.Limits
    var i = 0

    init(b: UnsafeBufferPointer<UInt8>, limits: JSON.Limits) {
        self.b = b
        self.limits = limits
    }

    func fail(_ m: String, at offset: Int? = nil) -> JSONError {
        let at = min(offset ?? i, b.count)
        var line = 1, lineStart = 0
        for k in 0..<at where b[k] == 0x0A { line += 1; lineStart = k + 1 }
        return JSONError(message: m, offset: at, line: line, column: at - lineStart + 1)
    }

    mutating func skipSpace() {
        while i < b.count, b[i] == 0x20 || b[i] == 0x09 || b[i] == 0x0A || b[i] == 0x0D { i += 1 }
    }

    func describeNext() -> String {
        guard i < b.count else { return "the end of the text" }
        let c = b[i]
        return c >= 0x20 && c < 0x7F ? "'\(Character(Unicode.Scalar(c)))'" : "byte \(c)"
    }

    mutating func expect(_ c: UInt8, _ what: String) throws {
        skipSpace()
        guard i < b.count, b[i] == c else { throw fail("expected \(what), found \(describeNext())") }
        i += 1
    }

    mutating func value(depth: Int) throws -> JSON {
        skipSpace()
        guard i < b.count else { throw fail("expected a value, found the end of the text") }
        switch b[i] {
        case UInt8(ascii: "{"):
            guard depth < limits.depth else { throw fail("nested deeper than \(limits.depth) levels") }
            i += 1
            var fields: [(String, JSON)] = []
            var seen = Set<String>()
            skipSpace()
            if i < b.count, b[i] == UInt8(ascii: "}") { i += 1; return .object(fields) }
            while true {
                skipSpace()
                let keyAt = i
                guard i < b.count, b[i] == UInt8(ascii: "\"") else { throw fail("expected a string key, found \(describeNext())") }
                let k = try string()
                guard seen.insert(k).inserted else { throw fail("duplicate key '\(k)'", at: keyAt) }
                try expect(UInt8(ascii: ":"), "':'")
                fields.append((k, try value(depth: depth + 1)))
                skipSpace()
                if i < b.count, b[i] == UInt8(ascii: ",") { i += 1; continue }
                if i < b.count, b[i] == UInt8(ascii: "}") { i += 1; return .object(fields) }
                throw fail("expected ',' or '}', found \(describeNext())")
            }
        case UInt8(ascii: "["):
            guard depth < limits.depth else { throw fail("nested deeper than \(limits.depth) levels") }
            i += 1
            var items: [JSON] = []
            skipSpace()
            if i < b.count, b[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
            while true {
                items.append(try value(depth: depth + 1))
                skipSpace()
                if i < b.count, b[i] == UInt8(ascii: ",") { i += 1; continue }
                if i < b.count, b[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
                throw fail("expected ',' or ']', found \(describeNext())")
            }
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw fail("expected a value, found \(describeNext())")
        }
    }

    mutating func literal(_ s: StaticString, _ v: JSON) throws -> JSON {
        let n = s.utf8CodeUnitCount
        guard b.count - i >= n, (0..<n).allSatisfy({ b[i + $0] == s.utf8Start[$0] }) else {
            throw fail("expected a value, found \(describeNext())")
        }
        i += n
        return v
    }

    func isDigit(_ k: Int) -> Bool { k < b.count && b[k] >= 0x30 && b[k] <= 0x39 }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
    mutating func number() throws -> JSON {
        let start = i
        var integral = true, nonZero = false
        if b[i] == UInt8(ascii: "-") { i += 1 }
        guard isDigit(i) else { throw fail("expected a digit, found \(describeNext())") }
        if b[i] == UInt8(ascii: "0") {
            i += 1
            if isDigit(i) { throw fail("a number cannot start with 0 followed by digits", at: start) }
        } else {
            while isDigit(i) { nonZero = true; i += 1 }
        }
        if i < b.count, b[i] == UInt8(ascii: ".") {
            integral = false
            i += 1
            guard isDigit(i) else { throw fail("expected a digit after '.', found \(describeNext())") }
            while isDigit(i) { if b[i] != UInt8(ascii: "0") { nonZero = true }; i += 1 }
        }
        if i < b.count, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
            integral = false
            i += 1
            if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
            guard isDigit(i) else { throw fail("expected a digit in the exponent, found \(describeNext())") }
            while isDigit(i) { i += 1 }
        }
        let s = String(decoding: UnsafeBufferPointer(rebasing: b[start..<i]), as: UTF8.self)
        if integral, let v = Int(s) { return .int(v) }
        guard let v = Double(s), v.isFinite, v != 0 || !nonZero else {
            throw fail("number \(s.count > 40 ? String(s.prefix(40)) + "…" : s) is out of the range of a double", at: start)
        }
        return .double(v)
    }

    mutating func hex4() throws -> UInt32 {
        guard b.count - i >= 4 else { throw fail("expected 4 hexadecimal digits after \\u") }
        var v: UInt32 = 0
        for k in 0..<4 {
            let c = b[i + k]
            let d: UInt32
            switch c {
            case 0x30...0x39: d = UInt32(c - 0x30)
            case 0x41...0x46: d = UInt32(c - 0x41 + 10)
            case 0x61...0x66: d = UInt32(c - 0x61 + 10)
            default: throw fail("expected 4 hexadecimal digits after \\u", at: i + k)
            }
            v = v * 16 + d
        }
        i += 4
        return v
    }

    mutating func string() throws -> String {
        let open = i
        i += 1
        var out: [UInt8] = []
        while true {
            guard i < b.count else { throw fail("unterminated string", at: open) }
            let c = b[i]
            if c == UInt8(ascii: "\"") { i += 1; break }
            if c < 0x20 { throw fail("control character (byte \(c)) in a string; write it as an escape") }
            i += 1
            guard c == UInt8(ascii: "\\") else { out.append(c); continue }
            guard i < b.count else { throw fail("unterminated string", at: open) }
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
                let at = i - 2
                var v = try hex4()
                if (0xD800..<0xDC00).contains(v) {
                    guard b.count - i >= 6, b[i] == UInt8(ascii: "\\"), b[i + 1] == UInt8(ascii: "u") else {
                        throw fail("unpaired surrogate \\u\(String(v, radix: 16))", at: at)
                    }
                    i += 2
                    let lo = try hex4()
                    guard (0xDC00..<0xE000).contains(lo) else { throw fail("bad surrogate pair", at: at) }
                    v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00)
                }
                guard let s = Unicode.Scalar(v) else { throw fail("unpaired surrogate \\u\(String(v, radix: 16))", at: at) }
                out.append(contentsOf: String(Character(s)).utf8)
            default: throw fail("bad escape \\\(Character(Unicode.Scalar(e)))", at: i - 2)
            }
        }
        guard let s = String(validating: out, as: UTF8.self) else { throw fail("invalid UTF-8 in a string", at: open) }
        return s
    }
}
