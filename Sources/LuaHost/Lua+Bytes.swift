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
