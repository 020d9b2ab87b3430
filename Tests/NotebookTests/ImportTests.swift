import Foundation
import Text
import XCTest
@testable import Notebook

/// `notebook import`: an exported notebook comes back as the same cells (kinds, titles,
/// tags, timeouts, code, markdown), and notebooks it cannot take are refused with the reason.
final class ImportTests: XCTestCase {
    let notebook = """
        -- ---
        -- title: Round trip
        -- seed: 7
        -- ---
        -- %% [markdown]
        -- # Heading
        --
        -- Text with [[brackets]] and `code`.
        -- %% Parameters tags=["parameters"]
        n = 3
        -- %% Work timeout=30
        local t = {}
        for i = 1, n do t[i] = i * i end
        print(table.concat(t, " "))
        -- %% Fails tags=["raises", "ignore-output"]
        error("expected")
        -- %% Not run tags=["skip"]
        print("no")
        -- %% [raw]
        -- raw text
        """

    func assertSameCells(_ a: Notebook, _ b: Notebook, line: UInt = #line) {
        XCTAssertEqual(a.cells.count, b.cells.count, line: line)
        for (x, y) in zip(a.cells, b.cells) {
            XCTAssertEqual(x.kind, y.kind, line: line)
            XCTAssertEqual(x.title, y.title, line: line)
            XCTAssertEqual(x.tags, y.tags, line: line)
            XCTAssertEqual(x.timeout, y.timeout, line: line)
            XCTAssertEqual(x.source, y.source, line: line)
            XCTAssertEqual(x.text, y.text, line: line)
        }
        XCTAssertEqual(a.frontMatter.title, b.frontMatter.title, line: line)
        XCTAssertEqual(a.frontMatter.seed, b.frontMatter.seed, line: line)
    }

    func testExportImportRoundTrip() throws {
        let s = Scratch()
        let path = s.write("rt.lua", notebook)
        try runAndRecord(path)
        let ipynb = try Export.export(path, as: .ipynb)
        let meta = try JSON.parse(try XCTUnwrap(s.read("rt.ipynb")))["metadata"]
        XCTAssertEqual(meta?["kernelspec"]?["name"]?.string, "topiary")
        XCTAssertEqual(meta?["kernelspec"]?["display_name"]?.string, "Topiary (Lua)")
        XCTAssertEqual(meta?["kernelspec"]?["language"]?.string, "lua")
        let (out, notes) = try IpynbImport.importNotebook(ipynb, to: s.dir + "/back.lua")
        XCTAssertEqual(notes, [])
        assertSameCells(try NotebookParser.load(path), try NotebookParser.load(out))
        // Imported again from its own export, the script is a fixed point.
        try runAndRecord(out)
        let again = try IpynbImport.importNotebook(try Export.export(out, as: .ipynb), to: s.dir + "/again.lua")
        XCTAssertEqual(s.read("again.lua"), s.read("back.lua"))
        XCTAssertEqual(again.path, s.dir + "/again.lua")
    }

    func ipynb(_ cells: String, format: String = "4", meta: String = #"{"kernelspec": {"language": "lua", "name": "topiary"}}"#) -> [UInt8] {
        Array(#"{"nbformat": \#(format), "nbformat_minor": 5, "metadata": \#(meta), "cells": [\#(cells)]}"#.utf8)
    }

    func testJupyterCellsAndUnknownTags() throws {
        let cells = #"""
            {"cell_type": "markdown", "metadata": {}, "source": ["# Title\n", "\n", "-- a line that looks like Lua"]},
            {"cell_type": "code", "metadata": {"tags": ["hide-input", "skip"], "title": "a [b] c=1"}, "source": "x = 1\nx", "outputs": [], "execution_count": 3},
            {"cell_type": "code", "metadata": {}, "source": [], "outputs": [], "execution_count": null}
            """#
        let (script, notes) = try IpynbImport.convert(ipynb(cells), file: "j.ipynb")
        XCTAssertEqual(script, """
            -- %% [markdown]
            -- # Title
            --
            -- -- a line that looks like Lua

            -- %% tags=["skip"]
            x = 1
            x

            -- %%

            """)
        XCTAssertEqual(notes, ["cell 2: tag 'hide-input' dropped (Topiary knows skip, ignore-output, raises, parameters)",
                               "cell 2: title 'a [b] c=1' dropped (the cell marker cannot hold it)"])
        let nb = try NotebookParser.parse(script, path: "j.lua")
        XCTAssertEqual(nb.cells[0].text, "# Title\n\n-- a line that looks like Lua")
    }

    /// Jupyter's own tags for a cell that may raise and a cell execution skips read as ours
    /// (the export writes them beside ours, so nbclient's Run All keeps going and skips).
    func testJupyterRaisesAndSkipTagsAreOurs() throws {
        let cells = #"""
            {"cell_type": "code", "metadata": {"tags": ["raises-exception"]}, "source": "error('x')", "outputs": [], "execution_count": null},
            {"cell_type": "code", "metadata": {"tags": ["skip-execution", "skip"]}, "source": "y = 2", "outputs": [], "execution_count": null}
            """#
        let (script, notes) = try IpynbImport.convert(ipynb(cells), file: "j.ipynb")
        XCTAssertEqual(script, "-- %% tags=[\"raises\"]\nerror('x')\n\n-- %% tags=[\"skip\"]\ny = 2\n")
        XCTAssertEqual(notes, [])
    }

    /// A code line that reads as a cell marker would split the cell on the next run: it is
    /// indented by a space, with a note.
    func testAMarkerLikeLineInACodeCellStaysInIt() throws {
        let cells = #"""
            {"cell_type": "code", "metadata": {}, "source": "x = 1\n-- %% not a new cell\ny = 2", "outputs": [], "execution_count": null}
            """#
        let (script, notes) = try IpynbImport.convert(ipynb(cells), file: "j.ipynb")
        XCTAssertEqual(script, "-- %%\nx = 1\n -- %% not a new cell\ny = 2\n")
        XCTAssertEqual(try NotebookParser.parse(script, path: "j.lua").cells.count, 1)
        XCTAssertEqual(notes, ["cell 1: line 2 began like a cell marker ('-- %% not a new cell'); indented by a space so the cell stays whole (inside a long string that adds the space)"])
    }

    func testRefused() {
        func reason(_ bytes: [UInt8]) -> String { errorText { try IpynbImport.convert(bytes, file: "x.ipynb") } }
        XCTAssertEqual(reason(ipynb("", format: "3")),
                       "x.ipynb: nbformat 3 is not supported: only nbformat 4 notebooks are imported (convert it with `jupyter nbconvert --to notebook --nbformat 4`)")
        XCTAssertEqual(reason(Array(#"{"cells": []}"#.utf8)), "x.ipynb: not a Jupyter notebook: it has no 'nbformat' field")
        XCTAssertTrue(reason(Array("not json".utf8)).hasPrefix("x.ipynb: not a Jupyter notebook: the file is not JSON"))
        XCTAssertEqual(reason(Array("[1]".utf8)), "x.ipynb: not a Jupyter notebook: the JSON is not an object")
        XCTAssertEqual(reason(ipynb("", meta: #"{"kernelspec": {"language": "python"}}"#)),
                       "x.ipynb: the notebook's language is python, not lua: its code would not run in Topiary")
        XCTAssertEqual(reason(ipynb(#"{"cell_type": "widget", "source": ""}"#)),
                       "x.ipynb: cell 1 has the unknown cell_type 'widget' (code, markdown or raw)")
        XCTAssertEqual(reason(ipynb(#"{"cell_type": "code", "source": 3}"#)),
                       "x.ipynb: cell 1: 'source' must be a string or a list of strings")
        XCTAssertEqual(reason(ipynb("", format: #""4""#)).contains("nbformat \"4\" is not supported"), true)
        // A missing file, and a directory as output: errors, nothing written.
        XCTAssertTrue(errorText { try IpynbImport.importNotebook("/nonexistent/x.ipynb") }.contains("cannot read"))
        let s = Scratch()
        let p = s.write("ok.ipynb", String(decoding: ipynb(""), as: UTF8.self))
        XCTAssertTrue(errorText { try IpynbImport.importNotebook(p, to: s.dir) }.contains("cannot write"))
    }
}
