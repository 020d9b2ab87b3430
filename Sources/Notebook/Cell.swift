/// The kind of a cell, as in Jupyter.
public enum CellKind: String, Sendable {
    case code, markdown, raw
}

/// The tags a cell may carry (`-- %% Title tags=["skip"]`).
public enum CellTag: String, CaseIterable, Sendable {
    /// Not executed (by run or replay).
    case skip
    /// Executed, but its outputs are not compared on replay.
    case ignoreOutput = "ignore-output"
    /// Must raise an error; the error is its expected output and the run goes on.
    case raises
    /// Holds the notebook's parameters, which `-p name=value` replaces.
    case parameters

    static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }

    /// The Jupyter tag that means the same to nbclient and nbconvert (a cell that may raise
    /// without stopping Run All; a cell execution skips), written beside ours on export and
    /// read as ours on import.
    var jupyterTag: String? {
        switch self {
        case .raises: "raises-exception"
        case .skip: "skip-execution"
        case .ignoreOutput, .parameters: nil
        }
    }

    /// A tag of ours or its Jupyter equivalent.
    init?(tag name: String) {
        guard let t = CellTag(rawValue: name) ?? CellTag.allCases.first(where: { $0.jupyterTag == name }) else { return nil }
        self = t
    }
}

/// One cell of a notebook script.
public struct Cell: Sendable {
    /// 1-based position among all cells.
    public let index: Int
    public let kind: CellKind
    public let title: String?
    public let tags: [CellTag]
    /// Seconds the cell may run before it is interrupted (metadata `timeout=30`).
    public let timeout: Double?
    /// The line of its `-- %%` marker (nil for the content before the first marker).
    public let markerLine: Int?
    /// The file line of `lines[0]`.
    public let firstLine: Int
    /// The cell's source lines as in the file, without leading and trailing blank lines.
    public var lines: [String]
    /// Markdown and raw cells: the text without the Lua comment markers.
    public let text: String

    /// The line that names the cell in messages: its marker, or its first line.
    public var line: Int { markerLine ?? firstLine }

    public func has(_ tag: CellTag) -> Bool { tags.contains(tag) }

    /// The cell's source code (code cells), lines joined.
    public var source: String { lines.joined(separator: "\n") }

    /// How messages name the cell: `cell 3 "Train the model" (nb.lua:12)`.
    public func label(file: String) -> String {
        var s = "cell \(index)"
        if let title { s += " \"\(title)\"" }
        return s + " (\(file):\(line))"
    }
}

/// The notebook's front matter (`-- ---` … `-- ---` at the top of the file).
public struct FrontMatter: Sendable {
    public var title: String?
    /// Passed to `tensor.manual_seed` before the first cell.
    public var seed: Int?
    /// Relative tolerance for comparing numbers on replay.
    public var tolerance: Double?
    /// Absolute tolerance added to the relative one (for values near zero).
    public var absoluteTolerance: Double?
    /// Default per-cell timeout in seconds.
    public var timeout: Double?
    /// The lines the front matter spans (0...0 when absent).
    public var lines: ClosedRange<Int> = 0...0

    public init() {}

    /// The keys a front matter may set.
    static let keys = ["title", "seed", "tolerance", "atol", "timeout", "jupyter"]
}

/// A parsed notebook script.
public struct Notebook: Sendable {
    /// The path as given (used in messages).
    public let path: String
    public let frontMatter: FrontMatter
    public var cells: [Cell]

    /// The file name: the chunk name of every cell, so recorded tracebacks do not depend
    /// on the directory the notebook was run from.
    public var fileName: String { String(path.split(separator: "/").last ?? Substring(path)) }

    public var codeCells: [Cell] { cells.filter { $0.kind == .code } }

    /// The heading for reports: the front matter's title, else the file name — or none
    /// when the notebook opens with its own `# Heading` in a markdown cell.
    public var reportTitle: String? {
        if let t = frontMatter.title { return t }
        if let first = cells.first, first.kind == .markdown, first.text.hasPrefix("# ") { return nil }
        return fileName
    }
}
