import CLua
import Foundation
import LuaHost
import Notebook
import Text

/// Reading a sweep file: a Lua script that calls `sweep{...}` once.
///
///     sweep{
///       notebook = "Notebooks/compare.lua",           -- its parameters cell assigns each grid name
///       grid = {criterion = {"l1", "fpgm"}, ratio = {0.3, 0.5}, seed = {1, 2}, epochs = 1},
///       out = "runs/compare",                        -- one folder per task under it
///       plot = {x = "macs", y = "top1", by = "criterion"},   -- optional, for collect
///       slurm = {partition = "gpu", time = "01:00:00", cpus = 4, mem = "8G", max = 16},  -- optional (time: Slurm's format, or minutes)
///       timeout = 600,                               -- optional: seconds per notebook cell
///     }
///
/// Paths are relative to the directory `topiary sweep` runs in. A grid value is a list of
/// scalars (numbers, strings, booleans) or one scalar (a fixed parameter).
public enum SweepFile {
    static let known: Set<String> = ["notebook", "grid", "out", "plot", "slurm", "timeout"]

    /// Runs the sweep file and returns its sweep, checked against the notebook: it exists,
    /// it parses, and its parameters cell assigns every grid name.
    public static func load(_ path: String) throws -> SweepSpec {
        guard FileManager.default.fileExists(atPath: path) else { throw SweepError("\(path): no such sweep file") }
        var specs: [SweepSpec] = []
        let interp = Interpreter()
        let fn = LuaFunction("sweep", doc: "sweep{notebook = ..., grid = {...}, out = ...}") { L in
            specs.append(try read(L, file: path))
            return 0
        }
        interp.lua.push(fn)
        interp.lua.setGlobal("sweep")
        do { try interp.runFile(path) } catch {
            // The message without Lua's traceback: it names the file and line already.
            let text = "\(error)"
            throw SweepError(String(text[..<(text.range(of: "\nstack traceback:")?.lowerBound ?? text.endIndex)]))
        }
        guard specs.count == 1 else {
            throw SweepError("\(path): a sweep file calls sweep{...} exactly once (it called it \(specs.count) times)")
        }
        try check(specs[0])
        return specs[0]
    }

    /// The notebook exists and assigns every grid name in its parameters cell.
    static func check(_ spec: SweepSpec) throws {
        guard FileManager.default.fileExists(atPath: spec.notebook) else {
            throw SweepError("\(spec.file): notebook '\(spec.notebook)' does not exist (paths are relative to the current directory)")
        }
        let nb: Notebook
        do { nb = try NotebookParser.load(spec.notebook) } catch { throw SweepError("\(spec.file): notebook \(error)") }
        let declared = nb.parameterNames
        for p in spec.grid where !declared.contains(p.name) {
            throw SweepError("\(spec.file): grid parameter '\(p.name)' is not assigned in the parameters cell of \(spec.notebook) (it sets: \(declared.isEmpty ? "nothing; tag a cell parameters" : declared.joined(separator: ", ")))")
        }
    }

    /// The table at argument 1 of `sweep{...}` as a spec.
    static func read(_ L: Lua, file: String) throws -> SweepSpec {
        try L.checkTable(1)
        let o = try LuaOptions(L, 1)
        try o.checkKnown(known, "sweep")
        guard let notebook = try o.string("notebook") else { throw LuaError.argument(1, "field 'notebook' is required: the notebook each task runs") }
        guard let out = try o.string("out"), !out.isEmpty else { throw LuaError.argument(1, "field 'out' is required: the folder that holds one folder per task") }
        o.push("grid")
        defer { L.pop() }
        guard L.isTable(-1) else { throw LuaError.argument(1, "field 'grid' must be a table of parameter = {values...}, got \(L.typeName(-1))") }
        var grid: [(name: String, values: [SweepValue])] = []
        var bad: String?
        try L.forEachPair(-1) {
            guard let name = L.toString(-2) else { bad = "grid keys must be parameter names, got a \(L.typeName(-2)) key"; return }
            grid.append((name, try values(L, -1, name)))
        }
        if let bad { throw LuaError.argument(1, bad) }
        grid.sort { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        var spec = SweepSpec(file: file, notebook: notebook, grid: grid, out: out)
        spec.timeout = try o.number("timeout")
        if let t = spec.timeout, !(t > 0) { throw LuaError.argument(1, "field 'timeout' must be a positive number of seconds") }
        spec.plot = try nested("plot") { try plot(L, o) }
        spec.slurm = try nested("slurm") { try slurm(L, o) }
        // the file and line come from Lua's error position: the message goes without the file
        do { _ = try Grid.expand(spec.grid, file: nil) } catch let e as SweepError { throw LuaError.argument(1, e.message) }
        return spec
    }

    /// Reads a table inside sweep{...}: its errors name argument 1 (LuaOptions names the
    /// stack slot it reads from) and the table: `bad argument #1 to 'sweep' (slurm field 'time': ...)`.
    static func nested<T>(_ name: String, _ read: () throws -> T) throws -> T {
        do { return try read() } catch LuaError.argument(let i, let m) where i != 1 {
            throw LuaError.argument(1, m.hasPrefix("field '") ? "\(name) \(m)" : m)
        }
    }

    /// A grid entry: a list of scalars, or one scalar.
    static func values(_ L: Lua, _ i: Int32, _ name: String) throws -> [SweepValue] {
        if !L.isTable(i) { return [try scalar(L, i, "grid '\(name)'")] }
        let n = L.rawLength(i)
        var pairs = 0
        L.forEachPair(i) { pairs += 1 }
        guard pairs == n else { throw LuaError.argument(1, "grid '\(name)' must be a list like {0.3, 0.5}, not a table with named keys") }
        guard n > 0 else { throw LuaError.argument(1, "grid '\(name)' is an empty list; give at least one value") }
        var out: [SweepValue] = []
        for k in 1...n {
            L.rawIndex(i, k)
            defer { L.pop() }
            out.append(try scalar(L, -1, "grid '\(name)' value \(k)"))
        }
        return out
    }

    static func scalar(_ L: Lua, _ i: Int32, _ what: String) throws -> SweepValue {
        switch L.type(i) {
        case LUA_TNUMBER:
            if L.isInteger(i) { return .int(Int(lua_tointegerx(L.state, i, nil))) }
            let d = L.toNumber(i)!
            guard d.isFinite else { throw LuaError.argument(1, "\(what) is \(d.isNaN ? "NaN" : d > 0 ? "inf" : "-inf"): a grid value must be finite") }
            return .double(d)
        case LUA_TSTRING: return .string(L.toString(i)!)
        case LUA_TBOOLEAN: return .bool(L.toBool(i))
        default: throw LuaError.argument(1, "\(what) must be a number, string or boolean, got \(L.typeName(i))")
        }
    }

    static func plot(_ L: Lua, _ o: LuaOptions) throws -> PlotChoice {
        let t = o.push("plot")
        defer { L.pop() }
        if t == LUA_TNIL { return PlotChoice() }
        guard t == LUA_TTABLE else { throw LuaError.argument(1, "field 'plot' must be a table {x = ..., y = ..., by = ...}") }
        let p = try LuaOptions(L, -1)
        try p.checkKnown(["x", "y", "by"], "plot")
        return PlotChoice(x: try p.string("x"), y: try p.string("y"), by: try p.string("by"))
    }

    static func slurm(_ L: Lua, _ o: LuaOptions) throws -> SlurmOptions {
        var s = SlurmOptions()
        let t = o.push("slurm")
        defer { L.pop() }
        if t == LUA_TNIL { return s }
        guard t == LUA_TTABLE else { throw LuaError.argument(1, "field 'slurm' must be a table {partition = ..., time = ..., cpus = ..., mem = ..., max = ...}") }
        let p = try LuaOptions(L, -1)
        try p.checkKnown(["partition", "time", "cpus", "mem", "max"], "slurm")
        s.partition = try p.string("partition")
        s.time = try time(L, p)
        s.cpus = try p.integer("cpus")
        s.mem = try p.string("mem")
        s.maxRunning = try p.integer("max", s.maxRunning)
        return s
    }

    /// `slurm.time`: a string in Slurm's format (`30:00`, `1-00:00:00`), or a whole number of
    /// minutes (Slurm reads a bare number as minutes).
    static func time(_ L: Lua, _ p: LuaOptions) throws -> String? {
        let t = p.push("time")
        defer { L.pop() }
        guard t == LUA_TNUMBER else { return try p.string("time") }
        guard L.isInteger(-1), let m = L.toNumber(-1), m >= 1 else {
            throw p.fieldError("time", "a number is whole minutes (at least 1), got \(L.toNumber(-1).map { JSON.number($0) } ?? "?"); or give Slurm's format, like \"01:30:00\"")
        }
        return String(Int(m))
    }
}
