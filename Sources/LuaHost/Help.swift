import CLua
import Foundation

/// The text of `help(x)`: a bound function's documentation (`LuaFunction.doc`), the
/// functions of a module with their first doc line, a tensor's (or any userdata's)
/// methods, or a dotted name looked up without running code (`help("tensor.sum")`).
public enum Help {
    /// Help for the value at `i`; none (an absent argument) gives the overview.
    public static func text(_ L: Lua, _ i: Int32) -> String {
        let i = L.absIndex(i)
        switch L.type(i) {
        case LUA_TNONE: return overview(L)
        case LUA_TSTRING: return named(L, L.toString(i) ?? "")
        default: return describe(L, i, title: nil)
        }
    }

    /// What `help()` prints: how to get help, and the modules loaded.
    public static func overview(_ L: Lua) -> String {
        let modules = loadedModules(L).map(\.name).filter { !Who.standardModules.contains($0) && $0 != "help" }
        return """
        Topiary: Lua 5.4 with tensors and tools for CNN filter pruning.
          help(x)         documentation of a function, a module or a tensor's methods:
                          help(tensor.zeros), help(tensor), help(x), help("tensor.sum")
          help.search(w)  the functions whose name or documentation mentions w
          who()           the global variables you defined, with their types and shapes
        Modules: \(modules.isEmpty ? "(none)" : modules.joined(separator: ", "))
        In the REPL: Tab completes names; `= expr` or a bare expression prints its value,
        a trailing `;` hides it; Ctrl-C interrupts; Ctrl-D quits. Commands:
          :load file      run a Lua file in this session
          :save file      write the session's inputs as a notebook script (jupytext percent)
          :help           this text
        """
    }

    /// Help for a dotted name: looked up from the globals, else among the modules' fields.
    static func named(_ L: Lua, _ name: String) -> String {
        let base = L.top
        defer { L.setTop(base) }
        if let parts = Lexer.splitName(name), parts.last?.name.isEmpty == false,
           L.rawLookup(parts.map(\.name)) {
            return describe(L, -1, title: name)
        }
        guard Lexer.isIdentifier(name) else { return "help: nothing is named '\(name)'" }
        var found: [String] = []
        for m in loadedModules(L) where m.name != "_G" {
            guard L.type(m.index) == LUA_TTABLE else { continue }
            if L.rawField(m.index, name) != LUA_TNIL { found.append(m.name + "." + name) }
            L.pop()
        }
        if found.count == 1 { return named(L, found[0]) }
        if found.isEmpty { return "help: nothing is named '\(name)'" }
        return "Several bindings are named '\(name)': " + found.joined(separator: ", ")
            + "\nAsk for one, e.g. help(\"\(found[0])\")."
    }

    /// Help for the value at `i`, titled `title` (its name) when known.
    static func describe(_ L: Lua, _ i: Int32, title: String?) -> String {
        let i = L.absIndex(i)
        switch L.type(i) {
        case LUA_TFUNCTION:
            if let f = LuaFunction.at(L, i) {
                return f.doc.isEmpty ? "\(title ?? f.name): no documentation yet." : f.doc
            }
            let where_ = PrettyPrinter.functionName(L, i)
            if where_ == "builtin" {
                let name = title ?? qualifiedName(L, i) ?? "this function"
                return "\(name): a function of Lua's standard library (see the Lua 5.4 reference manual, §6)."
            }
            return "\(title ?? "function"): a Lua function defined at \(where_) (no documentation)."
        case LUA_TTABLE:
            if let call = callableDoc(L, i) {
                let list = listing(L, i)
                return list.isEmpty ? call : call + "\nFields:\n" + list
            }
            let module = moduleName(L, i)
            let name = title ?? module
            let kind = module != nil ? PrettyPrinter.summary(L, i).replacingOccurrences(of: "table", with: "module") : PrettyPrinter.summary(L, i)
            return (name.map { "\($0): " } ?? "") + kind + "\n" + listing(L, i)
        case LUA_TUSERDATA:
            var text = (title.map { "\($0): " } ?? "") + PrettyPrinter.summary(L, i)
            let fields = fieldListing(L, i)
            if !fields.isEmpty { text += "\nFields (x.name):\n" + fields }
            let list = listing(L, i)
            if !list.isEmpty { text += "\nMethods (call as x:name(...)):\n" + list }
            return text
        default:
            return (title.map { "\($0): " } ?? "") + PrettyPrinter.summary(L, i)
        }
    }

    /// One line per field (sorted; `__` names left out): functions with the first line of
    /// their documentation, other values with a short summary.
    static func listing(_ L: Lua, _ i: Int32) -> String {
        let names = Completion.fieldNames(L, i, methodsOnly: false).filter { !$0.hasPrefix("__") }.sorted()
        guard !names.isEmpty else { return "" }
        let width = min(names.map(\.count).max() ?? 0, 18)
        var lines: [String] = []
        for n in names {
            guard L.rawField(of: i, n) else { continue }
            defer { L.pop() }
            let text: String
            if let f = LuaFunction.at(L, -1) {
                text = firstLine(f.doc) ?? "(no documentation yet)"
            } else if L.type(-1) == LUA_TFUNCTION {
                text = "function " + PrettyPrinter.functionName(L, -1)
            } else {
                text = PrettyPrinter.summary(L, -1)
            }
            lines.append("  " + n.padding(toLength: max(width, n.count), withPad: " ", startingAt: 0) + "  " + text)
        }
        return lines.joined(separator: "\n")
    }

    /// One line per named field of a bound userdata type (`LuaFields`), in the type's
    /// order, with a summary of its value: `weight  tensor float32 [8, 1, 3, 3]`.
    static func fieldListing(_ L: Lua, _ i: Int32) -> String {
        guard let entry = LuaTypeFields.entry(L, i) else { return "" }
        let names = entry.names(L, i)
        let width = min(names.map(\.count).max() ?? 0, 18)
        var lines: [String] = []
        for n in names {
            let base = L.top
            guard entry.push(L, i, n) else { L.setTop(base); continue }
            let text = PrettyPrinter.summary(L, -1)
            L.setTop(base)
            lines.append("  " + n.padding(toLength: max(width, n.count), withPad: " ", startingAt: 0) + "  " + text)
        }
        return lines.joined(separator: "\n")
    }

    /// The doc of a table's `__call` when it is a bound function (a callable module such as `help`).
    static func callableDoc(_ L: Lua, _ i: Int32) -> String? {
        guard lua_getmetatable(L.state, i) != 0 else { return nil }
        defer { L.pop(2) }
        L.rawField(-1, "__call")
        guard let f = LuaFunction.at(L, -1), !f.doc.isEmpty else { return nil }
        return f.doc
    }

    /// The first non-empty line of a doc text.
    public static func firstLine(_ doc: String) -> String? {
        doc.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.first { !$0.isEmpty }
    }

    /// (name, stack index) of every entry of `package.loaded`, sorted by name. The
    /// values are left on the stack; the caller resets the top.
    static func loadedModules(_ L: Lua) -> [(name: String, index: Int32)] {
        guard L.rawField(clua_registryindex(), "_LOADED") == LUA_TTABLE else { L.pop(); return [] }
        let loaded = L.absIndex(-1)
        var names: [String] = []
        L.forEachPair(loaded) { if let k = L.toString(-2) { names.append(k) } }
        guard lua_checkstack(L.state, Int32(names.count + 8)) != 0 else { return [] }
        return names.sorted().map { n in
            L.rawField(loaded, n)
            return (n, L.absIndex(-1))
        }
    }

    /// The `package.loaded` name of the table at `i`, if it is a loaded module.
    static func moduleName(_ L: Lua, _ i: Int32) -> String? {
        let base = L.top
        defer { L.setTop(base) }
        return loadedModules(L).first { $0.name != "_G" && lua_rawequal(L.state, $0.index, i) != 0 }?.name
    }

    /// `string.format` for a function found in a loaded module (or `print` in the globals).
    static func qualifiedName(_ L: Lua, _ i: Int32) -> String? {
        let base = L.top
        defer { L.setTop(base) }
        for m in loadedModules(L) where L.type(m.index) == LUA_TTABLE {
            var hit: String?
            L.forEachPair(m.index) {
                if hit == nil, let k = L.toString(-2), lua_rawequal(L.state, -1, i) != 0 {
                    hit = m.name == "_G" ? k : m.name + "." + k
                }
            }
            if let hit { return hit }
        }
        return nil
    }
}
