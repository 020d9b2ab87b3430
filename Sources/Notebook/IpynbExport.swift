import Text

/// Writes a notebook and its recorded outputs as a Jupyter notebook (nbformat 4.5): code
/// cells with their outputs (streams, execute_result, display_data with image/svg+xml,
/// error), markdown and raw cells, the Topiary kernel's kernelspec and language_info, so
/// the notebook opens and runs in Jupyter with `topiary kernel` (`topiary kernel install`).
/// A first code cell (`setupCellID`) seeds the generator and sets the thread count as the
/// recorded run had them before its first cell, so "Run All" in Jupyter computes what
/// `notebook run` recorded; import drops it (the seed is in the front matter).
public enum IpynbExport {
    /// The id of the set-up cell the export puts first.
    public static let setupCellID = "topiary-setup"
    /// The kernel's name in kernelspecs (its directory: `kernels/topiary/kernel.json`).
    public static let kernelName = "topiary"
    /// The name front ends show for the kernel.
    public static let kernelDisplayName = "Topiary (Lua)"
    /// The notebook's `language_info`, also the kernel's in `kernel_info_reply`.
    public static let languageInfo: JSON = .object([
        ("codemirror_mode", .string("lua")), ("file_extension", .string(".lua")), ("mimetype", .string("text/x-lua")),
        ("name", .string("lua")), ("pygments_lexer", .string("lua")), ("version", .string("5.4")),
    ])

    /// The set-up cell: what `notebook run` does before a notebook's first cell.
    static func setupCell(_ record: RunRecord) -> JSON {
        var source = ["-- Set up as the recorded run was before its first cell (topiary notebook run does this itself):",
                      NotebookRunner.seeding(record.seed)]
        if let n = record.threads { source.append("tensor.set_num_threads(\(n))   -- results depend on the thread count") }
        return .object([("cell_type", .string("code")), ("execution_count", .null), ("id", .string(setupCellID)),
                        ("metadata", .object([("topiary", .object([("setup", .bool(true))]))])), ("outputs", .array([])),
                        ("source", JSON.lines(source.joined(separator: "\n")))])
    }

    public static func render(_ notebook: Notebook, _ record: RunRecord) -> String {
        var cells: [JSON] = [setupCell(record)]
        var count = 0
        for (cell, r) in zip(notebook.cells, record.cells) {
            var metadata: [(String, JSON)] = []
            if let t = cell.title { metadata.append(("title", .string(t))) }
            if !cell.tags.isEmpty {
                let names = cell.tags.map(\.rawValue) + cell.tags.compactMap(\.jupyterTag)
                metadata.append(("tags", .array(names.map { .string($0) })))
            }
            if let t = cell.timeout { metadata.append(("timeout", t == t.rounded() && abs(t) < 1e15 ? .int(Int(t)) : .double(t))) }
            let id: JSON = .string("cell-\(cell.index)")
            switch cell.kind {
            case .markdown, .raw:
                cells.append(.object([("cell_type", .string(cell.kind.rawValue)), ("id", id), ("metadata", .object(metadata)),
                                      ("source", JSON.lines(cell.text))]))
            case .code:
                let ran = r.status != .skipped && r.status != .notRun
                if ran { count += 1 }
                let outputs = r.outputs.map { output($0, count: count) }
                cells.append(.object([("cell_type", .string("code")), ("execution_count", ran ? .int(count) : .null), ("id", id),
                                      ("metadata", .object(metadata)), ("outputs", .array(outputs)),
                                      ("source", JSON.lines(cell.source))]))
            }
        }
        var topiary: [(String, JSON)] = [("seed", .int(record.seed)), ("tolerance", .double(record.tolerance))]
        if !record.parameters.isEmpty {
            topiary.append(("parameters", .object(record.parameters.map { ($0.name, .string($0.value)) })))
        }
        var meta: [(String, JSON)] = [
            ("kernelspec", .object([("display_name", .string(kernelDisplayName)), ("language", .string("lua")), ("name", .string(kernelName))])),
            ("language_info", languageInfo),
            ("topiary", .object(topiary)),
        ]
        if let t = notebook.frontMatter.title { meta.append(("title", .string(t))) }
        let doc: JSON = .object([("cells", .array(cells)), ("metadata", .object(meta)),
                                      ("nbformat", .int(4)), ("nbformat_minor", .int(5))])
        return doc.indented(1) + "\n"
    }

    /// A cell output as nbformat stores it (multi-line text as lists of lines); the
    /// kernel publishes the same outputs as IOPub messages.
    public static func output(_ o: CellOutput, count: Int) -> JSON {
        switch o.kind {
        case .stdout:
            return .object([("name", .string("stdout")), ("output_type", .string("stream")), ("text", JSON.lines(o.text))])
        case .stderr, .warning:
            let text = o.kind == .warning ? "Lua warning: " + o.text : o.text
            return .object([("name", .string("stderr")), ("output_type", .string("stream")), ("text", JSON.lines(text))])
        case .value, .table:
            var data: [(String, JSON)] = []
            if let md = o.markdown { data.append(("text/markdown", JSON.lines(md))) }
            data.append(("text/plain", JSON.lines(o.text)))
            return .object([("data", .object(data)), ("execution_count", .int(count)), ("metadata", .object([])),
                            ("output_type", .string("execute_result"))])
        case .image:
            return .object([("data", .object([("image/svg+xml", JSON.lines(o.svg ?? "")), ("text/plain", JSON.lines(o.text))])),
                            ("metadata", .object([])), ("output_type", .string("display_data"))])
        case .error:
            let lines = o.text.components(separatedBy: "\n")
            return .object([("ename", .string("LuaError")), ("evalue", .string(lines.first ?? "")),
                            ("output_type", .string("error")), ("traceback", .array(lines.map { .string($0) }))])
        }
    }
}
