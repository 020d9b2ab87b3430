import Bindings
import CLua
import LuaHost
import Plot

/// Turns the values a cell returns into outputs: plots become images, lists of records
/// become tables, other tables a Lua-like literal with sorted keys, anything else its
/// `tostring`. Tables are read raw (no metamethods run) except for `__tostring`.
struct ValueRenderer {
    let interpreter: Interpreter
    var L: Lua { interpreter.lua }

    static let maxItems = 100, maxDepth = 4, maxRows = 500

    /// Outputs for the values at stack slots `range`. All-nil results show nothing.
    func outputs(_ range: ClosedRange<Int32>) -> [CellOutput] {
        if range.allSatisfy({ L.type($0) == LUA_TNIL }) { return [] }
        var out: [CellOutput] = []
        for i in range {
            if let chart = PlotModule.chart(L, i) {
                out.append(CellOutput(kind: .image, text: chart.summary, svg: chart.svg()))
            } else if L.typeName(i) == "FILE*" {
                continue   // io.write's return value
            } else if L.isTable(i), !hasToString(i), let table = recordTable(i) {
                out.append(table)
            } else if L.isTable(i), !hasToString(i) {
                var seen: Set<UnsafeRawPointer> = []
                out.append(CellOutput(kind: .value, text: literal(i, depth: 0, indent: "", seen: &seen)))
            } else if let s = L.toString(i) {
                out.append(CellOutput(kind: .value, text: s))
            } else {
                out.append(CellOutput(kind: .value, text: interpreter.tostring(i)))
            }
        }
        return out
    }

    func hasToString(_ i: Int32) -> Bool {
        guard lua_getmetatable(L.state, i) != 0 else { return false }
        defer { L.pop(2) }
        return L.rawField(-1, "__tostring") != LUA_TNIL
    }

    // MARK: Lua-like literals

    /// `{1, 2, 3}` or `{a = 1, b = "x"}`, on one line when short, else one entry a line.
    func literal(_ t: Int32, depth: Int, indent: String, seen: inout Set<UnsafeRawPointer>) -> String {
        let t = L.absIndex(t)
        guard let p = lua_topointer(L.state, t) else { return "{}" }
        if seen.contains(p) { return "<cycle>" }
        if depth >= ValueRenderer.maxDepth { return "{…}" }
        seen.insert(p)
        defer { seen.remove(p) }
        let n = L.rawLength(t)
        var items: [String] = []
        var keyed: [(group: Int, number: Double, name: String, text: String)] = []
        let inner = indent + "  "
        for k in stride(from: 1, through: min(n, ValueRenderer.maxItems), by: 1) {
            L.rawIndex(t, k)
            items.append(element(-1, depth: depth, indent: inner, seen: &seen))
            L.pop()
        }
        if n > ValueRenderer.maxItems { items.append("… \(n - ValueRenderer.maxItems) more") }
        L.forEachPair(t) {
            if L.type(-2) == LUA_TNUMBER, let v = L.toNumber(-2), v == v.rounded(), v >= 1, v <= Double(n) { return }
            // Numbers first (by value), then strings, then other keys.
            let key: String, group: Int, number: Double
            if let s = L.toString(-2) {
                (key, group, number) = (isIdentifier(s) ? s : "[\(quoted(s))]", 1, 0)
            } else if let v = L.toNumber(-2) {
                (key, group, number) = ("[\(interpreter.tostring(-2))]", 0, v)
            } else {
                (key, group, number) = ("[\(interpreter.tostring(-2))]", 2, 0)
            }
            keyed.append((group, number, key, "\(key) = \(element(-1, depth: depth, indent: inner, seen: &seen))"))
        }
        keyed.sort { ($0.group, $0.number, $0.name) < ($1.group, $1.number, $1.name) }
        if keyed.count > ValueRenderer.maxItems {
            let more = keyed.count - ValueRenderer.maxItems
            keyed = Array(keyed.prefix(ValueRenderer.maxItems)) + [(3, 0, "", "… \(more) more")]
        }
        let all = items + keyed.map(\.text)
        if all.isEmpty { return "{}" }
        let flat = "{" + all.joined(separator: ", ") + "}"
        if flat.count + indent.count <= 80 && !flat.contains("\n") { return flat }
        return "{\n" + all.map { inner + $0 }.joined(separator: ",\n") + "\n" + indent + "}"
    }

    func element(_ i: Int32, depth: Int, indent: String, seen: inout Set<UnsafeRawPointer>) -> String {
        switch L.type(i) {
        case LUA_TSTRING: return quoted(L.toString(i) ?? "")
        case LUA_TTABLE where !hasToString(i): return literal(i, depth: depth + 1, indent: indent, seen: &seen)
        default:
            let s = interpreter.tostring(i)
            if let first = s.split(separator: "\n").first, s.contains("\n") {
                if let tensor = try? L.tensor(i) {
                    return "tensor(\(tensor.shape.map(String.init).joined(separator: "x")), \(tensor.dtype))"
                }
                return String(first) + " …"
            }
            return s
        }
    }

    func quoted(_ s: String) -> String { luaQuoted(s) }

    func isIdentifier(_ s: String) -> Bool {
        guard let f = s.first, f == "_" || (f.isASCII && f.isLetter) else { return false }
        let reserved: Set<String> = ["and", "break", "do", "else", "elseif", "end", "false", "for", "function", "goto", "if",
                                     "in", "local", "nil", "not", "or", "repeat", "return", "then", "true", "until", "while"]
        return s.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) } && !reserved.contains(s)
    }
}
