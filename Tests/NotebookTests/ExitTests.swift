import XCTest
@testable import Notebook

/// `os.exit` in a cell stops the run with that cell failed: the process goes on, the
/// outputs so far are recorded, and replay reports a failure instead of passing.
final class ExitTests: XCTestCase {
    func testOsExitFailsTheCellAndStopsTheRun() throws {
        for call in ["os.exit(0)", "os.exit(true)", "os.exit()", "pcall(os.exit, 3)", "while true do pcall(os.exit) end"] {
            var o = RunOptions()
            o.keepGoing = true   // even so: an exit stops the run
            let r = try runText("-- %%\nprint('one')\n-- %%\nprint('two')\n\(call)\nprint('unreached')\n-- %%\nprint('three')\n", o)
            XCTAssertEqual(r.cells.map(\.status), [.ok, .error, .notRun], call)
            XCTAssertEqual(r.cells[1].outputs.first?.text, "two\n", call)
            let e = r.cells[1].outputs.last?.text ?? ""
            XCTAssertTrue(e.hasPrefix("nb.lua:5: os.exit("), e)
            XCTAssertTrue(e.contains("called: a notebook cell cannot end the process; the run stops here"), e)
        }
        let codes = try runText("-- %%\nos.exit(false)\n")
        XCTAssertTrue(codes.cells[0].outputs[0].text.contains("os.exit(1) called"), codes.cells[0].outputs[0].text)
    }

    func testARunThatExitsIsRecordedAndReplayFails() throws {
        let s = Scratch()
        let path = s.write("nb.lua", "-- %%\nprint('kept')\n-- %%\nif os.getenv('TOPIARY_TEST_EXIT') then os.exit(0) end\nprint('b')\n-- %%\nprint('c')\n")
        // Recorded without exiting: every cell ran.
        try runAndRecord(path)
        XCTAssertTrue(try Replay.replay(path).passed)
        setenv("TOPIARY_TEST_EXIT", "1", 1)
        defer { unsetenv("TOPIARY_TEST_EXIT") }
        let report = try Replay.replay(path)
        XCTAssertFalse(report.passed, "replay does not pass when a cell exits")
        XCTAssertTrue(report.failure?.contains("os.exit(0) called") == true, report.failure ?? "")
        XCTAssertEqual(report.record.cells.map(\.status), [.ok, .error, .notRun])
        // `notebook run` records the run that exited (no stale outputs stay).
        let r = try runAndRecord(path)
        XCTAssertEqual(r.firstFailure?.index, 2)
        XCTAssertEqual(try OutputStore.read(OutputPaths(notebook: path)).cells.map(\.status), [.ok, .error, .notRun])
    }
}
