import CLua
import CLuaShim
import Tensor
import Text

/// Renders Lua values for people (the REPL's results, notebook outputs): tensors in
/// NumPy's layout, tables with sorted keys up to a depth limit and with cycles marked,
/// and everything else on one line. Tables are read with raw access; only `__tostring`
/// (of values that define it) runs Lua code, under pcall.
///
///     {1, 2, name = "conv1", shape = {3, 3}, self = <cycle>}
public struct PrettyPrinter {
    /// Table nesting shown before `{...}`.
    public var depth = 4
    /// Entries shown per table before `... (n more)`.
    public var maxItems = 100
    /// Tables that fit in this many characters stay on one line.
    public var width = 80
    /// ANSI colours (numbers, strings, keywords, dimmed references).
    public var colour = false
    /// Tensor layout.
    public var tensorFormat = TensorFormat()

    public init(colour: Bool = false) { self.colour = colour }

    /// The value at `i` as shown at the top level: strings raw (as `print` shows them),
    /// tensors in full, tables laid out over several lines when long.
    public func render(_ L: Lua, _ i: Int32) -> String {
        let i = L.absIndex(i)
        switch L.type(i) {
        case LUA_TSTRING: return L.toString(i) ?? ""
        case LUA_TUSERDATA:
            if let t = try? L.tensor(i) {
                let s = t.formattedValues(tensorFormat)
                return s + "\n" + paint(t.footer, .dim)
            }
        default: break
        }
        if L.type(i) == LUA_TTABLE || L.type(i) == LUA_TUSERDATA, let s = customText(L, i, firstLineOnly: false) { return s }
        var ancestors: Set<UnsafeRawPointer> = []
        return layout(node(L, i, level: 0, ancestors: &ancestors), indent: 0)
    }

    /// One line describing the value at `i` without its contents: `tensor float32 [2, 3]`,
    /// `table (3 items, 2 fields)`, `function sum`, `number 2.5`, `string "abc"`.
    public static func summary(_ L: Lua, _ i: Int32) -> String {
        let i = L.absIndex(i)
        switch L.type(i) {
        case LUA_TNIL: return "nil"
        case LUA_TBOOLEAN: return "boolean " + (L.toBool(i) ? "true" : "false")
        case LUA_TNUMBER: return "number " + numberText(L, i)
        case LUA_TSTRING:
            let s = L.toString(i) ?? ""
            return "string " + LuaString.quote(s.count > 40 ? String(s.prefix(40)) + "…" : s)
        case LUA_TFUNCTION: return "function " + functionName(L, i)
        case LUA_TTABLE:
            let (n, fields) = countEntries(L, i)
            var parts: [String] = []
            if n > 0 { parts.append("\(n) item" + (n == 1 ? "" : "s")) }
            if fields > 0 { parts.append("\(fields) field" + (fields == 1 ? "" : "s")) }
            return "table" + (parts.isEmpty ? " (empty)" : " (" + parts.joined(separator: ", ") + ")")
        case LUA_TUSERDATA:
            if let t = try? L.tensor(i) { return "tensor \(t.dtype.rawValue) \(shapeString(t.shape))" }
            if (try? L.object(i, of: Lua.tensorType)) == nil, L.isObject(i, of: Lua.tensorType) { return "tensor (closed)" }
            return L.typeName(i)
        default: return L.typeName(i)
        }
    }

    // MARK: Building

    enum Style { case plain, number, string, keyword, dim }

    indirect enum Node {
        case atom(String, Style)
        /// `prefix{ items }`; each item has an optional key text.
        case table(prefix: String, items: [(key: String?, value: Node)], more: Int)
    }

    func node(_ L: Lua, _ i: Int32, level: Int, ancestors: inout Set<UnsafeRawPointer>) -> Node {
        switch L.type(i) {
        case LUA_TNIL: return .atom("nil", .keyword)
        case LUA_TBOOLEAN: return .atom(L.toBool(i) ? "true" : "false", .keyword)
        case LUA_TNUMBER: return .atom(PrettyPrinter.numberText(L, i), .number)
        case LUA_TSTRING: return .atom(LuaString.quote(PrettyPrinter.bytes(L, i)), .string)
        case LUA_TFUNCTION: return .atom("<function \(PrettyPrinter.functionName(L, i))>", .dim)
        case LUA_TTABLE:
            if let s = customText(L, i) { return .atom(s, .plain) }
            return table(L, i, level: level, ancestors: &ancestors)
        case LUA_TUSERDATA:
            if L.isObject(i, of: Lua.tensorType) { return .atom("<\(PrettyPrinter.summary(L, i))>", .dim) }
            if let s = customText(L, i) { return .atom(s, .plain) }
            return .atom("<\(L.typeName(i))>", .dim)
        default:
            return .atom("<\(L.typeName(i))>", .dim)
        }
    }

    /// `tostring(v)` for values whose metatable has `__tostring` (nested: first line only).
    func customText(_ L: Lua, _ i: Int32, firstLineOnly: Bool = true) -> String? {
        guard lua_getmetatable(L.state, i) != 0 else { return nil }
        let has = L.rawField(-1, "__tostring") != LUA_TNIL
        L.pop(2)
        guard has else { return nil }
        guard topiary_tolstring(L.state, i) == LUA_OK else {
            L.pop()
            return "<\(L.typeName(i)): __tostring failed>"
        }
        let s = L.toString(-1) ?? ""
        L.pop()
        guard firstLineOnly, let nl = s.firstIndex(of: "\n") else { return s }
        return String(s[..<nl]) + " …"
    }

    func table(_ L: Lua, _ t: Int32, level: Int, ancestors: inout Set<UnsafeRawPointer>) -> Node {
        let t = L.absIndex(t)
        let id = UnsafeRawPointer(lua_topointer(L.state, t)!)
        if ancestors.contains(id) { return .atom("<cycle>", .dim) }
        var prefix = ""
        if lua_getmetatable(L.state, t) != 0 {
            if L.rawField(-1, "__name") == LUA_TSTRING { prefix = L.toString(-1) ?? "" }
            L.pop(2)
        }
        if level >= depth {
            return .atom(PrettyPrinter.isEmptyTable(L, t) ? prefix + "{}" : prefix + "{...}", .plain)
        }
        guard lua_checkstack(L.state, 8) != 0 else { return .atom("{...}", .plain) }
        ancestors.insert(id)
        defer { ancestors.remove(id) }

        var items: [(key: String?, value: Node)] = []
        var shown = 0, total = 0
        // The sequence 1..n first, without keys.
        var n = 0
        while L.rawIndex(t, n + 1) != LUA_TNIL {
            n += 1; total += 1
            if shown < maxItems { items.append((nil, node(L, -1, level: level + 1, ancestors: &ancestors))); shown += 1 }
            L.pop()
        }
        L.pop()
        // Then the other keys, sorted: numbers, strings, booleans, then the rest.
        var keyed: [(order: KeyOrder, key: String, value: Node)] = []
        L.forEachPair(t) {
            if L.isNumber(-2), lua_isinteger(L.state, -2) != 0 {
                let k = clua_tointeger(L.state, -2)
                if k >= 1 && k <= n { return }
            }
            total += 1
            guard keyed.count + shown < maxItems else { return }
            let (order, text) = keyText(L, -2)
            keyed.append((order, text, node(L, -1, level: level + 1, ancestors: &ancestors)))
        }
        keyed.sort { $0.order < $1.order }
        for k in keyed { items.append((k.key, k.value)) }
        return .table(prefix: prefix, items: items, more: total - items.count)
    }

    /// How keys sort and how they are written (`name`, `["a b"]`, `[3]`).
    struct KeyOrder: Comparable {
        let rank: Int, number: Double, text: String
        static func < (a: KeyOrder, b: KeyOrder) -> Bool {
            if a.rank != b.rank { return a.rank < b.rank }
            if a.number != b.number { return a.number < b.number }
            return a.text < b.text
        }
    }

    func keyText(_ L: Lua, _ i: Int32) -> (KeyOrder, String) {
        switch L.type(i) {
        case LUA_TNUMBER:
            let v = L.toNumber(i) ?? 0
            return (KeyOrder(rank: 0, number: v.isNaN ? -.infinity : v, text: ""), "[\(PrettyPrinter.numberText(L, i))]")
        case LUA_TSTRING:
            let s = L.toString(i) ?? ""
            return (KeyOrder(rank: 1, number: 0, text: s), Lexer.isIdentifier(s) ? s : "[\(LuaString.quote(PrettyPrinter.bytes(L, i)))]")
        case LUA_TBOOLEAN:
            let b = L.toBool(i)
            return (KeyOrder(rank: 2, number: b ? 1 : 0, text: ""), b ? "[true]" : "[false]")
        default:
            let s = PrettyPrinter.summary(L, i)
            let addr = String(UInt(bitPattern: lua_topointer(L.state, i)), radix: 16)
            return (KeyOrder(rank: 3, number: 0, text: s + addr), "[<\(s)>]")
        }
    }

    // MARK: Layout

    func layout(_ n: Node, indent: Int) -> String {
        switch n {
        case .atom(let s, let style): return paint(s, style)
        case .table(let prefix, let items, let more):
            if items.isEmpty && more == 0 { return prefix + "{}" }
            if let flat = flat(n), flat.count + indent <= width { return layoutFlat(n) }
            let pad = String(repeating: " ", count: indent + 2)
            var lines = items.map { item in
                pad + (item.key.map { $0 + " = " } ?? "") + layout(item.value, indent: indent + 2)
            }
            if more > 0 { lines.append(pad + paint("... (\(more) more)", .dim)) }
            return prefix + "{\n" + lines.joined(separator: ",\n") + "\n" + String(repeating: " ", count: indent) + "}"
        }
    }

    /// The one-line plain text of a node (nil if an atom spans lines).
    func flat(_ n: Node) -> String? {
        switch n {
        case .atom(let s, _): return s.contains("\n") ? nil : s
        case .table(let prefix, let items, let more):
            var parts: [String] = []
            for item in items {
                guard let v = flat(item.value) else { return nil }
                parts.append((item.key.map { $0 + " = " } ?? "") + v)
            }
            if more > 0 { parts.append("... (\(more) more)") }
            return prefix + "{" + parts.joined(separator: ", ") + "}"
        }
    }

    func layoutFlat(_ n: Node) -> String {
        switch n {
        case .atom(let s, let style): return paint(s, style)
        case .table(let prefix, let items, let more):
            var parts = items.map { ($0.key.map { $0 + " = " } ?? "") + layoutFlat($0.value) }
            if more > 0 { parts.append(paint("... (\(more) more)", .dim)) }
            return prefix + "{" + parts.joined(separator: ", ") + "}"
        }
    }

    func paint(_ s: String, _ style: Style) -> String {
        guard colour else { return s }
        let code: String
        switch style {
        case .plain: return s
        case .number: code = "36"
        case .string: code = "32"
        case .keyword: code = "35"
        case .dim: code = "2"
        }
        return "\u{1B}[\(code)m" + s + "\u{1B}[0m"
    }

    // MARK: Helpers

    /// A number as Lua's `tostring` writes it (`3`, `2.5`, `1e+20`, `nan`).
    static func numberText(_ L: Lua, _ i: Int32) -> String {
        if lua_isinteger(L.state, i) != 0 { return String(clua_tointeger(L.state, i)) }
        let v = clua_tonumber(L.state, i)
        if v.isNaN { return v.sign == .minus ? "-nan" : "nan" }
        if v.isInfinite { return v < 0 ? "-inf" : "inf" }
        var s = String(format: "%.14g", v)
        if !s.contains(where: { ".eEn".contains($0) }) { s += ".0" }   // LUAI_NUMFFORMAT adds ".0"
        return s
    }

    /// The bytes of the string at `i`, as they are (not decoded as UTF-8).
    static func bytes(_ L: Lua, _ i: Int32) -> [UInt8] {
        var len = 0
        guard let p = lua_tolstring(L.state, i, &len) else { return [] }
        return Array(UnsafeRawBufferPointer(start: p, count: len))
    }

    /// `sum` for Topiary's functions, `stdin:3` for Lua functions, `builtin` for C ones.
    static func functionName(_ L: Lua, _ i: Int32) -> String {
        if let f = LuaFunction.at(L, i) { return f.name }
        var ar = lua_Debug()
        L.pushValue(i)
        guard lua_getinfo(L.state, ">S", &ar) != 0 else { return "?" }
        if ar.what.map({ String(cString: $0) }) == "C" { return "builtin" }
        let src = withUnsafeBytes(of: &ar.short_src) { b in
            String(cString: b.baseAddress!.assumingMemoryBound(to: CChar.self))
        }
        return "\(src):\(ar.linedefined)"
    }

    static func countEntries(_ L: Lua, _ t: Int32) -> (items: Int, fields: Int) {
        var n = 0
        while L.rawIndex(t, n + 1) != LUA_TNIL { L.pop(); n += 1 }
        L.pop()
        var total = 0
        L.forEachPair(t) { total += 1 }
        return (n, total - n)
    }

    static func isEmptyTable(_ L: Lua, _ t: Int32) -> Bool {
        L.pushNil()
        guard lua_next(L.state, t) != 0 else { return true }
        L.pop(2)
        return false
    }
}
