import CLua

/// Reading option tables (`{ratio = 0.5, seed = 1}`) with errors that name the field:
/// `bad argument #2 to 'entropy' (field 'bins': number expected, got string)`.
public struct LuaOptions {
    let L: Lua
    public let index: Int32
    let present: Bool

    /// Options at stack slot `index`: a table, or nil/none for all defaults.
    public init(_ L: Lua, _ index: Int32) throws {
        self.L = L
        self.index = L.absIndex(index)
        present = L.isTable(index)
        if !present && !L.isNoneOrNil(index) { throw L.typeError(index, "table") }
    }

    private func field<T>(_ key: String, _ expected: String, _ read: (Int32) -> T?) throws -> T? {
        guard present else { return nil }
        L.rawField(index, key)
        defer { L.pop() }
        if L.isNoneOrNil(-1) { return nil }
        guard let v = read(-1) else {
            throw LuaError.argument(Int(index), "field '\(key)': \(expected) expected, got \(L.typeName(-1))")
        }
        return v
    }

    public func number(_ key: String) throws -> Double? { try field(key, "number") { L.toNumber($0) } }
    public func number(_ key: String, _ d: Double) throws -> Double { try number(key) ?? d }

    public func integer(_ key: String) throws -> Int? {
        guard let v = try number(key) else { return nil }
        guard v.isFinite, v == v.rounded(), abs(v) < 9.0e15 else {
            throw LuaError.argument(Int(index), "field '\(key)': number has no integer representation")
        }
        return Int(v)
    }
    public func integer(_ key: String, _ d: Int) throws -> Int { try integer(key) ?? d }

    public func string(_ key: String) throws -> String? { try field(key, "string") { L.toString($0) } }
    public func string(_ key: String, _ d: String) throws -> String { try string(key) ?? d }

    public func bool(_ key: String) throws -> Bool? {
        try field(key, "boolean") { L.type($0) == LUA_TBOOLEAN ? L.toBool($0) : nil }
    }
    public func bool(_ key: String, _ d: Bool) throws -> Bool { try bool(key) ?? d }

    /// One of a fixed set of strings.
    public func choice(_ key: String, _ options: [String], _ d: String) throws -> String {
        let v = try string(key, d)
        guard options.contains(v) else {
            throw LuaError.argument(Int(index), "field '\(key)': expected one of \(options.joined(separator: ", ")), got '\(v)'")
        }
        return v
    }

    /// The error for a field whose value is out of range:
    /// `bad argument #2 to 'plan' (field 'level': expected an integer in 1...16, got 0)`.
    public func invalid(_ key: String, _ message: String) -> LuaError {
        LuaError.argument(Int(index), "field '\(key)': \(message)")
    }

    /// Pushes the field's value (nil if absent) for custom reading; returns its type.
    @discardableResult
    public func push(_ key: String) -> Int32 {
        guard present else { L.pushNil(); return LUA_TNIL }
        return L.rawField(index, key)
    }

    /// Keys present that are not in `known` (to report typos).
    public func checkKnown(_ known: Set<String>, _ what: String) throws {
        guard present else { return }
        var unknown: [String] = []
        L.forEachPair(index) {
            if let k = L.toString(-2), !known.contains(k) { unknown.append(k) }
        }
        if let k = unknown.sorted().first {
            throw LuaError.argument(Int(index), "unknown option '\(k)' for \(what) (known: \(known.sorted().joined(separator: ", ")))")
        }
    }
}

extension Lua {
    /// A number or a list of numbers (`mean`, `betas`, `milestones`), as an array.
    public func checkNumbers(_ i: Int32, _ what: String) throws -> [Double] {
        if let v = toNumber(i) { return [v] }
        guard isTable(i) else { throw typeError(i, "number or table of numbers") }
        var out: [Double] = []
        for k in stride(from: 1, through: rawLength(i), by: 1) {
            rawIndex(i, k)
            defer { pop() }
            guard let v = toNumber(-1) else {
                throw LuaError.argument(Int(i), "\(what) entry \(k) must be a number, got \(typeName(-1))")
            }
            out.append(v)
        }
        return out
    }
}
