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

    /// A cell that must stop within a few seconds of its 0.5 s timeout, after a cell whose
    /// output is kept, followed by a cell showing the state still works.
    func assertTimesOut(_ body: String, file: StaticString = #filePath, line: UInt = #line) throws {
        var o = RunOptions()
        o.keepGoing = true
        let start = Date()
        let r = try runText("-- %%\nprint('before')\n-- %% timeout=0.5\n\(body)\n-- %%\nprint('after')\n", o)
        XCTAssertLessThan(Date().timeIntervalSince(start), 5, "stopped, not left running: \(body)", file: file, line: line)
        XCTAssertEqual(r.cells.map(\.status), [.ok, .timeout, .ok], body, file: file, line: line)
        XCTAssertEqual(r.cells[0].outputs.first?.text, "before\n", "the earlier cell's output is kept", file: file, line: line)
        XCTAssertTrue(r.cells[1].outputs.last?.text.contains("timeout: the cell ran longer than 0.5 s") == true,
                      "\(r.cells[1].outputs)", file: file, line: line)
        XCTAssertEqual(r.cells[2].outputs.first?.text, "after\n", file: file, line: line)
    }

    func testPcallCannotSwallowATimeout() throws {
        try assertTimesOut("while true do pcall(function() while true do end end) end")
        try assertTimesOut("while true do local ok = xpcall(function() while true do end end, function(e) return e end) end")
    }

    func testALoopInALoaderTransformTimesOut() throws {
        let ds = "local ds = data.tensor_dataset(tensor.zeros(4, 1, 2, 2), tensor.arange(4))\n"
        for background in ["true", "false"] {
            try assertTimesOut(ds + "for x in data.loader(ds, {batch = 2, background = \(background), transform = {function(x, y) while true do end end}}):iter() do end")
        }
        // And one that catches its interrupts.
        try assertTimesOut(ds + "for x in data.loader(ds, {batch = 2, transform = {function(x, y) while true do pcall(function() while true do end end) end end}}):iter() do end")
    }

    func testAChildProcessIsStoppedAtTheTimeout() throws {
        try assertTimesOut("os.execute('sleep 20')")
        try assertTimesOut("io.popen('sleep 20'):read('a')")
        try assertTimesOut("os.execute('sh -c \"sleep 20; sleep 20\"')")
        // No child is left behind.
        XCTAssertEqual(ChildProcesses.descendants(), [], "the sleeps were killed")
    }

    func testANativeKernelIsStoppedAtTheTimeout() throws {
        // Ten million tiny matrix products in one call: the kernel polls the interrupt flag.
        try assertTimesOut("local a = tensor.ones(1, 1, 4):expand(10000000, 1, 4) local b = tensor.ones(4, 1) while true do a:matmul(b) end")
    }

    func testATimedOutCellLeavesNoInterruptBehind() throws {
        // The next cells run pcall, loader transforms and kernels normally.
        var o = RunOptions()
        o.keepGoing = true
        let r = try runText("""
            -- %% timeout=0.3
            while true do pcall(function() while true do end end) end
            -- %%
            local ds = data.tensor_dataset(tensor.zeros(4, 1, 2, 2), tensor.arange(4))
            local n = 0
            for x in data.loader(ds, {batch = 2, transform = {function(x, y) n = n + 1 return x end}}):iter() do end
            print(n, select(2, pcall(error, "e")), tensor.ones(3):sum())
            """, o)
        XCTAssertEqual(r.cells.map(\.status), [.timeout, .ok])
        XCTAssertEqual(r.cells[1].outputs.first?.text, "2\te\t3.0\n")
    }
}
