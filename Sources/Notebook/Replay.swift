import Foundation
import Kernels

/// How to replay a notebook.
public struct ReplayOptions {
    public var keepGoing = false
    public var timeout: Double? = nil
    /// Overrides on top of the recorded parameters.
    public var parameters: [ParameterOverride] = []
    /// Re-record: write the new outputs instead of failing on differences.
    public var update = false
    /// Called after each executed cell (progress).
    public var progress: ((Cell, CellRecord) -> Void)? = nil
    public init() {}
}

/// A cell whose outputs differ from the recorded ones.
public struct CellDifference: Sendable {
    /// `cell 3 "Train" (nb.lua:12)`.
    public let label: String
    /// A unified diff, recorded (-) against replayed (+).
    public let diff: String
    /// Why it may differ (e.g. its source changed since recording).
    public let note: String?
}

/// The outcome of a replay.
public struct ReplayReport {
    public var record: RunRecord
    public var differences: [CellDifference] = []
    /// The first cell that raised an unexpected error or timed out.
    public var failure: String? = nil
    public var compared = 0, ignored = 0, skipped = 0
    public var tolerance: Comparison
    public var passed: Bool { differences.isEmpty && failure == nil }
}

/// `topiary notebook replay`: re-executes a notebook in a fresh state with the recorded
/// seed and parameters, and compares each code cell's outputs with the recorded ones.
public enum Replay {
    public static func replay(_ path: String, options: ReplayOptions = ReplayOptions()) throws -> ReplayReport {
        let notebook = try NotebookParser.load(path)
        let paths = OutputPaths(notebook: path)
        let exists = FileManager.default.fileExists(atPath: paths.json)
        let recorded: RunRecord? = (exists || !options.update) ? try OutputStore.read(paths) : nil
        let recordedCode = recorded?.cells.filter { $0.kind == .code } ?? []
        if recorded != nil, !options.update, recordedCode.count != notebook.codeCells.count {
            throw NotebookError(path, "the notebook has \(notebook.codeCells.count) code cells but its outputs in \(paths.json) were recorded with \(recordedCode.count); re-record them with `topiary notebook replay --update \(path)`")
        }
        // Parameters: the recorded ones, then the command line's.
        var parameters = recorded?.parameters ?? []
        for p in options.parameters {
            parameters.removeAll { $0.name == p.name }
            parameters.append(p)
        }
        let fm = notebook.frontMatter
        let comparison = Comparison(relative: fm.tolerance ?? recorded?.tolerance ?? NotebookRunner.defaultTolerance,
                                    absolute: fm.absoluteTolerance ?? recorded?.absoluteTolerance ?? 0)
        // Plots compare their coordinates to within half a pixel as well: a last-bit
        // difference in a float must not flip a rounded coordinate into a failure.
        let pixels = Comparison(relative: comparison.relative, absolute: max(comparison.absolute, 0.5))
        let equal: (String, String) -> Bool = { a, b in
            isMarkup(a) && isMarkup(b) ? pixels.equal(a, b) : comparison.equal(a, b)
        }
        var ordinal: [Int: Int] = [:]
        for (k, c) in notebook.codeCells.enumerated() { ordinal[c.index] = k }

        var report = ReplayReport(record: RunRecord(notebook: notebook.fileName, seed: 0, tolerance: 0, absoluteTolerance: 0,
                                                    parameters: [], cells: []), tolerance: comparison)
        var run = RunOptions()
        run.keepGoing = options.keepGoing
        run.timeout = options.timeout
        run.parameters = parameters
        run.seed = options.update ? nil : recorded?.seed
        run.threads = options.update ? nil : recorded?.threads
        run.afterCell = { cell, r in
            options.progress?(cell, r)
            let label = r.label(file: notebook.fileName)
            if r.status == .error || r.status == .timeout, report.failure == nil {
                report.failure = "\(label) failed:\n" + (r.outputs.last { $0.kind == .error }?.text ?? "")
            }
            guard let k = ordinal[cell.index], k < recordedCode.count else { return true }
            let old = recordedCode[k]
            if cell.has(.ignoreOutput) { report.ignored += 1; return report.failure == nil || options.keepGoing }
            report.compared += 1
            let diff = UnifiedDiff.diff(transcript(old.outputs), transcript(r.outputs),
                                        from: "recorded (\(paths.json))", to: "replay", equal: equal)
            if !diff.isEmpty || old.status != r.status {
                var note: String? = nil
                if old.sourceHash != r.sourceHash { note = "its source changed since the outputs were recorded" }
                else if old.status != r.status { note = "recorded as \(old.status.rawValue), now \(r.status.rawValue)" }
                else if let was = recorded?.blas, was != BLAS.coreName {
                    note = "recorded with OpenBLAS's \(was) kernels, replayed with its \(BLAS.coreName) ones, which round "
                        + "differently: OPENBLAS_CORETYPE=\(was) replays it exactly (where the CPU runs them)"
                }
                report.differences.append(CellDifference(label: label, diff: diff, note: note))
            }
            return options.update || options.keepGoing || (report.differences.isEmpty && report.failure == nil)
        }
        let runner = try NotebookRunner(notebook, options: run)
        report.record = try runner.run()
        report.skipped = report.record.cells.filter { $0.status == .skipped }.count
        if options.update { report.record = try OutputStore.write(report.record, notebook: runner.notebook, paths: paths) }
        return report
    }

    /// An SVG element line.
    static func isMarkup(_ line: String) -> Bool { line.hasPrefix("<") && line.hasSuffix(">") }

    /// The outputs of a cell as lines for comparing and diffing: a `[kind]` line before
    /// each output, then its text (an image's SVG).
    static func transcript(_ outputs: [CellOutput]) -> [String] {
        var lines: [String] = []
        for o in outputs {
            lines.append("[\(o.kind.rawValue)]" + (o.kind == .image ? " " + o.text : ""))
            var body = o.kind == .image ? (o.svg ?? "") : o.text
            if body.hasSuffix("\n") { body.removeLast() }
            lines.append(contentsOf: body.components(separatedBy: "\n").map(Comparison.masked))
        }
        return lines
    }
}
