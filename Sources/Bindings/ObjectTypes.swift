import CLua
import LuaHost

/// Userdata types with methods: the metatable gets the metamethods, and `__index` is
/// the methods table (kept in the registry under `topiary.methods.<name>`, so a custom
/// `__index` function can look methods up with `pushMethod`).
enum ObjectTypes {
    static func register(_ L: Lua, _ name: String, methods: [LuaFunction], metamethods: [LuaFunction] = []) {
        L.newTable()
        for f in methods { L.push(f); L.setField(-2, f.name) }
        L.pushValue(-1)
        L.setField(clua_registryindex(), "topiary.methods." + name)
        L.pushMetatable(name)
        for f in metamethods { L.push(f); L.setField(-2, f.name) }
        if !metamethods.contains(where: { $0.name == "__index" }) {
            L.pushValue(-2)
            L.setField(-2, "__index")
        }
        L.pop(2)
    }

    /// Pushes method `key` of type `name` (nil if there is none).
    static func pushMethod(_ L: Lua, _ name: String, _ key: Int32) {
        L.rawField(clua_registryindex(), "topiary.methods." + name)
        L.pushValue(key)
        lua_rawget(L.state, -2)
        L.remove(-2)
    }

    /// A number or a list of numbers, as an array.
    static func numbers(_ L: Lua, _ i: Int32, _ what: String) throws -> [Double] {
        if let v = L.toNumber(i) { return [v] }
        guard L.isTable(i) else { throw L.typeError(i, "number or table of numbers") }
        var out: [Double] = []
        for k in stride(from: 1, through: L.rawLength(i), by: 1) {
            L.rawIndex(i, k)
            defer { L.pop() }
            guard let v = L.toNumber(-1) else {
                throw LuaError.argument(Int(i), "\(what) entry \(k) must be a number, got \(L.typeName(-1))")
            }
            out.append(v)
        }
        return out
    }
}
