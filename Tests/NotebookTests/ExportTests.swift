import Foundation
import XCTest
@testable import Notebook

/// Exports: the .ipynb validated against the nbformat 4 schema (by Python's nbformat
/// package when it is installed), and the self-contained HTML page.
final class ExportTests: XCTestCase {
    let notebook = """
        -- ---
        -- title: Export me
        -- seed: 1
        -- ---
        -- %% [markdown]
        -- # Heading
        --
        -- A *list*:
        -- - one `code`
        -- - two [link](https://example.org)
        -- %% Stream, value, warning tags=["parameters"]
        n = 3
        print("hello <world>")
        warn("careful")
        string.rep("ab", n)
        -- %% A table and a plot
        p = plot.line({1, 2, 3}, {title = "line"})
        p:show()
        -- %% Table
        local function rows() return {{a = 1, b = "x"}, {a = 2, b = "y"}} end
        rows()
        -- %% Error tags=["raises"]
        error("expected failure")
        -- %% Skipped tags=["skip"]
        print("no")
        -- %% [raw]
        -- raw text
        """

    func recorded() throws -> (Scratch, String) {
        let s = Scratch()
        let path = s.write("ex.lua", notebook)
        try runAndRecord(path)
        return (s, path)
    }

    func testIpynbStructure() throws {
        let (s, path) = try recorded()
        let out = try Export.export(path, as: .ipynb)
        XCTAssertEqual(out, s.dir + "/ex.ipynb")
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(try XCTUnwrap(s.read("ex.ipynb")).utf8)) as? [String: Any])
        XCTAssertEqual(json["nbformat"] as? Int, 4)
        XCTAssertEqual(json["nbformat_minor"] as? Int, 5)
        let meta = try XCTUnwrap(json["metadata"] as? [String: Any])
        XCTAssertEqual((meta["kernelspec"] as? [String: Any])?["language"] as? String, "lua")
        XCTAssertEqual((meta["language_info"] as? [String: Any])?["name"] as? String, "lua")
        let all = try XCTUnwrap(json["cells"] as? [[String: Any]])
        // first the set-up cell: the recorded run's seed and threads, before the notebook's cells
        let setup = try XCTUnwrap(all.first)
        XCTAssertEqual(setup["id"] as? String, "topiary-setup")
        XCTAssertTrue(setup["execution_count"] is NSNull)
        let record = try OutputStore.read(OutputPaths(notebook: path))
        let code = (setup["source"] as? [String])?.joined() ?? ""
        XCTAssertTrue(code.contains("tensor.manual_seed(\(record.seed)); math.randomseed(\(record.seed))\n"), code)
        XCTAssertTrue(code.contains("tensor.set_num_threads(\(try XCTUnwrap(record.threads)))"), code)
        let cells = Array(all.dropFirst())
        XCTAssertEqual(cells.map { $0["cell_type"] as? String }, ["markdown", "code", "code", "code", "code", "code", "raw"])
        let outputs = cells.map { ($0["outputs"] as? [[String: Any]]) ?? [] }
        XCTAssertEqual(outputs[1].map { $0["output_type"] as? String }, ["stream", "stream", "execute_result"])
        XCTAssertEqual((outputs[1][2]["data"] as? [String: Any])?["text/plain"] as? [String], ["ababab"])
        XCTAssertEqual(outputs[2].map { $0["output_type"] as? String }, ["display_data"])
        let svg = ((outputs[2][0]["data"] as? [String: Any])?["image/svg+xml"] as? [String])?.joined()
        XCTAssertEqual(svg?.hasPrefix("<svg"), true)
        XCTAssertNotNil((outputs[3][0]["data"] as? [String: Any])?["text/markdown"])
        XCTAssertEqual(outputs[4].first?["output_type"] as? String, "error")
        XCTAssertEqual(outputs[4].first?["evalue"] as? String, "ex.lua:23: expected failure")
        XCTAssertTrue(cells[5]["execution_count"] is NSNull, "a skipped cell has no execution count")
        // Jupyter's equivalents beside ours: nbclient's Run All goes on past the error and skips
        XCTAssertEqual((cells[4]["metadata"] as? [String: Any])?["tags"] as? [String], ["raises", "raises-exception"])
        XCTAssertEqual((cells[5]["metadata"] as? [String: Any])?["tags"] as? [String], ["skip", "skip-execution"])
        XCTAssertEqual((cells[1]["metadata"] as? [String: Any])?["tags"] as? [String], ["parameters"])
        XCTAssertEqual((cells[1]["metadata"] as? [String: Any])?["title"] as? String, "Stream, value, warning")
    }

    func testIpynbIsValidNbformat4() throws {
        let (s, path) = try recorded()
        let out = try Export.export(path, as: .ipynb)
        guard let python = pythonWithNbformat() else {
            throw XCTSkip("Python's nbformat package is not installed (Scripts/setup installs it with pip), so the schema check is skipped")
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = ["-c", "import nbformat, sys; nb = nbformat.read(sys.argv[1], as_version=4); nbformat.validate(nb); print(len(nb.cells))", out]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        p.waitUntilExit()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(p.terminationStatus, 0, text)
        XCTAssertEqual(text.trimmingCharacters(in: .whitespacesAndNewlines), "8", "the set-up cell and the notebook's 7")
        _ = s
    }

    /// A python3 on PATH that can import nbformat.
    func pythonWithNbformat() -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            let candidate = "\(dir)/python3"
            guard FileManager.default.isExecutableFile(atPath: candidate) else { continue }
            let p = Process()
            p.executableURL = URL(fileURLWithPath: candidate)
            p.arguments = ["-c", "import nbformat"]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            guard (try? p.run()) != nil else { continue }
            p.waitUntilExit()
            if p.terminationStatus == 0 { return candidate }
        }
        return nil
    }

    func testHTMLIsOneSelfContainedPage() throws {
        let (s, path) = try recorded()
        try Export.export(path, as: .html)
        let html = try XCTUnwrap(s.read("ex.html"))
        XCTAssertTrue(html.hasPrefix("<!DOCTYPE html>"))
        XCTAssertTrue(html.contains("<title>Export me</title>"))
        XCTAssertTrue(html.contains("<h1>Heading</h1>"))
        XCTAssertTrue(html.contains("<ul><li>one <code>code</code></li><li>two <a href=\"https://example.org\">link</a></li></ul>"), html)
        XCTAssertTrue(html.contains("<p>A <em>list</em>:</p>"))
        XCTAssertTrue(html.contains("<pre class=\"stdout\">hello &lt;world&gt;\n</pre>"))
        // Plots are in the page, as images with data: URIs (a recorded SVG cannot run script).
        let prefix = "<img src=\"data:image/svg+xml;base64,"
        let start = try XCTUnwrap(html.range(of: prefix), "plots are in the page")
        let encoded = html[start.upperBound...].prefix { $0 != "\"" }
        let svg = String(decoding: try XCTUnwrap(Data(base64Encoded: String(encoded))), as: UTF8.self)
        XCTAssertTrue(svg.hasPrefix("<svg xmlns"), svg)
        XCTAssertFalse(html.contains("<svg"), "no inline SVG markup")
        XCTAssertTrue(html.contains("<tr><th align=\"right\">a</th><th>b</th></tr>"), "numbers align right")
        XCTAssertTrue(html.contains("<pre class=\"error\">ex.lua:23: expected failure"))
        XCTAssertFalse(html.contains("<img src=\"http") || html.contains("<script") || html.contains("<link"), "nothing external")
        XCTAssertEqual(html.components(separatedBy: "<img ").count - 1, html.components(separatedBy: prefix).count - 1,
                       "every image is a data: URI")
    }

    /// Markdown goes through Ink; what it would pass through raw is shown as text.
    func testMarkdownShowsHTMLAsText() {
        XCTAssertEqual(MarkdownHTML.render("a <script>alert(1)</script> & b < c"),
                       "<p>a &lt;script&gt;alert(1)&lt;/script&gt; &amp; b &lt; c</p>")
        XCTAssertEqual(MarkdownHTML.render("<div onclick=\"x()\">hi</div>\n"), "&lt;div onclick=&quot;x()&quot;&gt;hi&lt;/div&gt;")
        XCTAssertEqual(MarkdownHTML.render("[x](a\"onmouseover=\"alert(1))"), "<p><a href=\"a&quot;onmouseover=&quot;alert(1)\">x</a></p>")
        XCTAssertEqual(MarkdownHTML.render("![p](a\"b.svg)"), "<img src=\"a&quot;b.svg\" alt=\"p\"/>")
        XCTAssertEqual(MarkdownHTML.render(table: "| n | s |\n| ---: | --- |\n| 1 | x\\|<b> & <cycle |\n"),
                       "<table><thead><tr><th align=\"right\">n</th><th>s</th></tr></thead><tbody><tr><td align=\"right\">1</td><td>x|&lt;b&gt; &amp; &lt;cycle</td></tr></tbody></table>")
        XCTAssertEqual(MarkdownHTML.render("# T\n\n```\n<x> & y\n```\n\n> q\n\n---\n"),
                       "<h1>T</h1><pre><code>&lt;x&gt; &amp; y\n</code></pre><blockquote><p>q</p></blockquote><hr>")
    }

    func testExportNeedsRecordedOutputs() {
        let s = Scratch()
        let path = s.write("ex.lua", "print(1)\n")
        XCTAssertTrue(errorText { try Export.export(path, as: .html) }.contains("no recorded outputs"))
    }

    func testMarkdownReportLinksImages() throws {
        let (s, _) = try recorded()
        let md = try XCTUnwrap(s.read("ex.out.md"))
        XCTAssertTrue(md.contains("# Export me"))
        XCTAssertTrue(md.contains("![plot.line \"line\" (1 series, 3 points)](ex.out/cell-3-1.svg)"), md)
        XCTAssertTrue(md.contains("| a | b |\n| ---: | --- |\n| 1 | x |"), md)
        XCTAssertTrue(md.contains("*Skipped (tag `skip`).*"))
        XCTAssertTrue(md.contains("```lua\nn = 3\nprint(\"hello <world>\")"))
    }

    /// CommonMark ends a bare link destination at a space: a notebook named `my nb.lua`
    /// links its images inside <…>.
    func testLinkTargetsWithSpaces() {
        XCTAssertEqual(MarkdownReport.linkTarget("ex.out/cell-3-1.svg"), "ex.out/cell-3-1.svg")
        XCTAssertEqual(MarkdownReport.linkTarget("my nb.out/cell-1-1.svg"), "<my nb.out/cell-1-1.svg>")
        XCTAssertEqual(MarkdownReport.linkTarget("a (b)<c>.lua"), "<a (b)\\<c\\>.lua>")
    }
}
