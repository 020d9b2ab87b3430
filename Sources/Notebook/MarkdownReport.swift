import Foundation

/// `nb.out.md`: the notebook with its outputs, readable on its own — markdown cells as
/// they are, code in fenced blocks, text outputs fenced, tables as Markdown tables, and
/// plots linked from `nb.out/`.
enum MarkdownReport {
    static func render(_ record: RunRecord, notebook: Notebook, paths: OutputPaths) -> String {
        let file = notebook.fileName
        var md = "<!-- Outputs of \(file), written by `topiary notebook run`; run it again to update this file. -->\n\n"
        if let title = notebook.reportTitle { md += "# \(title)\n\n" }
        var facts = ["Outputs of [`\(file)`](\(linkTarget(file)))", "seed \(record.seed)"]
        if !record.parameters.isEmpty {
            facts.append("parameters: " + record.parameters.map { "`\($0.name)=\($0.value)`" }.joined(separator: ", "))
        }
        md += facts.joined(separator: " · ") + "\n"
        var count = 0
        for (cell, r) in zip(notebook.cells, record.cells) {
            md += "\n"
            switch cell.kind {
            case .markdown:
                md += cell.text + "\n"
            case .raw:
                md += fenced(cell.text, "text")
            case .code:
                count += 1
                var head = "**[\(count)]**"
                if let t = cell.title { head += " \(t)" }
                head += " · `\(file):\(cell.line)`"
                if !cell.tags.isEmpty { head += " · tags: " + cell.tags.map { "`\($0.rawValue)`" }.joined(separator: ", ") }
                md += head + "\n\n"
                md += fenced(cell.source, "lua")
                switch r.status {
                case .skipped: md += "\n*Skipped (tag `skip`).*\n"
                case .notRun: md += "\n*Not run: an earlier cell failed.*\n"
                default: break
                }
                for o in r.outputs { md += "\n" + output(o, paths: paths) }
            }
        }
        return md
    }

    static func output(_ o: CellOutput, paths: OutputPaths) -> String {
        switch o.kind {
        case .stdout: return fenced(o.text, "text")
        case .stderr: return "*stderr:*\n\n" + fenced(o.text, "text")
        case .warning: return "*Warning:*\n\n" + fenced(o.text, "text")
        case .value: return "*Value:*\n\n" + fenced(o.text, "text")
        case .table: return o.markdown ?? fenced(o.text, "text")
        case .error: return "*Error:*\n\n" + fenced(o.text, "text")
        case .image:
            let alt = o.text.replacingOccurrences(of: "[", with: "\\[").replacingOccurrences(of: "]", with: "\\]")
            var s = "![\(alt)](\(linkTarget(paths.directoryName + "/" + (o.file ?? ""))))\n"
            if let saved = o.savedAs { s += "\n*Saved to `\(saved)`.*\n" }
            return s
        }
    }

    /// A link destination as CommonMark reads it: a path with spaces, brackets or `<>`
    /// goes inside `<…>` (with `<`, `>` escaped), others as they are.
    static func linkTarget(_ path: String) -> String {
        guard path.contains(where: { $0 == " " || $0 == "(" || $0 == ")" || $0 == "<" || $0 == ">" }) else { return path }
        return "<" + path.replacingOccurrences(of: "<", with: "\\<").replacingOccurrences(of: ">", with: "\\>") + ">"
    }

    /// A fenced code block whose fence is longer than any backtick run in the text.
    static func fenced(_ text: String, _ info: String) -> String {
        var longest = 0, run = 0
        for c in text { if c == "`" { run += 1; longest = max(longest, run) } else { run = 0 } }
        let fence = String(repeating: "`", count: max(3, longest + 1))
        let body = text.hasSuffix("\n") ? String(text.dropLast()) : text
        return "\(fence)\(info)\n\(body)\n\(fence)\n"
    }
}
