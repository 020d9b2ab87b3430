import CLua
import Foundation
import LuaHost
import Tensor
import Text

extension TopiaryModule {
    /// The values a script has reported, one store per Lua state. With TOPIARY_REPORT set
    /// (as `topiary sweep` sets it for each task) every `report{...}` rewrites that file.
    final class ReportStore {
        var values: [(String, JSON)] = []
        let path: String? = ProcessInfo.processInfo.environment["TOPIARY_REPORT"].flatMap { $0.isEmpty ? nil : $0 }
    }

    static let reportKey = "topiary.report"

    static func reportStore(_ L: Lua) -> ReportStore {
        L.rawField(clua_registryindex(), reportKey)
        defer { L.pop() }
        if let s = (try? L.object(-1, of: reportKey)) as? ReportStore { return s }
        let s = ReportStore()
        L.pushObject(s, as: reportKey)
        L.setField(clua_registryindex(), reportKey)
        return s
    }

    static let report = LuaFunction("report", doc: """
        report{name = value, ...} -> table
        Records results of this run (numbers, strings, booleans) for `topiary sweep collect`:
        a later value for a name replaces the earlier one. Under `topiary sweep` (TOPIARY_REPORT
        set) each call rewrites the task's report.json atomically; elsewhere the values are only
        kept. Returns every value reported so far; report() just returns them. Also topiary.report.
        Example:
          report{top1 = 0.912, macs = 62.5e6, criterion = "l1"}
        """) { L in
        let store = reportStore(L)
        if !L.isNoneOrNil(1) {
            try L.checkTable(1)
            var fresh: [(String, JSON)] = []
            var bad: LuaError?
            L.forEachPair(1) {
                guard bad == nil else { return }
                guard let k = L.toString(-2) else { bad = .argument(1, "report names must be strings, got a \(L.typeName(-2)) key"); return }
                switch L.type(-1) {
                case LUA_TNUMBER: fresh.append((k, L.isInteger(-1) ? .int(Int(lua_tointegerx(L.state, -1, nil))) : .double(L.toNumber(-1)!)))
                case LUA_TSTRING: fresh.append((k, .string(L.toString(-1)!)))
                case LUA_TBOOLEAN: fresh.append((k, .bool(L.toBool(-1))))
                default: bad = .argument(1, "field '\(k)': number, string or boolean expected, got \(L.typeName(-1))")
                }
            }
            if let bad { throw bad }
            for (k, v) in fresh.sorted(by: { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }) {
                if let i = store.values.firstIndex(where: { $0.0 == k }) { store.values[i].1 = v } else { store.values.append((k, v)) }
            }
            if let path = store.path {
                do { try AtomicFile.write(path, bytes: Array((JSON.object(store.values).indented(2) + "\n").utf8), op: "report") }
                catch { throw LuaError.message("report: \(error)") }
            }
        }
        L.newTable()
        for (k, v) in store.values {
            switch v {
            case .int(let i): L.push(i)
            case .double(let d): L.push(d)
            case .string(let s): L.push(s)
            case .bool(let b): L.push(b)
            default: L.pushNil()
            }
            L.setField(-2, k)
        }
        return 1
    }
}
