import XCTest
@testable import Notebook

/// Per-cell timeouts interrupt running Lua code from a timer thread.
final class TimeoutTests: XCTestCase {
    func testACellPastItsTimeoutIsInterrupted() throws {
        var o = RunOptions()
        o.keepGoing = true
        let start = Date()
        let r = try runText("""
            -- %% Spin timeout=0.3
            local n = 0
            while true do n = n + 1 end
            -- %% Next
            print("the state still works")
            """, o)
        let elapsed = Date().timeIntervalSince(start)
        XCTAssertLessThan(elapsed, 5, "interrupted, not left spinning")
        XCTAssertEqual(r.cells.map(\.status), [.timeout, .ok])
        let e = r.cells[0].outputs[0].text
        XCTAssertTrue(e.hasPrefix("nb.lua:3: timeout: the cell ran longer than 0.3 s and was interrupted"), e)
        XCTAssertEqual(r.cells[1].outputs[0].text, "the state still works\n")
    }

    func testTheCommandLineTimeoutAppliesToEveryCell() throws {
        var o = RunOptions()
        o.timeout = 0.2
        let r = try runText("-- %%\nx = 1\n-- %%\nwhile true do end\n-- %%\nprint(x)\n", o)
        XCTAssertEqual(r.cells.map(\.status), [.ok, .timeout, .notRun])
        XCTAssertEqual(r.firstFailure?.index, 2)
    }

    func testATimeoutInsideAFunctionCallIsInterruptedToo() throws {
        let r = try runText("-- %% timeout=0.2\nlocal function spin() while true do end end\nspin()\n")
        XCTAssertEqual(r.cells[0].status, .timeout)
        XCTAssertTrue(r.cells[0].outputs[0].text.contains("nb.lua:2: in"), r.cells[0].outputs[0].text)
    }

    func testFastCellsAreNotInterruptedByLateTimers() throws {
        // Thirty quick cells arm 0.1 s timers that fire while the last cell (allowed 10 s)
        // is still busy for at least 0.3 s: none of them may interrupt it.
        let cells = (1...30).map { "-- %% timeout=0.1\nx = (x or 0) + \($0)\n" }.joined()
        let r = try runText(cells + "-- %% timeout=10\nlocal t = os.clock() while os.clock() - t < 0.3 do end\nprint(x)\n")
        XCTAssertTrue(r.cells.allSatisfy { $0.status == .ok }, "\(r.cells.map(\.status))")
        XCTAssertEqual(r.cells.last?.outputs.first?.text, "465\n")
    }
}
