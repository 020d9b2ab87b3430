import Foundation
import Text

/// Where a notebook's outputs live: `nb.out.md` beside `nb.lua`, and the directory
/// `nb.out/` holding `outputs.json` (the machine-readable record) and the plots' SVGs.
public struct OutputPaths: Sendable {
    public let notebook: String
    public let markdown: String
    public let directory: String
    public var json: String { directory + "/outputs.json" }
    /// The directory's name, as linked from the Markdown file beside it.
    public var directoryName: String { String(directory.split(separator: "/").last ?? "") }

    public init(notebook: String) {
        self.notebook = notebook
        let base = notebook.hasSuffix(".lua") ? String(notebook.dropLast(4)) : notebook
        markdown = base + ".out.md"
        directory = base + ".out"
    }

    /// The same names in folder `out` instead of beside the notebook (`notebook run --out`):
    /// `out/nb.out.md` and `out/nb.out/`.
    public init(notebook: String, in out: String) {
        self.notebook = notebook
        let name = String(notebook.split(separator: "/").last ?? Substring(notebook))
        let base = out + "/" + (name.hasSuffix(".lua") ? String(name.dropLast(4)) : name)
        markdown = base + ".out.md"
        directory = base + ".out"
    }
}

/// Writes and reads a run's outputs.
public enum OutputStore {
    /// Writes the SVGs, `outputs.json` and `nb.out.md`; returns the record with the image
    /// file names filled in. Stale `cell-*.svg` files from earlier runs are removed; other
    /// files in the directory are left alone.
    @discardableResult
    public static func write(_ record: RunRecord, notebook: Notebook, paths: OutputPaths) throws -> RunRecord {
        let fm = FileManager.default
        do {
            try fm.createDirectory(atPath: paths.directory, withIntermediateDirectories: true)
            for f in (try? fm.contentsOfDirectory(atPath: paths.directory)) ?? [] where f.hasPrefix("cell-") && f.hasSuffix(".svg") {
                try fm.removeItem(atPath: paths.directory + "/" + f)
            }
            var record = record
            for c in record.cells.indices {
                var k = 0
                for o in record.cells[c].outputs.indices where record.cells[c].outputs[o].kind == .image {
                    k += 1
                    let name = "cell-\(record.cells[c].index)-\(k).svg"
                    try Data((record.cells[c].outputs[o].svg ?? "").utf8).write(to: URL(fileURLWithPath: paths.directory + "/" + name), options: .atomic)
                    record.cells[c].outputs[o].file = name
                }
            }
            try Data((record.json.indented(2, sortedKeys: true) + "\n").utf8).write(to: URL(fileURLWithPath: paths.json), options: .atomic)
            try Data(MarkdownReport.render(record, notebook: notebook, paths: paths).utf8).write(to: URL(fileURLWithPath: paths.markdown), options: .atomic)
            return record
        } catch let e as NotebookError {
            throw e
        } catch {
            throw NotebookError(paths.directory, "cannot write the outputs: \((error as NSError).localizedDescription)")
        }
    }

    /// Reads a recorded run, with each image's SVG loaded from its file.
    public static func read(_ paths: OutputPaths) throws -> RunRecord {
        guard let data = FileManager.default.contents(atPath: paths.json) else {
            throw NotebookError(paths.notebook, "no recorded outputs: \(paths.json) does not exist; record them with `topiary notebook run \(paths.notebook)`")
        }
        var record: RunRecord
        do { record = try RunRecord(json: JSON.parse(data)) } catch {
            throw NotebookError(paths.json, "not a recorded notebook run (\(error)); re-record it with `topiary notebook run \(paths.notebook)`")
        }
        try check(record, paths)
        for c in record.cells.indices {
            for o in record.cells[c].outputs.indices where record.cells[c].outputs[o].kind == .image {
                let svg = try image(record.cells[c].outputs[o].file, cell: record.cells[c].index, paths)
                record.cells[c].outputs[o].svg = String(decoding: svg, as: UTF8.self)
            }
        }
        return record
    }
}
