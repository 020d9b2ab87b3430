import CLua
import Foundation

/// The text of `who()`: the user's globals — not Lua's standard library, not the
/// modules in `package.loaded` (tensor, nn…), not `help`/`who`/`arg` — sorted, each
/// with a short description (`x   tensor float32 [2, 3]`).
public enum Who {
    /// Globals of Lua's standard library, and the ones the host defines.
    public static let standardGlobals: Set<String> = [
        "_G", "_VERSION", "assert", "collectgarbage", "coroutine", "debug", "dofile", "error",
        "getmetatable", "io", "ipairs", "load", "loadfile", "math", "next", "os", "package",
        "pairs", "pcall", "print", "rawequal", "rawget", "rawlen", "rawset", "require", "select",
        "setmetatable", "string", "table", "tonumber", "tostring", "type", "utf8", "warn", "xpcall",
        "arg", "help", "who", "report",
    ]
    /// Modules of Lua's standard library (names in `package.loaded`).
    public static let standardModules: Set<String> = [
        "_G", "coroutine", "debug", "io", "math", "os", "package", "string", "table", "utf8",
    ]

    /// The names of the user's globals, sorted.
    public static func userGlobals(_ L: Lua) -> [String] {
        let base = L.top
        defer { L.setTop(base) }
        let modules = Help.loadedModules(L)
        clua_pushglobaltable(L.state)
        let g = L.absIndex(-1)
        var names: [String] = []
        L.forEachPair(g) {
            guard let k = L.toString(-2), !standardGlobals.contains(k) else { return }
            if let m = modules.first(where: { $0.name == k }), lua_rawequal(L.state, m.index, -1) != 0 { return }
            names.append(k)
        }
        return names.sorted()
    }

    /// One line per user global: its name and `PrettyPrinter.summary` of its value.
    public static func text(_ L: Lua) -> String {
        let names = userGlobals(L)
        guard !names.isEmpty else { return "No user globals yet." }
        let width = min(names.map(\.count).max() ?? 0, 24)
        return names.map { n in
            L.getGlobal(n)
            defer { L.pop() }
            return n.padding(toLength: max(width, n.count), withPad: " ", startingAt: 0) + "  " + PrettyPrinter.summary(L, -1)
        }.joined(separator: "\n")
    }
}
