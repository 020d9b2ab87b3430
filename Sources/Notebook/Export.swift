import Foundation

/// `topiary notebook export`: the notebook with its recorded outputs as .ipynb or .html.
public enum Export {
    public enum Format: String, Sendable { case ipynb, html }

    /// Writes the export beside the notebook (nb.ipynb / nb.html) or to `output`;
    /// returns the path written.
    @discardableResult
    public static func export(_ path: String, as format: Format, to output: String? = nil) throws -> String {
        var notebook = try NotebookParser.load(path)
        let paths = OutputPaths(notebook: path)
        let record = try OutputStore.read(paths)
        guard record.cells.count == notebook.cells.count else {
            throw NotebookError(path, "the notebook has \(notebook.cells.count) cells but its outputs in \(paths.json) were recorded with \(record.cells.count); re-record them with `topiary notebook run \(path)`")
        }
        // Show the code that ran: with the recorded parameters applied.
        notebook = try notebook.applying(record.parameters, syntax: LuaSyntax())
        let text = format == .ipynb ? IpynbExport.render(notebook, record) : HTMLExport.render(notebook, record)
        let base = path.hasSuffix(".lua") ? String(path.dropLast(4)) : path
        let target = output ?? base + "." + format.rawValue
        do { try Data(text.utf8).write(to: URL(fileURLWithPath: target), options: .atomic) } catch {
            throw NotebookError(target, "cannot write: \((error as NSError).localizedDescription)")
        }
        return target
    }
}
