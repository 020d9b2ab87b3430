import Foundation
import Text

/// One self-contained HTML page of a notebook and its recorded outputs: markdown
/// rendered, code and text outputs in <pre>, tables as tables, plots as SVG images
/// (`<img>` with a data: URI, so nothing in a recorded SVG can run).
public enum HTMLExport {
    public static func render(_ notebook: Notebook, _ record: RunRecord) -> String {
        let title = notebook.reportTitle ?? notebook.cells.first.map { String($0.text.dropFirst(2).prefix { $0 != "\n" }) } ?? notebook.fileName
        var body = notebook.reportTitle.map { "<h1>\(XML.escape($0))</h1>\n" } ?? ""
        var facts = ["\(XML.escape(notebook.fileName))", "seed \(record.seed)"]
        if !record.parameters.isEmpty {
            facts.append("parameters: " + record.parameters.map { XML.escape("\($0.name)=\($0.value)") }.joined(separator: ", "))
        }
        body += "<p class=\"meta\">" + facts.joined(separator: " · ") + "</p>\n"
        var count = 0
        for (cell, r) in zip(notebook.cells, record.cells) {
            switch cell.kind {
            case .markdown:
                body += "<div class=\"cell markdown\">\n" + MarkdownHTML.render(cell.text) + "</div>\n"
            case .raw:
                body += "<div class=\"cell raw\"><pre>" + XML.escape(cell.text) + "</pre></div>\n"
            case .code:
                let ran = r.status != .skipped && r.status != .notRun
                if ran { count += 1 }
                var head = ran ? "[\(count)]" : "[ ]"
                if let t = cell.title { head += " " + XML.escape(t) }
                head += " · \(XML.escape(notebook.fileName)):\(cell.line)"
                if !cell.tags.isEmpty { head += " · " + cell.tags.map(\.rawValue).joined(separator: ", ") }
                if r.status == .skipped { head += " · skipped" }
                if r.status == .notRun { head += " · not run" }
                body += "<div class=\"cell code\">\n<div class=\"meta\">\(head)</div>\n"
                body += "<pre class=\"source\">" + XML.escape(cell.source) + "</pre>\n"
                for o in r.outputs { body += output(o) }
                body += "</div>\n"
            }
        }
        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <title>\(XML.escape(title))</title>
            <style>
            body { font-family: -apple-system, "Segoe UI", "DejaVu Sans", Arial, sans-serif; max-width: 960px; margin: 2em auto; padding: 0 1em; color: #222; line-height: 1.45; }
            pre { background: #f6f8fa; padding: 0.6em 0.8em; overflow-x: auto; font-size: 0.9em; margin: 0.4em 0; }
            code { background: #f6f8fa; padding: 0 0.2em; }
            pre code { padding: 0; }
            .cell { margin: 1.4em 0; }
            .meta { color: #666; font-size: 0.85em; }
            pre.source { border-left: 3px solid #4078c0; }
            pre.stdout, pre.value { background: #fff; border-left: 3px solid #ccc; }
            pre.stderr, pre.warning { background: #fffbe6; border-left: 3px solid #e0b000; }
            pre.error { background: #fff0f0; border-left: 3px solid #d33; }
            table { border-collapse: collapse; margin: 0.4em 0; }
            th, td { border: 1px solid #ddd; padding: 0.2em 0.6em; }
            .image img { max-width: 100%; height: auto; }
            </style>
            </head>
            <body>
            \(body)</body>
            </html>

            """
    }

    static func output(_ o: CellOutput) -> String {
        switch o.kind {
        case .stdout, .stderr, .warning, .value, .error:
            return "<pre class=\"\(o.kind.rawValue)\">" + XML.escape(o.text) + "</pre>\n"
        case .table:
            return "<div class=\"table\">\n" + MarkdownHTML.render(table: o.markdown ?? "") + "</div>\n"
        case .image:
            // As an image, not inline markup: a browser runs no script and loads nothing
            // from an SVG shown through <img>, so a tampered recording cannot inject any.
            let uri = "data:image/svg+xml;base64," + Data((o.svg ?? "").utf8).base64EncodedString()
            var s = "<div class=\"image\"><img src=\"\(uri)\" alt=\"\(XML.escape(o.text))\" title=\"\(XML.escape(o.text))\"></div>\n"
            if let saved = o.savedAs { s += "<p class=\"meta\">saved to \(XML.escape(saved))</p>\n" }
            return s
        }
    }
}
