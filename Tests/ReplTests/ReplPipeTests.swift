import Foundation
import XCTest

/// `topiary repl` with stdin from a pipe: no prompts, no line editing, errors on stderr.
final class ReplPipeTests: XCTestCase {
    struct Result { let stdout: String, stderr: String, status: Int32 }

    func repl(_ input: String, env extra: [String: String] = [:], cwd: URL? = nil) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try topiaryBinary())
        p.arguments = ["repl"]
        var env = ProcessInfo.processInfo.environment
        env["TOPIARY_TIMING"] = nil
        env["TOPIARY_HISTORY"] = ""
        for (k, v) in extra { env[k] = v }
        p.environment = env
        if let cwd { p.currentDirectoryURL = cwd }
        let inPipe = Pipe(), outPipe = Pipe(), errPipe = Pipe()
        p.standardInput = inPipe; p.standardOutput = outPipe; p.standardError = errPipe
        try p.run()
        inPipe.fileHandleForWriting.write(Data(input.utf8))
        try inPipe.fileHandleForWriting.close()
        let out = outPipe.fileHandleForReading.readDataToEndOfFile()
        let err = errPipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Result(stdout: String(decoding: out, as: UTF8.self), stderr: String(decoding: err, as: UTF8.self),
                      status: p.terminationStatus)
    }

    /// The REPL and a notebook cell show a value the same way (both through PrettyPrinter).
    func testValuesRenderAsInANotebook() throws {
        let values = [
            #"{b = {1, 2}, a = "s\1" .. "2", 10, [2] = tensor.zeros(2, 3), f = math.max}"#,
            "{deep = {a = {b = {c = {d = {e = 1}}}}}, long = string.rep('x', 70), [1.5] = false}",
            "tensor.arange(1, 5)",
            "nn.Linear(2, 3)",
        ]
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("topiary-repl-nb-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let nb = dir.appendingPathComponent("nb.lua")
        try values.map { "-- %%\n" + $0 + "\n" }.joined().write(to: nb, atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try topiaryBinary())
        p.arguments = ["notebook", "run", nb.path]
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
        let record = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("nb.out/outputs.json"))) as? [String: Any])
        let cells = try XCTUnwrap(record["cells"] as? [[String: Any]])
        XCTAssertEqual(cells.count, values.count)
        for (value, cell) in zip(values, cells) {
            let outputs = try XCTUnwrap(cell["outputs"] as? [[String: Any]])
            let shown = try XCTUnwrap(outputs.first?["text"] as? String)
            XCTAssertEqual(outputs.first?["kind"] as? String, "value")
            XCTAssertEqual(try repl(value + "\n").stdout, shown + "\n", value)
        }
    }

    func testPrintsWithoutPrompts() throws {
        let r = try repl("print(1+1)\n")
        XCTAssertEqual(r.stdout, "2\n")
        XCTAssertEqual(r.stderr, "")
        XCTAssertEqual(r.status, 0)
    }

    func testExpressionsPrintTheirValues() throws {
        XCTAssertEqual(try repl("x = 1\n= x + 1\n").stdout, "2\n")
        XCTAssertEqual(try repl("x = 1\nx + 1\n").stdout, "2\n")
        XCTAssertEqual(try repl("= 1, 'a', nil\n").stdout, "1\ta\tnil\n")
        XCTAssertEqual(try repl("= 5;\nx = 2;\n").stdout, "", "a trailing ; hides the value")
        // a statement shows what it returns, as lua's REPL does; plain statements return nothing
        XCTAssertEqual(try repl("return 1, 2\nfor i = 1, 2 do end\nlocal y = 3\nreturn 3;\n").stdout, "1\t2\n")
    }

    func testEachInputRunsOnce() throws {
        // inc() compiles as `return inc()`; running it a second time would show 2.
        let r = try repl("n = 0\nfunction inc() n = n + 1 return n end\ninc()\n= n\n")
        XCTAssertEqual(r.stdout, "1\n1\n")
    }

    func testMultiLineChunks() throws {
        let r = try repl("function f(a)\n  return a * 2\nend\n= f(21)\nt = {\n  1,\n  2,\n}\n= #t\n")
        XCTAssertEqual(r.stdout, "42\n2\n")
    }

    func testErrorsGoToStderrAndTheSessionGoesOn() throws {
        let r = try repl("error('boom')\nprint('after')\nx = = 1\nprint('again')\n")
        XCTAssertEqual(r.stdout, "after\nagain\n")
        XCTAssertTrue(r.stderr.contains("stdin:1: boom"), r.stderr)
        XCTAssertTrue(r.stderr.contains("unexpected symbol near '='"), r.stderr)
        XCTAssertEqual(r.status, 0)
    }

    func testUnfinishedChunkAtEndOfInputIsReported() throws {
        let r = try repl("print(1)\nfor i = 1, 3 do\n")
        XCTAssertEqual(r.stdout, "1\n")
        XCTAssertTrue(r.stderr.contains("<eof>"), r.stderr)
        XCTAssertEqual(r.status, 0)
    }

    func testTablesAndTensorsArePrettyPrinted() throws {
        let r = try repl("t = {b = 1, a = {1, 2}, 'x'}\nt\n= tensor.new{{1, -2.5}, {10, 0.25}}\n")
        XCTAssertEqual(r.stdout, """
            {"x", a = {1, 2}, b = 1}
            [[ 1.   -2.5 ]
             [10.    0.25]]
            [float32 tensor, shape [2, 2]]

            """)
    }

    func testHelpAndWho() throws {
        let r = try repl("x = tensor.zeros(2, 3)\nname = 'conv1'\nwho()\nhelp(help)\n")
        XCTAssertTrue(r.stdout.hasPrefix("name  string \"conv1\"\nx     tensor float32 [2, 3]\n"), r.stdout)
        XCTAssertTrue(r.stdout.contains("help([x])"), r.stdout)
    }

    func testTimingOnRequest() throws {
        let r = try repl("x = 1\n", env: ["TOPIARY_TIMING": "1"])
        XCTAssertTrue(r.stderr.hasSuffix(" ms)\n"), r.stderr)
        XCTAssertEqual(try repl("x = 1\n").stderr, "", "no timing without a terminal by default")
    }

    func testLoadAndSave() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("topiary-pipe-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try "base = 10\nreturn 'loaded'\n".write(to: dir.appendingPathComponent("lib.lua"), atomically: true, encoding: .utf8)
        let r = try repl(":load lib.lua\n= base + 1\n:save nb.lua\n:load missing.lua\n:frobnicate\n", cwd: dir)
        XCTAssertEqual(r.stdout, "loaded\n11\nsaved 2 cells to nb.lua\n")
        XCTAssertTrue(r.stderr.contains("cannot open missing.lua"), r.stderr)
        XCTAssertTrue(r.stderr.contains("unknown command ':frobnicate'"), r.stderr)
        let nb = try String(contentsOf: dir.appendingPathComponent("nb.lua"), encoding: .utf8)
        XCTAssertEqual(nb, "-- %%\ndofile(\"lib.lua\")\n\n-- %%\nprint(base + 1)\n")
        // The saved notebook runs as a plain script.
        let run = Process()
        run.executableURL = URL(fileURLWithPath: try topiaryBinary())
        run.arguments = ["run", "nb.lua"]
        run.currentDirectoryURL = dir
        let out = Pipe()
        run.standardOutput = out
        try run.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        run.waitUntilExit()
        XCTAssertEqual(run.terminationStatus, 0)
        XCTAssertEqual(text, "11\n")
    }
}
