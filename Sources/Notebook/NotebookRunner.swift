import Bindings
import CLua
import CLuaShim
import Foundation
import Kernels
import LuaHost
import Tensor

/// How to run a notebook.
public struct RunOptions {
    /// Go on after a failing cell (otherwise the run stops at the first error).
    public var keepGoing = false
    /// Seconds each cell may run (a cell's `timeout=` metadata, then the front matter's
    /// `timeout:`, take precedence).
    public var timeout: Double? = nil
    /// New values for assignments in the parameters cell.
    public var parameters: [ParameterOverride] = []
    /// The seed instead of the front matter's (replay passes the recorded one).
    public var seed: Int? = nil
    /// The threads native kernels and OpenBLAS use during the run instead of the process's
    /// (replay passes the recorded count: gradients are summed over per-thread parts, so the
    /// count changes the last bits, which training amplifies). Restored afterwards.
    public var threads: Int? = nil
    /// Called after each cell with its record; return false to stop the run.
    public var afterCell: ((Cell, CellRecord) -> Bool)? = nil

    public init() {}
}

/// Executes a notebook's code cells in order in one Lua state (from
/// `Libraries.makeInterpreter()`), capturing each cell's outputs. Each cell is compiled as
/// its own chunk named after the file, padded with newlines so that line numbers in errors
/// and tracebacks are the file's. Locals therefore do not carry over between cells;
/// globals do.
public final class NotebookRunner {
    /// The generator's initial seed (Tensor/Random.swift): a notebook without a `seed:`
    /// draws the same numbers as `topiary run` does.
    public static let defaultSeed = 0x7070_1AE9
    /// Relative tolerance for comparing numbers when the front matter sets none.
    public static let defaultTolerance = 1e-6

    public private(set) var notebook: Notebook
    let options: RunOptions
    let interpreter: Interpreter
    let syntax: LuaSyntax
    let sink = CellCapture()
    let exitTrap = ExitTrap()
    let watchdog: CellWatchdog
    var L: Lua { interpreter.lua }
    /// Remarks about the notebook found before running (shown by the CLI).
    public internal(set) var notes: [String] = []

    public init(_ notebook: Notebook, options: RunOptions = RunOptions()) throws {
        self.options = options
        interpreter = Libraries.makeInterpreter()
        syntax = LuaSyntax(Interpreter())
        watchdog = CellWatchdog(state: interpreter.lua.state)
        self.notebook = try notebook.applying(options.parameters, syntax: syntax)
        try checkCellsAreComplete()
        try sink.install(in: interpreter)
        exitTrap.install(in: interpreter)
        PlotModule.observeSaves(interpreter.lua) { [sink] chart, path in
            sink.add(CellOutput(kind: .image, text: chart.summary, svg: chart.svg(), savedAs: path))
        }
    }

    /// The chunk for lines starting at file line `first`: newlines in front keep numbers.
    func code(_ lines: [String], at first: Int) -> String {
        String(repeating: "\n", count: max(first - 1, 0)) + lines.joined(separator: "\n")
    }

    public var seed: Int { options.seed ?? notebook.frontMatter.seed ?? NotebookRunner.defaultSeed }

    /// The Lua that seeds a run: tensor's generator and Lua's own `math.random`, so a
    /// notebook using either replays to the same numbers.
    public static func seeding(_ seed: Int) -> String { "tensor.manual_seed(\(seed)); math.randomseed(\(seed))" }

    /// Runs every cell and returns the record of the run.
    public func run() throws -> RunRecord {
        let threads = Parallel.threads, blasThreads = BLAS.threads
        if let n = options.threads, n != threads { Parallel.threads = n; BLAS.setThreads(n) }
        defer { Parallel.threads = threads; BLAS.setThreads(blasThreads) }
        let used = Parallel.threads
        try interpreter.run(NotebookRunner.seeding(seed), name: "=seed")
        topiary_catch_sigint(L.state)
        defer { topiary_catch_sigint(nil) }
        var records: [CellRecord] = []
        var stopped = false
        for c in notebook.cells {
            var r = CellRecord(index: c.index, kind: c.kind, line: c.line, title: c.title, tags: c.tags.map(\.rawValue),
                               status: .ok, seconds: nil, sourceHash: fingerprint(c.kind == .code ? c.source : c.text), outputs: [])
            if c.kind == .code {
                if stopped { r.status = .notRun }
                else if c.has(.skip) { r.status = .skipped }
                else {
                    let (status, outputs, seconds, userInterrupt) = execute(c)
                    (r.status, r.outputs, r.seconds) = (status, outputs, seconds)
                    if userInterrupt || exitTrap.code != nil || (status != .ok && !options.keepGoing) { stopped = true }
                }
            }
            records.append(r)
            if c.kind == .code, r.status != .notRun, let after = options.afterCell, !after(c, r) { stopped = true }
        }
        let fm = notebook.frontMatter
        var record = RunRecord(notebook: notebook.fileName, seed: seed,
                               tolerance: fm.tolerance ?? NotebookRunner.defaultTolerance,
                               absoluteTolerance: fm.absoluteTolerance ?? 0, parameters: options.parameters, cells: records)
        record.blas = BLAS.coreName
        record.threads = used
        return record
    }

    /// Runs one code cell: (status, outputs, seconds, interrupted by Ctrl-C). The chunk
    /// is named after the notebook file, or `chunk` (a live cell: `In[3]`).
    func execute(_ c: Cell, chunk: String? = nil) -> (CellStatus, [CellOutput], Double, Bool) {
        let file = chunk ?? notebook.fileName
        sink.outputs = []
        topiary_clear_interrupt()
        let lines = TrailingExpression.rewrite(c.lines, syntax: syntax) ?? c.lines
        let base = L.top
        let timeout = c.timeout ?? notebook.frontMatter.timeout ?? options.timeout
        let start = DispatchTime.now()
        var status = CellStatus.ok
        var userInterrupt = false
        var timedOut = false
        do {
            try interpreter.compile(code(lines, at: c.firstLine), name: "@" + file)
            watchdog.arm(timeout)
            let n: Int32
            do { n = try interpreter.call(nargs: 0) } catch { timedOut = watchdog.disarm(); throw error }
            _ = watchdog.disarm()
            if n > 0 {
                for var o in ValueRenderer(interpreter: interpreter).outputs((base + 1)...(base + n)) {
                    if o.kind == .image, sink.outputs.contains(where: { $0.kind == .image && $0.svg == o.svg }) { continue }
                    o.savedAs = nil
                    sink.add(o)
                }
            }
        } catch {
            var text = cleanTraceback("\(error)")
            if let code = exitTrap.code {
                status = .error
                text = "\(file):\(exitTrap.line ?? c.line): os.exit(\(code)) called: a notebook cell cannot end the process; the run stops here"
            } else if timedOut, let t = timeout {
                status = .timeout
                text = timeoutMessage(text, seconds: t)
            } else {
                status = .error
                if text.contains("interrupted") && topiary_interrupt_pending() != 0 { userInterrupt = true }
                if let hint = localHint(for: text, before: c) { text += "\n" + hint }
            }
            sink.add(CellOutput(kind: .error, text: text))
        }
        L.setTop(base)
        topiary_clear_interrupt()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        if c.has(.raises) && exitTrap.code == nil {
            if status == .error { status = .ok }
            else if status == .ok {
                status = .error
                sink.add(CellOutput(kind: .error, text: "\(file):\(c.line): the cell is tagged raises but completed without an error"))
            }
        }
        return (status, sink.outputs, seconds, userInterrupt)
    }
}
