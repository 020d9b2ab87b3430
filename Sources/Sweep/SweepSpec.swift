import Foundation
import Text

/// A problem with a sweep: its file, its grid, a task or the scheduler, as one sentence
/// that names what and where (`runs/compare.lua: grid 'ratio' is an empty list`).
public struct SweepError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// One value of a grid parameter: a Lua scalar (integers and floats stay apart, as in Lua).
public enum SweepValue: Equatable, Sendable {
    case int(Int)
    case double(Double)
    case string(String)
    case bool(Bool)

    /// The value as Lua source for `-p name=value`: `3`, `0.5`, `"l1"`, `true`.
    public var luaLiteral: String {
        switch self {
        case .int(let i): String(i)
        case .double(let d): JSON.number(d)
        case .string(let s): LuaString.quote(s)
        case .bool(let b): b ? "true" : "false"
        }
    }

    /// The value as a table cell and in folder names: `3`, `0.5`, `l1`, `true`.
    public var text: String {
        switch self {
        case .string(let s): s
        default: luaLiteral
        }
    }

    public var json: JSON {
        switch self {
        case .int(let i): .int(i)
        case .double(let d): .double(d)
        case .string(let s): .string(s)
        case .bool(let b): .bool(b)
        }
    }

    /// The value as a number, for plots (nil for strings and booleans).
    public var number: Double? {
        switch self {
        case .int(let i): Double(i)
        case .double(let d): d
        default: nil
        }
    }
}

/// How `collect` draws its chart: `y` against `x`, one line per value of `by`.
public struct PlotChoice: Equatable, Sendable {
    public var x: String?, y: String?, by: String?
    public init(x: String? = nil, y: String? = nil, by: String? = nil) { self.x = x; self.y = y; self.by = by }
}

/// Slurm resources for `sweep submit` (command-line flags override the sweep file's `slurm` table).
public struct SlurmOptions: Equatable, Sendable {
    public var partition: String?
    public var time: String?
    public var cpus: Int?
    public var mem: String?
    /// At most this many array tasks run at once (`--array=…%max`).
    public var maxRunning = 32
    public init() {}
}

/// A sweep as its file declares it: `sweep{notebook = ..., grid = {...}, out = ...}`.
/// Paths are as written (relative to the directory `topiary sweep` runs in).
public struct SweepSpec: Sendable {
    /// The sweep file, for messages and for `sweep task` in job scripts.
    public var file: String
    public var notebook: String
    /// Parameter names and their values, names in expansion order (sorted by name).
    public var grid: [(name: String, values: [SweepValue])]
    /// The folder holding one sub-folder per task.
    public var out: String
    public var plot = PlotChoice()
    public var slurm = SlurmOptions()
    /// Seconds each notebook cell may run (`notebook run --timeout`), if set.
    public var timeout: Double?

    public init(file: String, notebook: String, grid: [(name: String, values: [SweepValue])], out: String) {
        self.file = file
        self.notebook = notebook
        self.grid = grid
        self.out = out
    }

    /// What a Slurm task's index means: the notebook, the out folder and every point's name
    /// in index order, hashed (FNV-1a, 16 hex digits). `sweep submit` writes it into the job
    /// script and `sweep task --grid` checks it, so a task queued before the sweep file was
    /// edited fails with a message instead of running whichever point now has its index.
    public func gridFingerprint(_ points: [GridPoint]) -> String {
        FNV1a.hex(([notebook, out] + points.map(\.name)).map { $0 + "\n" }.joined())
    }
}
