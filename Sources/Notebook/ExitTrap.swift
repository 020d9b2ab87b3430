import CLua
import CLuaShim
import LuaHost

/// `os.exit` inside a notebook. Ending the process from a cell would leave no record of
/// the run (stale outputs would stay and `notebook run` would report success) and would
/// end a replay before the later cells are compared. So in a notebook `os.exit(code)`
/// stops the run instead: it raises an error that `pcall` cannot swallow (a sticky
/// interrupt), the cell fails, and no later cell runs.
final class ExitTrap {
    /// The code passed to `os.exit` (true → 0, false → 1, as Lua maps them), once called.
    var code: Int?
    /// The line of the call in its chunk (of the innermost Lua function calling it).
    var line: Int?

    static let typeName = "topiary.notebook.exit"

    /// Replaces `os.exit` in `interpreter` with one that records the call in this trap.
    func install(in interpreter: Interpreter) {
        let L = interpreter.lua
        L.pushObject(self, as: ExitTrap.typeName)
        L.setField(clua_registryindex(), ExitTrap.typeName)
        if L.getGlobal("os") == LUA_TTABLE {
            L.push(ExitTrap.exit)
            L.setField(-2, "exit")
        }
        L.pop()
    }

    /// The `os.exit` of a notebook: records the code and stops the run.
    static let exit = LuaFunction("exit", doc: """
        os.exit([code]) -- in a notebook: stops the run with the cell failed; the process goes on
        Example: os.exit(1)
        """) { L in
        var code = 0
        if lua_type(L.state, 1) == LUA_TBOOLEAN { code = L.toBool(1) ? 0 : 1 }
        else if !L.isNoneOrNil(1) { code = try L.checkInteger(1) }
        L.rawField(clua_registryindex(), typeName)
        let trap = (try? L.object(-1, of: typeName)) as? ExitTrap
        L.pop()
        if let trap, trap.code == nil {
            trap.code = code
            // The innermost Lua caller (os.exit may be called through pcall).
            var ar = lua_Debug()
            var level: Int32 = 1
            while trap.line == nil, lua_getstack(L.state, level, &ar) != 0 {
                if lua_getinfo(L.state, "l", &ar) != 0, ar.currentline > 0 { trap.line = Int(ar.currentline) }
                level += 1
            }
        }
        topiary_interrupt_sticky(L.state)
        throw LuaError.message("os.exit(\(code)) called: a notebook cell cannot end the process; the run stops here")
    }
}
