import ArgumentParser
import Foundation
import Notebook

/// `topiary notebook run|replay|export|import`: notebook scripts in jupytext's percent format.
struct NotebookCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notebook",
        abstract: "Run, replay, export and import notebook scripts (.lua files with `-- %%` cells).",
        subcommands: [NotebookRun.self, NotebookReplay.self, NotebookExport.self, NotebookImport.self])
}

/// Options shared by run and replay.
struct NotebookExecution: ParsableArguments {
    @Argument(help: "The notebook script (.lua).") var file: String
    @Flag(name: .long, help: "Go on after a failing cell.") var keepGoing = false
    @Option(name: .customShort("p"), help: ArgumentHelp("Replace an assignment in the cell tagged parameters (repeatable).", valueName: "name=value"))
    var parameters: [String] = []
    @Option(help: "Seconds each cell may run before it is interrupted (a cell's timeout= metadata wins).")
    var timeout: Double?

    func overrides() throws -> [ParameterOverride] {
        if let t = timeout, !(t > 0) { throw ValidationError("--timeout must be a positive number of seconds") }
        return try parameters.map { try ParameterOverride(parsing: $0) }
    }
}

func noteLine(_ s: String) { FileHandle.standardError.write(Data((s.hasSuffix("\n") ? s : s + "\n").utf8)) }

struct NotebookRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a notebook's cells and record their outputs beside it (nb.out.md and nb.out/).")

    @OptionGroup var execution: NotebookExecution
    @Flag(name: .shortAndLong, help: "Do not echo the cells' outputs.") var quiet = false
    @Option(help: ArgumentHelp("Record the outputs in this folder (DIR/nb.out.md, DIR/nb.out/) instead of beside the notebook.", valueName: "DIR"))
    var out: String?

    func run() throws {
        let path = execution.file
        do {
            var options = RunOptions()
            options.keepGoing = execution.keepGoing
            options.timeout = execution.timeout
            options.parameters = try execution.overrides()
            options.afterCell = { cell, r in
                if !quiet { echo(r, file: path) }
                return true
            }
            let start = Date()
            let runner = try NotebookRunner(try NotebookParser.load(path), options: options)
            for note in runner.notes { noteLine(note) }
            var record = try runner.run()
            let paths = out.map { OutputPaths(notebook: path, in: $0) } ?? OutputPaths(notebook: path)
            record = try OutputStore.write(record, notebook: runner.notebook, paths: paths)
            let ran = record.cells.filter { $0.kind == .code && ($0.status == .ok || $0.status == .error || $0.status == .timeout) }.count
            let failures = record.cells.filter { $0.status == .error || $0.status == .timeout }
            if let first = failures.first {
                noteLine("notebook: \(first.label(file: path)) failed:\n" + (first.outputs.last { $0.kind == .error }?.text ?? ""))
            }
            noteLine(String(format: "notebook: %d code cells ran in %.2f s%@; outputs in %@ and %@/", ran, Date().timeIntervalSince(start),
                          failures.isEmpty ? "" : " (\(failures.count) failed)", paths.markdown, paths.directory))
            if !failures.isEmpty { throw ExitCode(1) }
        } catch let e as NotebookError { fail(e) }
    }

    /// Prints a cell's outputs as a script run would show them.
    func echo(_ r: CellRecord, file: String) {
        var s = "── \(r.label(file: file))\n"
        for o in r.outputs {
            switch o.kind {
            case .image: s += "[\(o.text)\(o.savedAs.map { ", saved to \($0)" } ?? "")]\n"
            case .warning: s += "warning: " + o.text
            case .error: s += o.text + "\n"
            default: s += o.text.hasSuffix("\n") ? o.text : o.text + "\n"
            }
        }
        print(s, terminator: "")
        fflush(stdout)
    }
}

struct NotebookReplay: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Re-run a notebook in a fresh state with its recorded seed and compare each cell with the recorded outputs.")

    @OptionGroup var execution: NotebookExecution
    @Flag(help: "Re-record the outputs instead of comparing.") var update = false

    func run() throws {
        let path = execution.file
        do {
            var options = ReplayOptions()
            options.keepGoing = execution.keepGoing
            options.timeout = execution.timeout
            options.parameters = try execution.overrides()
            options.update = update
            let report = try Replay.replay(path, options: options)
            let paths = OutputPaths(notebook: path)
            if update {
                let changed = report.differences.count
                noteLine("replay: re-recorded \(path) (\(changed) cell\(changed == 1 ? "" : "s") changed); outputs in \(paths.markdown) and \(paths.directory)/")
                if let failure = report.failure { noteLine("replay: " + failure); throw ExitCode(1) }
                return
            }
            if let first = report.differences.first {
                var msg = "replay: \(first.label) differs from the recorded outputs (relative tolerance \(report.tolerance.relative))"
                if let note = first.note { msg += "; \(note)" }
                noteLine(msg + ":\n" + first.diff)
                if report.differences.count > 1 {
                    noteLine("replay: \(report.differences.count - 1) more cell(s) differ: " + report.differences.dropFirst().map(\.label).joined(separator: ", "))
                }
                noteLine("replay: if the change is intended, re-record with `topiary notebook replay --update \(path)`")
                throw ExitCode(1)
            }
            if let failure = report.failure { noteLine("replay: " + failure); throw ExitCode(1) }
            var facts = "\(report.compared) cells compared"
            if report.ignored > 0 { facts += ", \(report.ignored) ignored" }
            if report.skipped > 0 { facts += ", \(report.skipped) skipped" }
            print("replay: \(path) matches its recorded outputs (\(facts))")
        } catch let e as NotebookError { fail(e) }
    }
}

struct NotebookExport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export a notebook with its recorded outputs as a Jupyter notebook (--ipynb) or one HTML page (--html).")

    @Argument(help: "The notebook script (.lua).") var file: String
    @Flag(help: "Write nbformat 4 (nb.ipynb).") var ipynb = false
    @Flag(help: "Write a self-contained HTML page (nb.html).") var html = false
    @Option(name: .shortAndLong, help: "The output path (one format only).") var output: String?

    func validate() throws {
        if !ipynb && !html { throw ValidationError("choose a format: --ipynb or --html") }
        if ipynb && html && output != nil { throw ValidationError("--output takes one format; give --ipynb or --html") }
    }

    func run() throws {
        do {
            for format in [Export.Format.ipynb, .html] where format == .ipynb ? ipynb : html {
                let target = try Export.export(file, as: format, to: output)
                print("export: wrote \(target)")
            }
        } catch let e as NotebookError { fail(e) }
    }
}

struct NotebookImport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Write a Jupyter notebook (nbformat 4) as a notebook script (nb.ipynb → nb.lua): markdown cells as comments, tags kept.")

    @Argument(help: "The Jupyter notebook (.ipynb).") var file: String
    @Option(name: .shortAndLong, help: "The output path (default: beside it, with .lua).") var output: String?

    func run() throws {
        do {
            let (target, notes) = try IpynbImport.importNotebook(file, to: output)
            for n in notes { noteLine("import: " + n) }
            print("import: wrote \(target)")
        } catch let e as NotebookError { fail(e) }
    }
}
