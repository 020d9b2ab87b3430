import CLua
import CLuaShim
import LuaHost
import Pruning

/// Whole-name matching of layer and group names against names or Lua patterns for one
/// call (`ignore`, `ratios`, `groups`, capture names): `string.find` is fetched once and
/// every (name, pattern) answer is kept, so a loop over groups × slots × patterns calls
/// Lua at most once per distinct pair. Call `release()` when done (a `defer`).
final class NamePatterns {
    private let L: Lua
    private var find: LuaCallback?
    private var known: [String: [String: Bool]] = [:]

    init(_ L: Lua) { self.L = L }

    /// Whether `name` equals `pattern` or is matched whole by it as a Lua pattern
    /// (`string.find(name, "^(" .. pattern .. ")$")`).
    func matches(_ name: String, _ pattern: String) throws -> Bool {
        if name == pattern { return true }
        if let hit = known[pattern]?[name] { return hit }
        guard let f = try finder() else { return false }
        let hit: Bool
        do {
            hit = try f.call(on: L, nresults: 1, { T in T.push(name); T.push("^(" + pattern + ")$"); return 2 }) { T in
                !T.isNoneOrNil(-1)
            }
        } catch let e as LuaCallbackError {
            throw LuaError.message("name pattern '\(pattern)': \(e.message) (names match exactly, or whole as a Lua pattern: %. for a dot)")
        }
        known[pattern, default: [:]][name] = hit
        return hit
    }

    /// `string.find` as a callback, made on first use (nil when `string.find` is gone).
    private func finder() throws -> LuaCallback? {
        if let find { return find }
        let base = L.top
        defer { L.setTop(base) }
        L.getGlobal("string")
        guard L.isTable(-1), L.rawField(-1, "find") == LUA_TFUNCTION else { return nil }
        find = LuaCallback(L, -1, what: "Lua pattern")
        return find
    }

    /// Drops the kept `string.find`.
    func release() { find?.release(L); find = nil }

    /// The groups among `candidates` whose names `pattern` matches; none is an error of
    /// option `field` (argument `arg`) that says what was searched.
    func groups(_ graph: DependencyGraph, among candidates: [Int], matching pattern: String,
                arg: Int, field: String, what: String) throws -> [Int] {
        let hits = try candidates.filter { try matches(graph.groups[$0].name, pattern) }
        guard !hits.isEmpty else { throw LuaError.argument(arg, "field '\(field)': '\(pattern)' matches no \(what)") }
        return hits
    }
}
