import Foundation
import XCTest

/// `topiary repl` on a pseudo-terminal, as a person would use it.
final class ReplTerminalTests: XCTestCase {
    var tmp: URL!

    override func setUpWithError() throws {
        tmp = FileManager.default.temporaryDirectory.appendingPathComponent("topiary-repl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: tmp)
    }

    /// A REPL session with its own history file, no colour unless asked, and a real TERM.
    func start(history: String? = nil, colour: Bool = false) throws -> PseudoTerminal {
        var env = ["TERM": "xterm", "HOME": tmp.path, "PATH": "/usr/bin:/bin",
                   "TOPIARY_HISTORY": history ?? tmp.appendingPathComponent("history").path]
        if !colour { env["NO_COLOR"] = "1" }
        let t = try PseudoTerminal(try topiaryBinary(), args: ["repl"], environment: env)
        try t.expect("Ctrl-D to quit.")
        try t.prompt()
        return t
    }

    func quit(_ t: PseudoTerminal) {
        t.send("\u{04}")
        XCTAssertEqual(t.waitForExit(), 0, t.transcript)
    }

    func testMultiLineInputContinuesWithSecondPrompt() throws {
        let t = try start()
        t.send("function twice(a)\r")
        try t.continuation()
        t.send("  return 2 * a\r")
        try t.continuation()
        t.send("end\r")
        try t.prompt()
        t.send("= twice(21)\r")
        XCTAssertTrue(try t.prompt().contains("42"))
        // A multi-line table constructor, printed with sorted keys.
        t.send("= {b = 1,\r")
        try t.continuation()
        t.send("a = 2}\r")
        XCTAssertTrue(try t.prompt().contains("{a = 2, b = 1}"))
        quit(t)
    }

    func testTabCompletesGlobalsFieldsAndTensorMethods() throws {
        let t = try start()
        t.send("= tensor.aran\t(5):sum()\r")          // module field
        XCTAssertTrue(try t.prompt().contains("10.0"))
        t.send("weights = tensor.ones(3)\r")
        try t.prompt()
        t.send("= weig\t:num\t() * 7\r")              // global, then a tensor method
        XCTAssertTrue(try t.prompt().contains("21"))
        // Completion must not run metamethods: a table whose __index would record a call.
        t.send("probe = setmetatable({}, {__index = function(t, k) touched = k end})\r")
        try t.prompt()
        t.send("probe.zz\t")
        Thread.sleep(forTimeInterval: 0.2)
        t.send("\u{03}")                                 // discard the line unrun
        try t.prompt()
        t.send("= touched == nil\r")
        XCTAssertTrue(try t.prompt().contains("true"))
        quit(t)
    }

    func testCtrlCInterruptsALongLoopAndThePromptWorks() throws {
        let t = try start()
        t.send("while true do end\r")
        Thread.sleep(forTimeInterval: 0.4)
        t.send("\u{03}")
        XCTAssertTrue(try t.prompt(timeout: 5).contains("interrupted"))
        t.send("= 6 * 7\r")
        XCTAssertTrue(try t.prompt().contains("42"))
        // Ctrl-C at the prompt drops the half-typed line (and a pending chunk).
        t.send("for i = 1, 3 do\r")
        try t.continuation()
        t.send("\u{03}")
        try t.prompt()
        t.send("= 'still here'\r")
        XCTAssertTrue(try t.prompt().contains("still here"))
        quit(t)
    }

    func testCtrlCInterruptsANativeKernel() throws {
        let t = try start()
        // Ten million tiny matrix products in one matmul call (inputs are expanded views).
        t.send("a = tensor.ones(1, 1, 4):expand(10000000, 1, 4); b = tensor.ones(4, 1)\r")
        try t.prompt()
        t.send("c = a:matmul(b)\r")
        Thread.sleep(forTimeInterval: 0.5)
        t.send("\u{03}")
        let out = try t.prompt(timeout: 5)
        XCTAssertTrue(out.contains("matmul: interrupted"), out)
        t.send("= 1 + 1\r")
        XCTAssertTrue(try t.prompt().contains("2"))
        quit(t)
    }

    func testHistoryIsKeptAcrossSessions() throws {
        let history = tmp.appendingPathComponent("hist").path
        let first = try start(history: history)
        first.send("answer = 40 + 2\r")
        try first.prompt()
        quit(first)
        let saved = try String(contentsOfFile: history, encoding: .utf8)
        XCTAssertTrue(saved.contains("answer"), saved)

        let second = try start(history: history)
        second.send("answer = nil\r")
        try second.prompt()
        // Ctrl-P twice recalls the line of the first session; Enter runs it again.
        second.send("\u{10}\u{10}\r")
        try second.prompt()
        second.send("= answer\r")
        let out = try second.prompt()
        XCTAssertTrue(out.contains("42"), second.transcript)
        quit(second)
    }

    func testSaveWritesTheSessionAsANotebook() throws {
        let t = try start()
        let nb = tmp.appendingPathComponent("session.lua").path
        for line in ["x = tensor.arange(4)", "= x:sum()", "print(x:numel())", "error('not saved')", "y = 1;"] {
            t.send(line + "\r")
            try t.prompt()
        }
        t.send(":save \(nb)\r")
        XCTAssertTrue(try t.prompt().contains("saved 4 cells"))
        quit(t)
        let text = try String(contentsOfFile: nb, encoding: .utf8)
        XCTAssertEqual(text, """
            -- %%
            x = tensor.arange(4)

            -- %%
            print(x:sum())

            -- %%
            print(x:numel())

            -- %%
            y = 1;

            """)
    }

    func testColourAndTimingOnATerminal() throws {
        let t = try start(colour: true)
        t.send("= 1.5\r")
        let out = try t.prompt()
        XCTAssertTrue(out.contains("1.5"))
        XCTAssertTrue(out.contains(" ms)"), out)
        XCTAssertTrue(t.raw.contains("\u{1B}[36m1.5"), "numbers are coloured")
        quit(t)
    }
}
