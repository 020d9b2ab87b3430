/// A JSON document. Objects keep their key order (writers can sort them), integers stay
/// integers (`.int`) and other numbers are doubles that the writers spell so they read
/// back bit for bit.
///
///     let v = try JSON.parse(#"{"seed": 1, "tolerance": 1e-06}"#)
///     v["seed"]?.int          // 1
///     v.text                  // {"seed":1,"tolerance":1e-06}
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
        case let (.double(x), .double(y)): x == y || (x.isNaN && y.isNaN)
        case let (.string(x), .string(y)): x == y
        case let (.array(x), .array(y)): x == y
        case let (.object(x), .object(y)): x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: false
        }
    }

    // MARK: Reading values

    /// The value of `key` in an object (nil for other values or a missing key).
    public subscript(key: String) -> JSON? {
        guard case .object(let fields) = self else { return nil }
        return fields.first { $0.0 == key }?.1
    }

    public var string: String? { if case .string(let s) = self { return s }; return nil }
    public var bool: Bool? { if case .bool(let b) = self { return b }; return nil }
    public var array: [JSON]? { if case .array(let a) = self { return a }; return nil }
    public var object: [(String, JSON)]? { if case .object(let o) = self { return o }; return nil }
    public var isNull: Bool { if case .null = self { return true }; return false }

    /// An integer, also from a double with an integral value that fits.
    public var int: Int? {
        switch self {
        case .int(let i): return i
        case .double(let d): return d.isFinite && d == d.rounded() && abs(d) < 0x1p63 ? Int(d) : nil
        default: return nil
        }
    }

    /// A number as a double (integers converted).
    public var double: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }

    /// The JSON type's name, for messages: "object", "array", "string", "number", "boolean", "null".
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .int, .double: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    /// Text split into lines that keep their "\n", as nbformat stores multi-line strings.
    public static func lines(_ text: String) -> JSON {
        var out: [JSON] = []
        var current = ""
        for c in text {
            current.append(c)
            if c == "\n" { out.append(.string(current)); current = "" }
        }
        if !current.isEmpty { out.append(.string(current)) }
        return .array(out)
    }
}
