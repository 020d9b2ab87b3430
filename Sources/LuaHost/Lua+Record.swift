/// A value that `Lua.pushRecord` can store in a table field.
public protocol LuaRecordValue {
    func push(to L: Lua)
}

extension Int: LuaRecordValue { public func push(to L: Lua) { L.push(self) } }
extension Double: LuaRecordValue { public func push(to L: Lua) { L.push(self) } }
extension Bool: LuaRecordValue { public func push(to L: Lua) { L.push(self) } }
extension String: LuaRecordValue { public func push(to L: Lua) { L.push(self) } }

extension Lua {
    /// Pushes a new table holding `fields` (set in the order given), for the plain
    /// records Swift hands to Lua callbacks: `{epoch = 1, loss = 0.5, ...}`.
    public func pushRecord(_ fields: KeyValuePairs<String, any LuaRecordValue>) {
        newTable()
        for (key, value) in fields {
            value.push(to: self)
            setField(-2, key)
        }
    }
}
