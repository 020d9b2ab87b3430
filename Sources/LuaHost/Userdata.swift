import CLua

/// Swift objects as Lua userdata. A userdata holds one retained reference; `__gc` and
/// `__close` release it (the block is then nil, and later use is a clear error).
/// Each type has a metatable kept in the registry under its name, with `__name` set.
extension Lua {
    /// Pushes the metatable registered for `typeName` (creating an empty one if new).
    /// Returns true if it was newly created.
    @discardableResult
    public func pushMetatable(_ typeName: String) -> Bool {
        let key = "topiary.mt." + typeName
        if rawField(clua_registryindex(), key) == LUA_TTABLE { return false }
        pop(1)
        newTable()
        push(typeName); setField(-2, "__name")
        push(LuaFunction("__gc", releaseBox)); setField(-2, "__gc")
        push(LuaFunction("__close", releaseBox)); setField(-2, "__close")
        pushValue(-1)
        setField(clua_registryindex(), key)
        return true
    }

    /// Pushes `object` as a userdata of type `typeName`.
    public func pushObject(_ object: AnyObject, as typeName: String) {
        let block = clua_newuserdata(state, MemoryLayout<UnsafeMutableRawPointer?>.size)!
        block.storeBytes(of: Unmanaged.passRetained(object).toOpaque(), as: UnsafeMutableRawPointer?.self)
        pushMetatable(typeName)
        lua_setmetatable(state, -2)
    }

    /// True if the value at `i` is a userdata of `typeName`.
    public func isObject(_ i: Int32, of typeName: String) -> Bool {
        guard lua_type(state, i) == LUA_TUSERDATA, lua_getmetatable(state, i) != 0 else { return false }
        rawField(clua_registryindex(), "topiary.mt." + typeName)
        defer { pop(2) }
        return lua_rawequal(state, -1, -2) != 0
    }

    /// The object behind a userdata of `typeName` at `i`, nil if the value is not one.
    /// Throws if the userdata was already released by `__close`.
    public func object(_ i: Int32, of typeName: String) throws -> AnyObject? {
        guard isObject(i, of: typeName), let block = lua_touserdata(state, i) else { return nil }
        guard let p = block.load(as: UnsafeMutableRawPointer?.self) else {
            throw LuaError.argument(Int(i), "\(typeName) was closed and can no longer be used")
        }
        return Unmanaged<AnyObject>.fromOpaque(p).takeUnretainedValue()
    }

    /// Like `object`, but a missing or wrong value is an argument error.
    public func checkObject<T: AnyObject>(_ i: Int32, of typeName: String, as: T.Type) throws -> T {
        guard let o = try object(i, of: typeName) as? T else { throw typeError(i, typeName) }
        return o
    }
}

extension LuaFunction {
    /// A `__gc` or `__close` metamethod (`name`) that releases the object as the default
    /// one does, then calls `after` (a type whose objects leave entries elsewhere when they
    /// die: nn.Module's forward hooks).
    public static func releasing(_ name: String, then after: @escaping (Lua) -> Void) -> LuaFunction {
        LuaFunction(name) { L in
            _ = try releaseBox(L)
            after(L)
            return 0
        }
    }
}

/// `__gc` / `__close`: releases the retained reference once. Only for userdata whose
/// metatable is one of ours (a call like `mt.__close(io.stdout)` does nothing).
private let releaseBox: LuaFunction.Body = { L in
    guard L.type(1) == LUA_TUSERDATA, isBox(L, 1), let block = lua_touserdata(L.state, 1) else { return 0 }
    if let p = block.load(as: UnsafeMutableRawPointer?.self) {
        block.storeBytes(of: nil, as: UnsafeMutableRawPointer?.self)
        Unmanaged<AnyObject>.fromOpaque(p).release()
    }
    return 0
}

/// True if the userdata at `i` has the metatable registered for its `__name`.
private func isBox(_ L: Lua, _ i: Int32) -> Bool {
    guard lua_getmetatable(L.state, i) != 0 else { return false }
    defer { L.pop() }
    guard L.rawField(-1, "__name") == LUA_TSTRING, let name = L.toString(-1) else { L.pop(); return false }
    L.pop()
    return L.isObject(i, of: name)
}
