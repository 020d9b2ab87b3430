import XCTest
@testable import Sweep

/// Reading sweep files: the Lua table, and errors that name what and where.
final class SweepFileTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        dir = try temporaryFolder(self)
        try write(dir + "/nb.lua", notebookText)
    }

    func load(_ body: String) throws -> SweepSpec {
        let path = dir + "/s.lua"
        try write(path, body.replacingOccurrences(of: "NB", with: dir + "/nb.lua"))
        return try SweepFile.load(path)
    }

    func error(_ body: String) -> String {
        do { _ = try load(body); return "no error" } catch { return "\(error)" }
    }

    func testReadsTheTable() throws {
        let s = try load("""
            local seeds = {}
            for i = 1, 3 do seeds[i] = i end
            sweep{notebook = "NB", out = "runs/x", grid = {seed = seeds, ratio = {0.25, 0.5}, criterion = "l1"},
                  plot = {x = "ratio", y = "top1"}, slurm = {partition = "debug", max = 2, cpus = 2}, timeout = 60}
            """)
        XCTAssertEqual(s.grid.map(\.name), ["criterion", "ratio", "seed"])
        XCTAssertEqual(s.grid[0].values, [.string("l1")], "a scalar is a fixed parameter")
        XCTAssertEqual(s.grid[1].values, [.double(0.25), .double(0.5)])
        XCTAssertEqual(s.grid[2].values, [.int(1), .int(2), .int(3)])
        XCTAssertEqual(s.out, "runs/x")
        XCTAssertEqual(s.plot, PlotChoice(x: "ratio", y: "top1"))
        XCTAssertEqual(s.slurm.partition, "debug")
        XCTAssertEqual(s.slurm.maxRunning, 2)
        XCTAssertEqual(s.slurm.cpus, 2)
        XCTAssertEqual(s.timeout, 60)
    }

    func testErrors() {
        XCTAssertTrue(error(#"sweep{notebook = "NB", out = "o", grid = {ratio = {}}}"#).contains("grid 'ratio' is an empty list"))
        XCTAssertTrue(error(#"sweep{notebook = "NB", out = "o", grid = {ratio = {{1}}}}"#).contains("grid 'ratio' value 1 must be a number, string or boolean, got table"))
        XCTAssertTrue(error(#"sweep{notebook = "NB", out = "o", grid = {ratio = {a = 1}}}"#).contains("must be a list"))
        XCTAssertTrue(error(#"sweep{notebook = "NB", out = "o", grid = {ratio = {0/0}}}"#).contains("grid 'ratio' value 1 is NaN: a grid value must be finite"))
        XCTAssertTrue(error(#"sweep{notebook = "NB", out = "o", grid = {ratio = {-1/0}}}"#).contains("grid 'ratio' value 1 is -inf"))
        XCTAssertTrue(error(#"sweep{notebook = "NB", out = "o", grid = {epochs = {1, 2}}}"#)
            .contains("grid parameter 'epochs' is not assigned in the parameters cell of \(dir)/nb.lua (it sets: criterion, ratio, seed)"))
        XCTAssertTrue(error(#"sweep{notebook = "nope.lua", out = "o", grid = {ratio = {1}}}"#).contains("notebook 'nope.lua' does not exist"))
        XCTAssertTrue(error(#"sweep{out = "o", grid = {ratio = {1}}}"#).contains("field 'notebook' is required"))
        XCTAssertTrue(error(#"sweep{notebook = "NB", grid = {ratio = {1}}}"#).contains("field 'out' is required"))
        XCTAssertTrue(error(#"sweep{notebook = "NB", out = "o", grid = {ratio = {1}}, grdi = 1}"#).contains("unknown option 'grdi' for sweep"))
        XCTAssertTrue(error(#"sweep{notebook = "NB", out = "o", grid = {ratio = {0.5, 0.5}}}"#).contains("would share the task folder"))
        XCTAssertTrue(error("local x = 1").contains("calls sweep{...} exactly once (it called it 0 times)"))
        let e = error(#"sweep{notebook = "NB", out = "o", grid = {ratio = {1}}}; sweep{notebook = "NB", out = "p", grid = {ratio = {1}}}"#)
        XCTAssertTrue(e.contains("exactly once (it called it 2 times)"), e)
        XCTAssertTrue(error("sweep{").contains("s.lua:1:"), "syntax errors name the file and line")
        XCTAssertTrue((try? SweepFile.load(dir + "/missing.lua")) == nil)
    }

    /// Errors in the nested tables name argument 1 (not the stack slot they were read from);
    /// grid errors are not prefixed twice with the file; slurm.time takes minutes.
    func testNestedTablesAndGridMessages() throws {
        var e = error(#"sweep{notebook = "NB", out = "o", grid = {ratio = {1}}, slurm = {cpus = "two"}}"#)
        XCTAssertTrue(e.contains("s.lua:1: bad argument #1 to 'sweep' (slurm field 'cpus': number expected, got string)"), e)
        e = error(#"sweep{notebook = "NB", out = "o", grid = {ratio = {1}}, plot = {x = 1}}"#)
        XCTAssertTrue(e.contains("bad argument #1 to 'sweep' (plot field 'x': string expected, got number)"), e)
        e = error(#"sweep{notebook = "NB", out = "o", grid = {ratio = {1}}, slurm = {tiem = 1}}"#)
        XCTAssertTrue(e.contains("bad argument #1 to 'sweep' (unknown option 'tiem' for slurm"), e)
        e = error(#"sweep{notebook = "NB", out = "o", grid = {}}"#)
        XCTAssertTrue(e.hasSuffix("s.lua:1: bad argument #1 to 'sweep' (the grid is empty; give at least one parameter, like grid = {ratio = {0.3, 0.5}})"), e)
        XCTAssertFalse(e.contains("sweep: "), e)
        e = error(#"sweep{notebook = "NB", out = "o", grid = {ratio = {1, 0.5, 1.0}}}"#)
        XCTAssertTrue(e.contains("bad argument #1 to 'sweep' (grid 'ratio' lists 1 and 1.0, one value in Lua (1 == 1.0): give it once)"), e)
        XCTAssertEqual(try load(#"sweep{notebook = "NB", out = "o", grid = {ratio = {1}}, slurm = {time = 30}}"#).slurm.time, "30")
        XCTAssertEqual(try load(#"sweep{notebook = "NB", out = "o", grid = {ratio = {1}}, slurm = {time = "1:30:00"}}"#).slurm.time, "1:30:00")
        e = error(#"sweep{notebook = "NB", out = "o", grid = {ratio = {1}}, slurm = {time = 0.5}}"#)
        XCTAssertTrue(e.contains("bad argument #1 to 'sweep' (slurm field 'time': a number is whole minutes (at least 1), got 0.5"), e)
    }
}
