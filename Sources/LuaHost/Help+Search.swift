import CLua
import Foundation

/// `help.search(word)`: the bound functions whose name or documentation mentions a word,
/// found without running Lua code (raw reads of the loaded modules and of the methods
/// tables of userdata types).
extension Help {
    /// (qualified name, first doc line) of every bound function whose name or doc contains
    /// `word` (ignoring case), sorted by name.
    public static func search(_ L: Lua, _ word: String) -> [(name: String, summary: String)] {
        let needle = word.lowercased()
        guard !needle.isEmpty else { return [] }
        return bindings(L).filter { $0.name.lowercased().contains(needle) || $0.function.doc.lowercased().contains(needle) }
            .map { ($0.name, firstLine($0.function.doc) ?? "(no documentation yet)") }
    }

    /// Every bound function reachable from the loaded modules (and tables nested in them:
    /// `nn.zoo`, `train.schedule`, a callable module's `__call`), the methods of userdata
    /// types (`nn.Module:forward`) and their metamethods (`tensor.__add`), each once, sorted
    /// by name. A function reachable under several names (a tensor method is also
    /// `tensor.name`) is listed under a module's name.
    public static func bindings(_ L: Lua) -> [(name: String, function: LuaFunction)] {
        var found: [ObjectIdentifier: (name: String, function: LuaFunction)] = [:]
        func consider(_ qualified: String, _ f: LuaFunction, method: Bool) {
            let key = ObjectIdentifier(f)
            if let old = found[key], !old.name.contains(":") || method { return }
            found[key] = (qualified, f)
        }
        let base = L.top
        defer { L.setTop(base) }
        guard lua_checkstack(L.state, 64) != 0 else { return [] }
        var seen: Set<UnsafeRawPointer> = []
        func walk(_ t: Int32, _ prefix: String, depth: Int) {
            guard let p = lua_topointer(L.state, t), seen.insert(p).inserted else { return }
            var nested: [String] = []
            L.forEachPair(t) {
                guard let k = L.toString(-2) else { return }
                if let f = LuaFunction.at(L, -1) { consider(prefix + "." + k, f, method: false) }
                else if L.type(-1) == LUA_TTABLE && Lexer.isIdentifier(k) { nested.append(k) }
            }
            if lua_getmetatable(L.state, t) != 0 {
                L.rawField(-1, "__call")
                if let f = LuaFunction.at(L, -1) { consider(prefix, f, method: false) }
                L.pop(2)
            }
            guard depth < 3 else { return }
            for k in nested {
                L.rawField(t, k)
                walk(L.absIndex(-1), prefix + "." + k, depth: depth + 1)
                L.pop()
            }
        }
        for m in loadedModules(L) where !Who.standardModules.contains(m.name) && L.type(m.index) == LUA_TTABLE {
            walk(m.index, m.name, depth: 1)
        }
        // Userdata types: registry["topiary.methods.<type>"] and registry["topiary.mt.<type>"].
        let methods = "topiary.methods.", metatables = "topiary.mt."
        var keys: [String] = []
        L.forEachPair(clua_registryindex()) {
            if let k = L.toString(-2), k.hasPrefix(methods) || k.hasPrefix(metatables), L.type(-1) == LUA_TTABLE { keys.append(k) }
        }
        for key in keys.sorted() {
            let isMethods = key.hasPrefix(methods)
            let type = String(key.dropFirst(isMethods ? methods.count : metatables.count))
            L.rawField(clua_registryindex(), key)
            L.forEachPair(-1) {
                guard let k = L.toString(-2), let f = LuaFunction.at(L, -1) else { return }
                if isMethods { consider(type + ":" + k, f, method: true) }
                else if k != "__gc" && k != "__close" { consider(type + "." + k, f, method: true) }
            }
            L.pop()
        }
        return found.values.sorted { $0.name < $1.name }
    }

    /// What `help.search(word)` prints.
    public static func searchText(_ L: Lua, _ word: String) -> String {
        let hits = search(L, word)
        guard !hits.isEmpty else { return "help.search: nothing mentions '\(word)'" }
        let width = min(hits.map(\.name.count).max() ?? 0, 24)
        return "\(hits.count) binding\(hits.count == 1 ? "" : "s") mention '\(word)':\n" + hits.map {
            "  " + $0.name.padding(toLength: max(width, $0.name.count), withPad: " ", startingAt: 0) + "  " + $0.summary
        }.joined(separator: "\n")
    }
}
