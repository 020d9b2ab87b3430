import Foundation
import XCTest

/// Ctrl-C in `topiary repl` must give the prompt back whatever the command runs: Lua
/// code on a thread of its own (a loader transform) and code that catches errors with
/// pcall (a second Ctrl-C gets through).
final class ReplInterruptTests: XCTestCase {
    var tmp: URL!

    override func setUpWithError() throws {
        tmp = FileManager.default.temporaryDirectory.appendingPathComponent("topiary-int-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: tmp) }

    func start() throws -> PseudoTerminal {
        let env = ["TERM": "xterm", "HOME": tmp.path, "PATH": "/usr/bin:/bin", "NO_COLOR": "1", "TOPIARY_HISTORY": ""]
        let t = try PseudoTerminal(try topiaryBinary(), args: ["repl"], environment: env)
        try t.expect("Ctrl-D to quit.")
        try t.prompt()
        return t
    }

    func quit(_ t: PseudoTerminal) {
        t.send("\u{04}")
        XCTAssertEqual(t.waitForExit(), 0, t.transcript)
    }

    /// While os.execute waits, the REPL ignores SIGINT (system() does): Ctrl-C reaches only
    /// the command. The command's death by SIGINT stops the rest of the input too.
    func testCtrlCDuringOsExecuteStopsTheCommand() throws {
        let t = try start()
        t.send("os.execute('sleep 20') print('ran on')\r")
        Thread.sleep(forTimeInterval: 0.5)
        t.send("\u{03}")
        let out = try t.prompt(timeout: 5)
        XCTAssertTrue(out.contains("interrupted!"), out)
        XCTAssertFalse(out.contains("\nran on"), "the rest of the line must not run: " + out)
        quit(t)
    }

    func testCtrlCStopsAnEndlessLoaderTransform() throws {
        let t = try start()
        t.send("ds = data.tensor_dataset(tensor.zeros(4, 1, 2, 2), tensor.arange(4))\r")
        try t.prompt()
        for background in ["true", "false"] {
            t.send("for x in data.loader(ds, {batch = 2, background = \(background), transform = {function(x, y) while true do end end}}):iter() do end\r")
            Thread.sleep(forTimeInterval: 0.5)
            t.send("\u{03}")
            let out = try t.prompt(timeout: 5)
            XCTAssertTrue(out.contains("interrupted"), "background = \(background): " + out)
            // The transform's thread is usable again: a finite transform runs to the end.
            t.send("n = 0 for x in data.loader(ds, {batch = 2, background = \(background), transform = {function(x, y) n = n + 1 return x end}}):iter() do end\r")
            try t.prompt(timeout: 5)
            t.send("= n\r")
            XCTAssertTrue(try t.prompt().contains("2"), t.transcript)
        }
        quit(t)
    }

    func testASecondCtrlCGetsThroughPcall() throws {
        let t = try start()
        t.send("caught = 0 while true do if not pcall(function() while true do end end) then caught = caught + 1 end end\r")
        Thread.sleep(forTimeInterval: 0.4)
        t.send("\u{03}")                       // the first one is caught, as in lua.c
        Thread.sleep(forTimeInterval: 0.4)
        t.send("\u{03}")                       // the second one reaches the prompt
        let out = try t.prompt(timeout: 5)
        XCTAssertTrue(out.contains("interrupted"), out)
        t.send("= caught\r")
        XCTAssertTrue(try t.prompt().contains("1"), t.transcript)
        // The interrupt ended with its command: the next ones run normally, pcall included.
        t.send("= select('#', pcall(error, 'x')), 6 * 7\r")
        XCTAssertTrue(try t.prompt().contains("2\t42"), t.transcript)
        quit(t)
    }
}
