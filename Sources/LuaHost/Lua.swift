import CLua
import CLuaShim

/// A view of a Lua state's stack for Swift code. Everything here calls only API
/// functions that cannot raise a Lua error (the manual's `-` and `m` entries); the
/// `check*` helpers throw `LuaError.argument` instead of calling `luaL_check*`.
public struct Lua {
    public let state: OpaquePointer
    public init(_ state: OpaquePointer) { self.state = state }

    // MARK: Stack

    public var top: Int32 { lua_gettop(state) }
    public func setTop(_ n: Int32) { lua_settop(state, n) }
    public func pop(_ n: Int32 = 1) { clua_pop(state, n) }
    public func absIndex(_ i: Int32) -> Int32 { lua_absindex(state, i) }
    public func pushValue(_ i: Int32) { lua_pushvalue(state, i) }
    public func remove(_ i: Int32) { clua_remove(state, i) }
    public func insert(_ i: Int32) { clua_insert(state, i) }

    public func type(_ i: Int32) -> Int32 { lua_type(state, i) }
    public func isNoneOrNil(_ i: Int32) -> Bool { lua_type(state, i) <= LUA_TNIL }
    public func isNumber(_ i: Int32) -> Bool { lua_type(state, i) == LUA_TNUMBER }
    /// Whether the value is a number with an integer subtype (3, not 3.0).
    public func isInteger(_ i: Int32) -> Bool { lua_isinteger(state, i) != 0 }
    public func isString(_ i: Int32) -> Bool { lua_type(state, i) == LUA_TSTRING }
    public func isTable(_ i: Int32) -> Bool { lua_type(state, i) == LUA_TTABLE }
    public func isFunction(_ i: Int32) -> Bool { lua_type(state, i) == LUA_TFUNCTION }

    /// The type name used in messages: the `__name` of a userdata's metatable
    /// ("tensor", "nn.Module"), else Lua's basic type name ("no value" for none).
    public func typeName(_ i: Int32) -> String {
        let t = lua_type(state, i)
        if t == LUA_TUSERDATA, lua_getmetatable(state, i) != 0 {
            lua_pushstring(state, "__name")
            let ty = lua_rawget(state, -2)
            defer { pop(2) }
            if ty == LUA_TSTRING, let s = clua_tostring(state, -1) { return String(cString: s) }
        }
        return String(cString: lua_typename(state, t))
    }

    // MARK: Push

    public func pushNil() { lua_pushnil(state) }
    public func push(_ v: Double) { lua_pushnumber(state, v) }
    public func push(_ v: Int) { lua_pushinteger(state, lua_Integer(v)) }
    public func push(_ v: Bool) { lua_pushboolean(state, v ? 1 : 0) }
    public func push(_ s: String) {
        var s = s
        s.withUTF8 { b in _ = lua_pushlstring(state, b.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) }, b.count) }
    }
    public func push(_ f: LuaFunction) { topiary_pushfunction(state, FunctionRegistry.id(of: f)) }
    public func newTable(array: Int32 = 0, record: Int32 = 0) { lua_createtable(state, array, record) }

    /// Pushes an array of numbers as a Lua sequence.
    public func push(array: [Double]) {
        newTable(array: Int32(array.count))
        for (i, v) in array.enumerated() { push(v); lua_rawseti(state, -2, lua_Integer(i + 1)) }
    }

    /// Pushes an array of integers as a Lua sequence.
    public func push(ints: [Int]) {
        newTable(array: Int32(ints.count))
        for (i, v) in ints.enumerated() { push(v); lua_rawseti(state, -2, lua_Integer(i + 1)) }
    }

    // MARK: Read

    public func toNumber(_ i: Int32) -> Double? {
        guard lua_type(state, i) == LUA_TNUMBER else { return nil }
        return clua_tonumber(state, i)
    }

    public func toBool(_ i: Int32) -> Bool { lua_toboolean(state, i) != 0 }

    /// The string at `i` (strings only; numbers are not converted in place).
    public func toString(_ i: Int32) -> String? {
        guard lua_type(state, i) == LUA_TSTRING else { return nil }
        var len = 0
        guard let p = lua_tolstring(state, i, &len) else { return nil }
        return String(decoding: UnsafeRawBufferPointer(start: p, count: len), as: UTF8.self)
    }

    /// The string at `i` if its bytes are valid UTF-8; nil for other values. Throws for
    /// a string that is not UTF-8 (for names that must not be rewritten: decoding would
    /// turn every bad byte into U+FFFD, so two different names could collide).
    public func toUTF8String(_ i: Int32, _ what: @autoclosure () -> String, argument: Int) throws -> String? {
        guard lua_type(state, i) == LUA_TSTRING else { return nil }
        var len = 0
        guard let p = lua_tolstring(state, i, &len) else { return nil }
        let bytes = UnsafeRawBufferPointer(start: p, count: len)
        guard let s = String(validating: bytes.bindMemory(to: UInt8.self), as: UTF8.self) else {
            let hex = Array("0123456789abcdef")
            let shown = bytes.map { $0 < 0x7f && $0 >= 0x20 ? String(UnicodeScalar($0)) : "\\x" + String([hex[Int($0 >> 4)], hex[Int($0 & 15)]]) }.joined()
            throw LuaError.argument(argument, "\(what()) \"\(shown)\" is not valid UTF-8")
        }
        return s
    }

    // MARK: Argument checks (throw; never raise)

    public func typeError(_ i: Int32, _ expected: String) -> LuaError {
        .argument(Int(i), "\(expected) expected, got \(typeName(i))")
    }

    public func checkNumber(_ i: Int32) throws -> Double {
        guard let v = toNumber(i) else { throw typeError(i, "number") }
        return v
    }

    /// An integer-valued number (3 or 3.0, 2^53 as Lua's math.tointeger takes it); NaN,
    /// infinities, fractions and floats outside int64 are errors.
    public func checkInteger(_ i: Int32) throws -> Int {
        let v = try checkNumber(i)
        if lua_isinteger(state, i) != 0 { return Int(clua_tointeger(state, i)) }
        guard v.isFinite, v == v.rounded(), v >= -0x1p63, v < 0x1p63 else {
            throw LuaError.argument(Int(i), "number has no integer representation")
        }
        return Int(v)
    }

    public func optNumber(_ i: Int32, _ d: Double) throws -> Double { isNoneOrNil(i) ? d : try checkNumber(i) }
    public func optInteger(_ i: Int32, _ d: Int) throws -> Int { isNoneOrNil(i) ? d : try checkInteger(i) }
    public func optInteger(_ i: Int32) throws -> Int? { isNoneOrNil(i) ? nil : try checkInteger(i) }

    public func checkString(_ i: Int32) throws -> String {
        guard let s = toString(i) else { throw typeError(i, "string") }
        return s
    }

    public func optString(_ i: Int32, _ d: String) throws -> String { isNoneOrNil(i) ? d : try checkString(i) }

    public func checkBool(_ i: Int32) throws -> Bool {
        guard lua_type(state, i) == LUA_TBOOLEAN else { throw typeError(i, "boolean") }
        return toBool(i)
    }

    public func checkTable(_ i: Int32) throws {
        guard isTable(i) else { throw typeError(i, "table") }
    }

    public func checkFunction(_ i: Int32) throws {
        guard isFunction(i) else { throw typeError(i, "function") }
    }

    // MARK: Tables (raw access only: no metamethods run)

    /// Pushes t[key] (raw) and returns its type.
    @discardableResult
    public func rawField(_ t: Int32, _ key: String) -> Int32 {
        let t = absIndex(t)
        push(key)
        return lua_rawget(state, t)
    }

    /// Pushes t[i] (raw) and returns its type.
    @discardableResult
    public func rawIndex(_ t: Int32, _ i: Int) -> Int32 { lua_rawgeti(state, t, lua_Integer(i)) }

    /// t[key] = value on top (raw); pops the value.
    public func setField(_ t: Int32, _ key: String) {
        let t = absIndex(t)
        push(key)
        insert(-2)
        lua_rawset(state, t)
    }

    /// t[i] = value on top (raw); pops the value.
    public func setIndex(_ t: Int32, _ i: Int) { lua_rawseti(state, t, lua_Integer(i)) }

    /// The raw length of a table or string.
    public func rawLength(_ i: Int32) -> Int { Int(lua_rawlen(state, i)) }

    /// Iterates a table's (key, value) pairs with lua_next; `body` sees key at -2 and
    /// value at -1 and must leave the stack as it found it.
    public func forEachPair(_ t: Int32, _ body: () throws -> Void) rethrows {
        let t = absIndex(t)
        pushNil()
        while lua_next(state, t) != 0 {
            do { try body() } catch { pop(2); throw error }
            pop(1)
        }
    }

    /// Sets a global (raw, on the globals table).
    public func setGlobal(_ name: String) {
        clua_pushglobaltable(state)
        insert(-2)
        setField(-2, name)
        pop(1)
    }

    /// Pushes a global (raw).
    @discardableResult
    public func getGlobal(_ name: String) -> Int32 {
        clua_pushglobaltable(state)
        let t = rawField(-1, name)
        remove(-2)
        return t
    }

    /// Prints `text` through the global `print` (so whatever captures `print`, a notebook
    /// cell, captures it too). An error in `print` is raised again unchanged by `dispatch`.
    public func printLine(_ text: String) throws {
        try LuaCallback.callGlobal(self, "print") { L in L.push(text); return 1 }
    }
}
