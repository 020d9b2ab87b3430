import XCTest
@testable import Notebook

/// Running cells: captured streams in order, trailing values, tables, warnings, plots,
/// errors with the file's line numbers, stopping, tags, seeds and parameters.
final class RunTests: XCTestCase {
    func outputs(_ r: RunRecord, _ cell: Int) -> [CellOutput] { r.cells[cell - 1].outputs }

    func testPrintAndWriteAreCapturedInOrderWithWarnings() throws {
        let r = try runText("""
            -- %%
            print("a", 1, 2.5, nil, true)
            io.write("b", 3, " ", 0.1, "\\n")
            io.stdout:write("c\\n")
            warn("careful")
            io.stderr:write("to stderr\\n")
            print("d")
            warn("@on")
            """)
        let o = outputs(r, 1)
        XCTAssertEqual(o.map(\.kind), [.stdout, .warning, .stderr, .stdout])
        XCTAssertEqual(o[0].text, "a\t1\t2.5\tnil\ttrue\nb3 0.1\nc\n")
        XCTAssertEqual(o[1].text, "careful\n")
        XCTAssertEqual(o[2].text, "to stderr\n")
        XCTAssertEqual(o[3].text, "d\n")
        XCTAssertEqual(r.cells[0].status, .ok)
    }

    func testTrailingExpressionsShowTheirValue() throws {
        let r = try runText("""
            -- %% a call
            local t = tensor.ones(2)
            t:sum()
            -- %% an expression spanning lines
            string.format("%d-%d",
              1, 2)
            -- %% a statement shows nothing
            y = 3
            -- %% a loop is not rewritten
            for i = 1, 2 do
              print(i)
            end
            -- %% nil shows nothing, io.write's file is hidden
            io.write("x\\n")
            -- %% a table literal
            f = function() return {b = {1, 2}, a = "s", [3] = true, 10, 20} end
            f()
            -- %% several values
            math.max(1, 2), "two"
            """)
        XCTAssertEqual(outputs(r, 1), [CellOutput(kind: .value, text: "2.0")])
        XCTAssertEqual(outputs(r, 2).first?.text, "1-2")
        XCTAssertEqual(outputs(r, 3), [])
        XCTAssertEqual(outputs(r, 4).map(\.text), ["1\n2\n"])
        XCTAssertEqual(outputs(r, 5).map(\.kind), [.stdout])
        XCTAssertEqual(outputs(r, 6).first?.text, "{10, 20, true, a = \"s\", b = {1, 2}}")
        XCTAssertEqual(outputs(r, 7).map(\.text), ["2", "two"])
    }

    /// Swift-side printers (train.fit's epoch lines, help) write to the notebook's output
    /// sink, in order with the cell's own prints, and draw no progress bar.
    func testTrainFitLinesAndHelpLandInTheCellOutput() throws {
        let r = try runText("""
            -- %%
            local y = tensor.new({0, 1, 0, 1, 0, 1, 0, 1})
            local x = tensor.randn(8, 2) + y:view(8, 1)
            local loader = data.loader(data.tensor_dataset(x, y), {batch = 4})
            local net = nn.Sequential{nn.Linear(2, 2)}
            print("before")
            train.fit(net, loader, {epochs = 2, optimizer = train.sgd{lr = 0.1}})
            print("after")
            help(tensor.zeros)
            """)
        XCTAssertEqual(r.cells[0].status, .ok, "\(outputs(r, 1))")
        let o = outputs(r, 1)
        XCTAssertEqual(o.map(\.kind), [.stdout], "one stream, nothing on stderr")
        let lines = o[0].text.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "before")
        XCTAssertTrue(lines[1].hasPrefix("epoch 1/2  loss "), lines[1])
        XCTAssertTrue(lines[2].hasPrefix("epoch 2/2  loss "), lines[2])
        XCTAssertEqual(lines[3], "after")
        XCTAssertTrue(lines[4].hasPrefix("tensor.zeros("), lines[4])
    }

    func testListsOfRecordsBecomeTables() throws {
        let r = try runText("""
            -- %%
            local function results() return {{name = "l1", top1 = 0.91}, {name = "fpgm|x", top1 = 0.9}} end
            results()
            """)
        let t = try XCTUnwrap(outputs(r, 1).first)
        XCTAssertEqual(t.kind, .table)
        XCTAssertEqual(t.text, "name    top1\nl1      0.91\nfpgm|x   0.9\n")
        XCTAssertEqual(t.markdown, "| name | top1 |\n| --- | ---: |\n| l1 | 0.91 |\n| fpgm\\|x | 0.9 |\n")
    }

    func testPlotsReturnedOrSavedAppear() throws {
        let s = Scratch()
        let saved = s.dir + "/saved.svg"
        let r = try runText("""
            -- %% returned
            plot.line({1, 2, 3}, {title = "t"})
            -- %% saved, then shown: one image
            p = plot.bar({1, 2})
            p:save("\(saved)")
            p:show()
            -- %% not returned or saved: nothing
            local q = plot.hist({1, 2, 3})
            """)
        XCTAssertEqual(outputs(r, 1).map(\.kind), [.image])
        XCTAssertEqual(outputs(r, 1)[0].text, "plot.line \"t\" (1 series, 3 points)")
        XCTAssertTrue(outputs(r, 1)[0].svg?.hasPrefix("<svg") == true)
        XCTAssertEqual(outputs(r, 2).map(\.kind), [.image])
        XCTAssertEqual(outputs(r, 2)[0].savedAs, saved)
        XCTAssertNotNil(s.read("saved.svg"))
        XCTAssertEqual(outputs(r, 3), [])
    }

    func testErrorsCarryTheFilesLineNumbersAndStopTheRun() throws {
        let r = try runText("""
            -- %% fine
            x = 1

            -- %% Broken
            local function f()
              error("boom")
            end
            f()
            -- %% never reached
            print("no")
            """)
        XCTAssertEqual(r.cells.map(\.status), [.ok, .error, .notRun])
        let e = try XCTUnwrap(outputs(r, 2).first)
        XCTAssertEqual(e.kind, .error)
        XCTAssertTrue(e.text.hasPrefix("nb.lua:6: boom\nstack traceback:"), e.text)
        XCTAssertTrue(e.text.contains("nb.lua:8: in main chunk"), e.text)
        XCTAssertEqual(r.firstFailure?.label(file: "nb.lua"), "cell 2 \"Broken\" (nb.lua:4)")
        var keepGoing = RunOptions()
        keepGoing.keepGoing = true
        let k = try runText("-- %%\nerror('a')\n-- %%\nprint('b')\n", keepGoing)
        XCTAssertEqual(k.cells.map(\.status), [.error, .ok])
    }

    func testSyntaxErrorsAreTheCellsError() throws {
        let r = try runText("-- %%\nx = = 1\n")
        XCTAssertEqual(r.cells[0].status, .error)
        XCTAssertTrue(outputs(r, 1)[0].text.hasPrefix("nb.lua:2: unexpected symbol near '='"), outputs(r, 1)[0].text)
    }

    func testTagsSkipAndRaises() throws {
        let r = try runText("""
            -- %% tags=["skip"]
            error("skipped")
            -- %% tags=["raises"]
            error("expected")
            -- %% tags=["raises"]
            x = 1
            -- %%
            print("still runs")
            """, { var o = RunOptions(); o.keepGoing = true; return o }())
        XCTAssertEqual(r.cells.map(\.status), [.skipped, .ok, .error, .ok])
        XCTAssertTrue(outputs(r, 2)[0].text.hasPrefix("nb.lua:4: expected"))
        XCTAssertEqual(outputs(r, 3)[0].text, "nb.lua:5: the cell is tagged raises but completed without an error")
    }

    func testTheSeedMakesRunsRepeatable() throws {
        let text = "-- ---\n-- seed: 5\n-- ---\n-- %%\nprint(tensor.randn(3))\n"
        let a = try runText(text), b = try runText(text)
        XCTAssertEqual(a.seed, 5)
        XCTAssertEqual(outputs(a, 1), outputs(b, 1))
        let c = try runText(text.replacingOccurrences(of: "seed: 5", with: "seed: 6"))
        XCTAssertNotEqual(outputs(a, 1), outputs(c, 1))
        XCTAssertEqual(try runText("-- %%\nx = 1\n").seed, NotebookRunner.defaultSeed)
    }

    func testUnterminatedCellsAreErrorsBeforeRunning() {
        let text = "-- %% Loop\nfor i = 1, 3 do\n  print(i)\n-- %%\nend\n"
        XCTAssertEqual(errorText { try runText(text) },
                       "nb.lua:1: unterminated cell: 'end' expected (to close 'for' at line 2) near <eof> — the cell ends at line 3; a block, string or comment must close within its cell")
        XCTAssertTrue(errorText { try runText("-- %%\nlocal s = [[\n-- %%\n]]\n") }.hasPrefix("nb.lua:1: unterminated cell: unfinished long string"))
    }

    func testBareExpressionsGetANote() throws {
        let runner = try NotebookRunner(try NotebookParser.parse("-- %% Show\nx = 1\nx\n-- %%\nprint(1)\n", path: "nb.lua"))
        XCTAssertEqual(runner.notes.count, 1)
        XCTAssertTrue(runner.notes[0].hasPrefix("nb.lua:3: note: cell 1 \"Show\" (nb.lua:1) ends in a bare expression"), runner.notes[0])
        XCTAssertEqual(try runner.run().cells[0].outputs, [CellOutput(kind: .value, text: "1")])
    }

    func testAHintWhenALocalIsUsedInALaterCell() throws {
        let r = try runText("-- %%\nlocal ratio = 0.5\n-- %%\nprint(ratio * 2)\n")
        let text = outputs(r, 2)[0].text
        XCTAssertTrue(text.contains("hint: 'ratio' is a local of cell 1 (nb.lua:2)"), text)
    }

    func testParametersAreReplaced() throws {
        let text = """
            -- %% Parameters tags=["parameters"]
            ratio = 0.5  -- the pruning ratio
            local name = "l1"
            layers = {
              1, 2,
            }
            -- %%
            print(ratio, name, #layers)
            """
        var o = RunOptions()
        o.parameters = [try ParameterOverride(parsing: "ratio=0.7"), try ParameterOverride(parsing: "layers={3}")]
        let r = try runText(text, o)
        XCTAssertEqual(outputs(r, 2)[0].text, "0.7\tnil\t1\n", "name is a local of the parameters cell")
        o.parameters = [try ParameterOverride(parsing: "name=fpgm")]
        let runner = try NotebookRunner(try NotebookParser.parse(text, path: "nb.lua"), options: o)
        XCTAssertEqual(runner.notebook.cells[0].lines[1], "local name = \"fpgm\"")
        XCTAssertEqual(runner.notebook.cells[0].lines.count, 5, "line numbers stay")
        o.parameters = [try ParameterOverride(parsing: "epochs=3")]
        XCTAssertEqual(errorText { try runText(text, o) },
                       "nb.lua:1: parameter 'epochs' is not assigned in the parameters cell (it sets: ratio, name, layers)")
        XCTAssertEqual(errorText { try runText("-- %%\nx = 1\n", o) }.prefix(40), "nb.lua: no cell is tagged parameters, so")
        XCTAssertEqual(errorText { try ParameterOverride(parsing: "ratio") }, "-p ratio: expected name=value, like -p ratio=0.7")
        XCTAssertEqual(try ParameterOverride(parsing: "arch=resnet56").luaExpression, "\"resnet56\"")
        XCTAssertEqual(try ParameterOverride(parsing: "lr=1e-3").luaExpression, "1e-3")
        XCTAssertEqual(try ParameterOverride(parsing: "on=true").luaExpression, "true")
        // a mistyped number for a number parameter is an error, not a string
        o.parameters = [try ParameterOverride(parsing: "ratio=0.7x")]
        XCTAssertEqual(errorText { try runText(text, o) },
                       "nb.lua:2: -p ratio=0.7x: the notebook's ratio is a number (0.5) and '0.7x' is not one (quote it to pass a string: -p ratio='0.7x')")
        o.parameters = [try ParameterOverride(parsing: "ratio='0.7x'")]
        XCTAssertEqual(outputs(try runText(text, o), 2)[0].text, "0.7x\tnil\t2\n", "a quoted string is taken as given")
        XCTAssertEqual(Notebook.assignedValue("ratio = 0.5  -- the pruning ratio"), "0.5")
        XCTAssertNil(Notebook.assignedValue("print(ratio)"))
    }

    /// What -p checks beyond numbers: a boolean takes true or false (not "False" or 0, both
    /// true in Lua), a string stays a string (-p tag=007), a line of two statements is not
    /// half replaced, and the keys of a table spread over lines are not parameters.
    func testParameterKindsAndStatements() throws {
        let text = """
            -- %% Parameters tags=["parameters"]
            flag = false
            tag = "a"
            n = 3; m = 4
            cfg = {
              width = 1,   -- a key, not a parameter
              s = "{",
            }
            -- %%
            print(flag, tag, type(tag), n, cfg.width)
            """
        var o = RunOptions()
        for bad in ["False", "0", "yes"] {
            o.parameters = [try ParameterOverride(parsing: "flag=\(bad)")]
            XCTAssertEqual(errorText { try runText(text, o) }, "nb.lua:2: -p flag=\(bad): the notebook's flag is a boolean (false); give true or false")
        }
        o.parameters = [try ParameterOverride(parsing: "flag=true"), try ParameterOverride(parsing: "tag=007")]
        XCTAssertEqual(outputs(try runText(text, o), 2)[0].text, "true\t007\tstring\t3\t1\n")
        o.parameters = [try ParameterOverride(parsing: "n=8")]
        XCTAssertEqual(errorText { try runText(text, o) },
                       "nb.lua:4: -p n=8: this line holds more than one statement, and -p replaces a whole line (give each parameter its own line)")
        o.parameters = [try ParameterOverride(parsing: "width=5")]
        XCTAssertEqual(errorText { try runText(text, o) },
                       "nb.lua:1: parameter 'width' is not assigned in the parameters cell (it sets: flag, tag, n, cfg)")
        XCTAssertEqual(try NotebookParser.parse(text, path: "nb.lua").parameterNames, ["flag", "tag", "n", "cfg"])
    }
}
