import Foundation
import Text

/// `topiary notebook import nb.ipynb`: a Jupyter notebook (nbformat 4) back to a notebook
/// script in jupytext's percent format. Code cells keep their source, title, tags and
/// timeout; markdown and raw cells become `-- ` comment lines; the notebook's title and
/// Topiary seed and tolerance (as `export --ipynb` stores them) become the front matter, and
/// the export's set-up cell (`IpynbExport.setupCellID`) is dropped. Outputs are not imported:
/// `notebook run` records them again.
public enum IpynbImport {
    /// The script and remarks about what could not be kept (tags Topiary does not know,
    /// titles the marker syntax cannot hold). The script parses as a notebook.
    public static func convert(_ bytes: [UInt8], file: String) throws -> (script: String, notes: [String]) {
        let json: JSON
        do { json = try JSON.parse(bytes) } catch { throw NotebookError(file, "not a Jupyter notebook: the file is not JSON (\(error))") }
        guard json.object != nil else { throw NotebookError(file, "not a Jupyter notebook: the JSON is not an object") }
        guard let format = json["nbformat"] else { throw NotebookError(file, "not a Jupyter notebook: it has no 'nbformat' field") }
        guard format.int == 4 else {
            throw NotebookError(file, "nbformat \(format.text) is not supported: only nbformat 4 notebooks are imported (convert it with `jupyter nbconvert --to notebook --nbformat 4`)")
        }
        let meta = json["metadata"] ?? .object([])
        let language = meta["kernelspec"]?["language"]?.string ?? meta["language_info"]?["name"]?.string
        if let language, language.lowercased() != "lua" {
            throw NotebookError(file, "the notebook's language is \(language), not lua: its code would not run in Topiary")
        }
        guard let cells = json["cells"]?.array else { throw NotebookError(file, "not a Jupyter notebook: 'cells' is not a list") }
        var notes: [String] = []
        var parts: [String] = []
        if let fm = frontMatter(meta) { parts.append(fm) }
        for (k, cell) in cells.enumerated() {
            let label = "cell \(k + 1)"
            guard let type = cell["cell_type"]?.string else { throw NotebookError(file, "\(label) has no cell_type") }
            guard let source = text(cell["source"]) else { throw NotebookError(file, "\(label): 'source' must be a string or a list of strings") }
            let kind: CellKind
            switch type {
            case "code": kind = .code
            case "markdown": kind = .markdown
            case "raw": kind = .raw
            default: throw NotebookError(file, "\(label) has the unknown cell_type '\(type)' (code, markdown or raw)")
            }
            let cellMeta = cell["metadata"] ?? .object([])
            // the export's set-up cell: its seed is the front matter's
            if kind == .code, cellMeta["topiary"]?["setup"]?.bool == true { continue }
            var tags: [CellTag] = []
            for t in cellMeta["tags"]?.array ?? [] {
                guard let name = t.string else { continue }
                if let tag = CellTag(tag: name) { if !tags.contains(tag) { tags.append(tag) } }
                else { notes.append("\(label): tag '\(name)' dropped (Topiary knows \(CellTag.names))") }
            }
            var title = cellMeta["title"]?.string.map(oneLine)
            let timeout = cellMeta["timeout"]?.double.flatMap { $0.isFinite && $0 > 0 ? $0 : nil }
            var marker = markerLine(kind: kind, title: title, tags: tags, timeout: timeout)
            if let t = title, !markerKeeps(marker, title: t, kind: kind, file: file) {
                notes.append("\(label): title '\(t)' dropped (the cell marker cannot hold it)")
                title = nil
                marker = markerLine(kind: kind, title: nil, tags: tags, timeout: timeout)
            }
            var code = source
            if kind == .code {
                // a line that reads as a cell marker would split the cell: indented by a space
                var lines = source.components(separatedBy: "\n")
                for (k, line) in lines.enumerated() where NotebookParser.markerText(line) != nil {
                    lines[k] = " " + line
                    notes.append("\(label): line \(k + 1) began like a cell marker ('\(oneLine(line))'); indented by a space so the cell stays whole (inside a long string that adds the space)")
                }
                code = lines.joined(separator: "\n")
            }
            let body = kind == .code ? code : commented(source)
            parts.append(body.isEmpty ? marker : marker + "\n" + body)
        }
        let script = parts.joined(separator: "\n\n") + "\n"
        // Never write what `notebook run` could not read back.
        do { _ = try NotebookParser.parse(script, path: file) } catch let e as NotebookError {
            throw NotebookError(file, "the converted script does not parse (\(e.message)); the notebook was not imported")
        }
        return (script, notes)
    }

    /// Converts `path` and writes the script (atomically) to `output`, else beside it
    /// (nb.ipynb → nb.lua). Returns the path written and the remarks.
    @discardableResult
    public static func importNotebook(_ path: String, to output: String? = nil) throws -> (path: String, notes: [String]) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw NotebookError(path, "cannot read the notebook (no such file, or not readable)")
        }
        let (script, notes) = try convert(Array(data), file: path)
        let target = output ?? (path.hasSuffix(".ipynb") ? String(path.dropLast(6)) : path) + ".lua"
        do { try Data(script.utf8).write(to: URL(fileURLWithPath: target), options: .atomic) } catch {
            throw NotebookError(target, "cannot write: \((error as NSError).localizedDescription)")
        }
        return (target, notes)
    }

    /// nbformat's multi-line string: a string, or a list of strings to concatenate.
    static func text(_ v: JSON?) -> String? {
        guard let v else { return "" }
        if let s = v.string { return trimmed(s) }
        guard let list = v.array else { return nil }
        let pieces = list.compactMap(\.string)
        return pieces.count == list.count ? trimmed(pieces.joined()) : nil
    }

    static func trimmed(_ s: String) -> String {
        var lines = s.components(separatedBy: "\n").map { $0.hasSuffix("\r") ? String($0.dropLast()) : $0 }
        while lines.first.map(isBlank) == true { lines.removeFirst() }
        while lines.last.map(isBlank) == true { lines.removeLast() }
        return lines.joined(separator: "\n")
    }

    static func oneLine(_ s: String) -> String {
        s.components(separatedBy: .newlines).joined(separator: " ").trimmingCharacters(in: .whitespaces)
    }

    /// Markdown or raw text as Lua comments (`-- text`, `--` for a blank line).
    static func commented(_ s: String) -> String {
        s.components(separatedBy: "\n").map { trimRight($0).isEmpty ? "--" : "-- " + $0 }.joined(separator: "\n")
    }

    /// `-- %% Title [markdown] tags=["skip"] timeout=30`.
    static func markerLine(kind: CellKind, title: String?, tags: [CellTag], timeout: Double?) -> String {
        var s = "-- %%"
        if let title, !title.isEmpty { s += " " + title }
        if kind != .code { s += " [\(kind.rawValue)]" }
        if !tags.isEmpty { s += " tags=" + JSON.array(tags.map { .string($0.rawValue) }).text }
        if let t = timeout { s += " timeout=" + (t == t.rounded() && t < 1e15 ? String(Int(t)) : JSON.number(t)) }
        return s
    }

    /// True when the marker reads back with this title and kind (a title with `[` or
    /// `key=` in it would be taken for a cell type or metadata).
    static func markerKeeps(_ marker: String, title: String, kind: CellKind, file: String) -> Bool {
        guard let rest = NotebookParser.markerText(marker),
              let h = try? CellHeader.parse(rest, file: file, line: 1) else { return false }
        return h.title == title && h.kind == kind
    }

    /// The front matter for the notebook's title and Topiary metadata (nil when all default).
    static func frontMatter(_ meta: JSON) -> String? {
        var lines: [String] = []
        if let t = meta["title"]?.string.map(oneLine), !t.isEmpty { lines.append("-- title: \(t)") }
        let topiary = meta["topiary"]
        if let seed = topiary?["seed"]?.int, seed >= 0, seed != NotebookRunner.defaultSeed { lines.append("-- seed: \(seed)") }
        if let tol = topiary?["tolerance"]?.double, tol.isFinite, tol >= 0, tol != NotebookRunner.defaultTolerance {
            lines.append("-- tolerance: \(JSON.number(tol))")
        }
        return lines.isEmpty ? nil : (["-- ---"] + lines + ["-- ---"]).joined(separator: "\n")
    }
}
