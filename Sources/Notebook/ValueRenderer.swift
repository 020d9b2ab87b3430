import Bindings
import CLua
import LuaHost
import Plot

/// Turns the values a cell returns into outputs: plots become images, lists of records
/// become tables, and everything else is shown as the REPL shows it (`PrettyPrinter`).
struct ValueRenderer {
    let interpreter: Interpreter
    var L: Lua { interpreter.lua }
    let printer = PrettyPrinter()

    static let maxRows = 500

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
            } else {
                out.append(CellOutput(kind: .value, text: printer.render(L, i)))
            }
        }
        return out
    }

    func hasToString(_ i: Int32) -> Bool {
        guard lua_getmetatable(L.state, i) != 0 else { return false }
        defer { L.pop(2) }
        return L.rawField(-1, "__tostring") != LUA_TNIL
    }
}
