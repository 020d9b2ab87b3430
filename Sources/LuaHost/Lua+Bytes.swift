import CLua
import Tensor

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
    /// A file path argument, as its bytes: Lua strings are bytes and so are Linux file
    /// names, so a path that is not UTF-8 opens exactly that file. A NUL byte would end
    /// the path early at the system call: refused.
    public func checkPath(_ i: Int32) throws -> FilePath {
        guard let bytes = toBytes(i) else { throw typeError(i, "string") }
        return try Lua.filePath(bytes) { LuaError.argument(Int(i), $0) }
    }

    /// `bytes` as a path, or the error `fail` makes of the problem.
    static func filePath(_ bytes: [UInt8], _ fail: (String) -> Error) throws -> FilePath {
        guard let path = FilePath(bytes: bytes) else {
            throw fail("path contains a NUL byte (at byte \(bytes.firstIndex(of: 0)! + 1))")
        }
        return path
    }
}

extension LuaOptions {
    /// A path field (see `Lua.checkPath`).
    public func path(_ key: String) throws -> FilePath? {
        guard push(key) != LUA_TNIL else { L.pop(); return nil }
        defer { L.pop() }
        guard let bytes = L.toBytes(-1) else {
            throw LuaError.argument(Int(index), "field '\(key)': string expected, got \(L.typeName(-1))")
        }
        return try Lua.filePath(bytes) { LuaError.argument(Int(index), "field '\(key)': \($0)") }
    }
}
