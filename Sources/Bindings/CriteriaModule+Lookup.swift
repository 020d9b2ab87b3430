import LuaHost
import Pruning

extension CriteriaModule {
    /// The built-in criterion `name` with options written as a Lua table constructor
    /// (`"{t = 1, s = 0}"`), read in `interp` exactly as `prune.plan` reads its option
    /// table; nil when no built-in has that name. For Swift callers such as `topiary bench`.
    /// A bad option is the error `prune.plan` would raise.
    public static func criterion(named name: String, options: String = "{}", in interp: Interpreter) throws -> (any Criterion)? {
        let L = interp.lua
        let top = L.top
        defer { L.setTop(top) }
        try interp.compile("return " + options, name: "=(criterion options)")
        _ = try interp.call(nargs: 0)
        return try builtin(name, try LuaOptions(L, L.absIndex(-1)))
    }
}
