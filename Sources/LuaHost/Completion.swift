import CLua

/// Tab completion and name lookup without running Lua code: globals, table fields
/// (following `__index` tables), and the methods of userdata, found in the registry
/// table `topiary.methods.<typename>` (the tensor methods are `topiary.methods.tensor`).
/// Only raw accesses are made, so no metamethod ever runs.
public enum Completion {
    /// Completions for the name being typed at the end of `line` (the text before the
    /// cursor): the partial word and the sorted candidates that extend it (bare names,
    /// without the `tensor.` or `x:` before them). Names starting with `__` are offered
    /// only when the partial word starts with `_`.
    public static func candidates(_ L: Lua, line: String) -> (word: String, candidates: [String]) {
        guard let name = Lexer.trailingName(line), let parts = Lexer.splitName(name) else { return ("", []) }
        let word = parts.last!.name
        var names: Set<String> = []
        let base = L.top
        defer { L.setTop(base) }
        if parts.count == 1 {
            clua_pushglobaltable(L.state)
            names = fieldNames(L, -1, methodsOnly: false)
            names.formUnion(Lexer.keywords)
        } else {
            guard L.rawLookup(parts.dropLast().map(\.name)) else { return (word, []) }
            names = fieldNames(L, -1, methodsOnly: parts.last!.separator == ":")
        }
        let hidePrivate = !word.hasPrefix("_")
        let matches = names.filter { $0.hasPrefix(word) && !(hidePrivate && $0.hasPrefix("__")) }
        return (word, matches.sorted())
    }

    /// The identifier-like keys of the value at `i` and of what it inherits: a table's own
    /// keys and those of its `__index` tables; a userdata's registered methods; a string's
    /// `string` library functions. With `methodsOnly`, only keys whose value is a function.
    public static func fieldNames(_ L: Lua, _ i: Int32, methodsOnly: Bool) -> Set<String> {
        let i = L.absIndex(i)
        var names: Set<String> = []
        let base = L.top
        defer { L.setTop(base) }
        for t in L.pushFieldSources(i) {
            L.forEachPair(t) {
                guard let k = L.toString(-2), Lexer.isIdentifier(k) || k.hasPrefix("__") else { return }
                if methodsOnly && L.type(-1) != LUA_TFUNCTION { return }
                names.insert(k)
            }
        }
        // Named fields of a bound type (`conv.weight`), listed by Swift code.
        if !methodsOnly, let entry = LuaTypeFields.entry(L, i) {
            names.formUnion(entry.names(L, i).filter(Lexer.isIdentifier))
        }
        return names
    }
}

extension Lua {
    /// Pushes the value of a dotted name (`["tensor", "zeros"]`), starting from the globals
    /// and looking each part up with `rawField(_:_:of:)`. Returns false (pushing nothing)
    /// if some part is missing.
    public func rawLookup(_ path: [String]) -> Bool {
        let base = top
        clua_pushglobaltable(state)
        for name in path {
            guard rawField(of: -1, name) else { setTop(base); return false }
            remove(-2)
        }
        return true
    }

    /// Pushes the field `key` of the value at `i` as completion sees it, with raw access
    /// only: a table's own field or one from its `__index` tables, a userdata's method.
    /// Returns false (pushing nothing) when there is none.
    public func rawField(of i: Int32, _ key: String) -> Bool {
        let base = top
        for t in pushFieldSources(i) {
            if rawField(t, key) != LUA_TNIL {
                let v = absIndex(-1)
                pushValue(v)
                clua_replace(state, base + 1)
                setTop(base + 1)
                return true
            }
            pop()
        }
        setTop(base)
        return false
    }

    /// Pushes the tables where fields of the value at `i` are found (the value itself if
    /// it is a table, then `__index` tables up the chain; for userdata also the registry
    /// table `topiary.methods.<__name>`) and returns their indices. The caller resets the top.
    func pushFieldSources(_ i: Int32) -> [Int32] {
        var sources: [Int32] = []
        guard lua_checkstack(state, 24) != 0 else { return [] }
        var current = absIndex(i)
        if type(current) == LUA_TUSERDATA, lua_getmetatable(state, current) != 0 {
            var key: String? = nil
            if rawField(-1, "__name") == LUA_TSTRING, let name = toString(-1) { key = "topiary.methods." + name }
            pop()
            if let key {
                if rawField(clua_registryindex(), key) == LUA_TTABLE { sources.append(absIndex(-1)) } else { pop() }
            }
        }
        if type(current) == LUA_TTABLE { sources.append(current) }
        // Follow __index tables (bounded, in case of a loop).
        for _ in 0..<16 {
            guard lua_getmetatable(state, current) != 0 else { break }
            let ty = rawField(-1, "__index")
            remove(-2)
            guard ty == LUA_TTABLE else { pop(); break }
            current = absIndex(-1)
            if sources.contains(where: { lua_rawequal(state, $0, current) != 0 }) { break }
            sources.append(current)
        }
        return sources
    }
}
