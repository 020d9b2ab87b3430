import Text

/// What a cell produced.
public enum OutputKind: String, Sendable {
    /// `print` / `io.write` text, and `io.stderr:write` text.
    case stdout, stderr
    /// Lua `warn` messages.
    case warning
    /// The value of the cell's trailing expression.
    case value
    /// A trailing value that is a list of records, shown as a table.
    case table
    /// A plot returned from the cell or saved with `p:save`.
    case image
    /// An error with its traceback.
    case error
}

/// One output of a cell.
public struct CellOutput: Equatable, Sendable {
    public var kind: OutputKind
    /// The text: stream text, the value as text, the error with its traceback, a table's
    /// aligned columns, or a plot's description.
    public var text: String
    /// Tables: a Markdown pipe table.
    public var markdown: String?
    /// Images: the SVG's file name in the output directory.
    public var file: String?
    /// Images: the path given to `p:save`, when the plot was saved.
    public var savedAs: String?
    /// Images: the SVG document (kept in its own file, not in outputs.json).
    public var svg: String?

    public init(kind: OutputKind, text: String, markdown: String? = nil, svg: String? = nil, savedAs: String? = nil) {
        self.kind = kind
        self.text = text
        self.markdown = markdown
        self.svg = svg
        self.savedAs = savedAs
    }
}

/// How a cell ended.
public enum CellStatus: String, Sendable {
    /// Ran (markdown and raw cells are always ok), or raised as its `raises` tag expects.
    case ok
    case error
    /// Interrupted after its timeout.
    case timeout
    /// Tagged `skip`.
    case skipped
    /// Not reached: an earlier cell failed.
    case notRun = "not-run"
}

/// The record of one cell in a run (as JSON: Outputs+JSON.swift).
public struct CellRecord: Sendable {
    public var index: Int
    public var kind: CellKind
    public var line: Int
    public var title: String?
    public var tags: [String]
    public var status: CellStatus
    /// Wall-clock seconds (shown while running; not stored, so recordings stay stable).
    public var seconds: Double?
    /// A hash of the source that ran, to tell when a cell changed since recording.
    public var sourceHash: String
    public var outputs: [CellOutput]

    /// `cell 3 "Title" (nb.lua:12)`.
    public func label(file: String) -> String {
        var s = "cell \(index)"
        if let title { s += " \"\(title)\"" }
        return s + " (\(file):\(line))"
    }
}

/// A whole run: what `notebook run` stores in `nb.out/outputs.json` and replay compares.
public struct RunRecord: Sendable {
    public var format = "topiary-notebook-outputs"
    public var version = 1
    /// The notebook's file name.
    public var notebook: String
    public var seed: Int
    public var tolerance: Double
    public var absoluteTolerance: Double
    public var parameters: [ParameterOverride]
    public var cells: [CellRecord]
    /// The OpenBLAS kernels the run's GEMMs used (`openblas_get_corename()`, e.g. "Haswell"):
    /// they round differently from one another, so a replay on other ones may differ in the
    /// last bits, which training amplifies. nil in records made before it was written down.
    public var blas: String? = nil
    /// The threads the run started with (`Parallel.threads`): results depend on it (sums
    /// over per-thread parts), so replay runs with it. nil in records made before it was kept.
    public var threads: Int? = nil

    /// The first cell that failed (error or timeout, not expected by `raises`).
    public var firstFailure: CellRecord? {
        cells.first { $0.status == .error || $0.status == .timeout }
    }
}

/// FNV-1a, 64 bits, as 16 hex digits: a stable fingerprint of a cell's source.
func fingerprint(_ s: String) -> String { FNV1a.hex(s) }
