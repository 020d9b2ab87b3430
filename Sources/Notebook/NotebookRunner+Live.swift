import CLuaShim
import LuaHost

/// Cells that arrive one at a time (the Jupyter kernel) run exactly as a notebook's cells
/// do: the same Lua state setup, output capture, trailing-expression values, plots and
/// error tracebacks, so a notebook executed in Jupyter shows what `notebook run` records.
extension NotebookRunner {
    /// A runner with no notebook file, its generator seeded as `notebook run` seeds it.
    public static func live() throws -> NotebookRunner {
        let runner = try NotebookRunner(Notebook(path: "live", frontMatter: FrontMatter(), cells: []))
        try runner.interpreter.run(seeding(runner.seed), name: "=seed")
        return runner
    }

    /// The runner's Lua state (for completion and help).
    public var lua: Lua { interpreter.lua }

    /// Runs `source` as one cell whose chunk is named `chunk` (`In[3]`: errors then read
    /// `In[3]:2: …`). `live` receives every output as it is produced: stream text in
    /// pieces, then plots, values and the error. Returns how the cell ended and its
    /// outputs (streams joined). An interrupt (SIGINT, see `topiary_catch_sigint`) ends the
    /// cell with an "interrupted!" error; `os.exit` fails the cell and the state goes on.
    public func execute(source: String, chunk: String, live: @escaping (CellOutput) -> Void) -> (CellStatus, [CellOutput]) {
        let lines = source.components(separatedBy: "\n").map { $0.hasSuffix("\r") ? String($0.dropLast()) : $0 }
        let cell = Cell(index: 1, kind: .code, title: nil, tags: [], timeout: nil, markerLine: nil, firstLine: 1, lines: lines, text: "")
        sink.live = live
        defer { sink.live = nil; exitTrap.code = nil; exitTrap.line = nil; topiary_clear_interrupt() }
        let (status, outputs, _, _) = execute(cell, chunk: chunk)
        return (status, outputs)
    }
}
