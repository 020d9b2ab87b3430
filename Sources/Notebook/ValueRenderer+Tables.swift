import CLua
import LuaHost

extension ValueRenderer {
    /// A sequence of tables whose fields are strings, numbers or booleans, as a table with
    /// one column per field name (sorted: Lua does not keep field order).
    func recordTable(_ t: Int32) -> CellOutput? {
        let t = L.absIndex(t)
        let n = L.rawLength(t)
        guard n >= 1 && n <= ValueRenderer.maxRows else { return nil }
        var rows: [[String: String]] = []
        var columns: Set<String> = []
        for k in 1...n {
            guard L.rawIndex(t, k) == LUA_TTABLE, !hasToString(-1) else { L.pop(); return nil }
            var row: [String: String] = [:]
            var ok = L.rawLength(-1) == 0
            L.forEachPair(-1) {
                guard ok, let key = L.toString(-2), L.type(-2) == LUA_TSTRING else { ok = false; return }
                switch L.type(-1) {
                case LUA_TNUMBER, LUA_TBOOLEAN: row[key] = interpreter.tostring(-1)
                case LUA_TSTRING: row[key] = L.toString(-1) ?? ""
                default: ok = false
                }
            }
            L.pop()
            guard ok, !row.isEmpty else { return nil }
            columns.formUnion(row.keys)
            rows.append(row)
        }
        guard L.forEachPairCount(t) == n else { return nil }   // no extra non-sequence keys
        let cols = columns.sorted()
        let cells = rows.map { r in cols.map { r[$0] ?? "" } }
        let numeric = cols.indices.map { c in cells.allSatisfy { Double($0[c]) != nil || $0[c].isEmpty } }
        // Aligned text.
        let widths = cols.indices.map { c in max(cols[c].count, cells.map { $0[c].count }.max() ?? 0) }
        func pad(_ s: String, _ c: Int) -> String {
            let fill = String(repeating: " ", count: widths[c] - s.count)
            return numeric[c] ? fill + s : s + fill
        }
        var text = cols.indices.map { pad(cols[$0], $0) }.joined(separator: "  ")
        for r in cells { text += "\n" + r.indices.map { pad(r[$0], $0) }.joined(separator: "  ") }
        text = text.split(separator: "\n", omittingEmptySubsequences: false).map { trimRight(String($0)) }.joined(separator: "\n")
        // Markdown.
        func esc(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "\\|") }
        var md = "| " + cols.map(esc).joined(separator: " | ") + " |\n"
        md += "|" + numeric.map { $0 ? " ---: |" : " --- |" }.joined() + "\n"
        for r in cells { md += "| " + r.map(esc).joined(separator: " | ") + " |\n" }
        return CellOutput(kind: .table, text: text + "\n", markdown: md)
    }
}

extension Lua {
    /// The number of keys in a table (raw).
    func forEachPairCount(_ t: Int32) -> Int {
        var n = 0
        forEachPair(t) { n += 1 }
        return n
    }
}
