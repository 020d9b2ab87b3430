import CLua

/// Errors about one option field, worded like LuaOptions' own:
/// `bad argument #2 to 'plan' (field 't': must be an integer ≥ 1, got 0)`.
extension LuaOptions {
    /// The error for option `key` with `message` (what is allowed, what was given).
    public func fieldError(_ key: String, _ message: String) -> LuaError {
        LuaError.argument(Int(index), "field '\(key)': \(message)")
    }

    /// Whether option `key` is present (not nil).
    public func has(_ key: String) -> Bool {
        guard present else { return false }
        defer { L.pop() }
        return L.rawField(index, key) != LUA_TNIL
    }
}
