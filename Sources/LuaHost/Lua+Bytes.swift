import CLua

/// Lua strings as the bytes they are. A Lua string is any byte sequence; decoding it as
/// UTF-8 would turn every other byte into U+FFFD, so file paths and chunks travel as bytes.
extension Lua {
    /// Pushes `bytes` as a Lua string, unchanged.
    public func push(bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { b in
            _ = lua_pushlstring(state, b.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) }, b.count)
        }
    }

    /// The bytes of the string at `i` (strings only; numbers are not converted in place).
    public func toBytes(_ i: Int32) -> [UInt8]? {
        guard lua_type(state, i) == LUA_TSTRING else { return nil }
        var len = 0
        guard let p = lua_tolstring(state, i, &len) else { return nil }
        return Array(UnsafeRawBufferPointer(start: p, count: len))
    }
}

extension Lua {
    /// A file path argument. Topiary's file functions open paths through Swift strings,
    /// which cannot hold bytes that are not UTF-8, and a NUL byte would end the path early:
    /// both are refused with an error rather than rewritten into another file's name
    /// (Lua's own io.open takes any bytes).
    public func checkPath(_ i: Int32) throws -> String {
        guard let bytes = toBytes(i) else { throw typeError(i, "string") }
        if let problem = Lua.pathProblem(bytes) { throw LuaError.argument(Int(i), problem) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Why `bytes` cannot be used as a path by Topiary's file functions, or nil.
    public static func pathProblem(_ bytes: [UInt8]) -> String? {
        if let k = bytes.firstIndex(of: 0) { return "path contains a NUL byte (at byte \(k + 1))" }
        if !String(decoding: bytes, as: UTF8.self).utf8.elementsEqual(bytes) {
            return "path is not valid UTF-8; Topiary's file functions take UTF-8 paths (io.open takes any bytes)"
        }
        return nil
    }
}

extension LuaOptions {
    /// A path field (see `Lua.checkPath`).
    public func path(_ key: String) throws -> String? {
        guard push(key) != LUA_TNIL else { L.pop(); return nil }
        defer { L.pop() }
        guard let bytes = L.toBytes(-1) else {
            throw LuaError.argument(Int(index), "field '\(key)': string expected, got \(L.typeName(-1))")
        }
        if let problem = Lua.pathProblem(bytes) { throw LuaError.argument(Int(index), "field '\(key)': \(problem)") }
        return String(decoding: bytes, as: UTF8.self)
    }
}
