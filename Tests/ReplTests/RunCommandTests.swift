import Foundation
import XCTest

/// `topiary run` and `topiary -e` behave as `lua` does: scripts and arguments are bytes,
/// a BOM and a `#!` line are skipped, precompiled chunks load, `arg[-1]` is the
/// interpreter, LUA_INIT runs first, and `-e` chunks before `run` run before the script.
final class RunCommandTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("topiary-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    struct Result { let stdout: String, stderr: String, status: Int32 }

    /// Runs a shell command line in the scratch directory, `$T` being the binary (so raw
    /// bytes can be written with printf, which Process's String arguments cannot carry).
    func sh(_ command: String, env extra: [String: String] = [:]) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", command]
        var env = ProcessInfo.processInfo.environment
        env["LUA_INIT"] = nil
        env["LUA_INIT_5_4"] = nil
        env["T"] = try topiaryBinary()
        for (k, v) in extra { env[k] = v }
        p.environment = env
        p.currentDirectoryURL = dir
        let out = Pipe(), err = Pipe()
        p.standardOutput = out; p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Result(stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self), status: p.terminationStatus)
    }

    func write(_ name: String, _ bytes: [UInt8]) throws {
        try Data(bytes).write(to: dir.appendingPathComponent(name))
    }

    func testScriptBytesReachLuaUnchanged() throws {
        // A string literal holding the raw byte 0xE1 is one byte long, not the 3 of U+FFFD.
        try write("raw.lua", Array("local s = \"".utf8) + [0xE1] + Array("\"\nprint(#s, s:byte())\n".utf8))
        let r = try sh("\"$T\" run raw.lua")
        XCTAssertEqual(r.stdout, "1\t225\n", r.stderr)
    }

    func testABOMAndAShebangLineAreSkipped() throws {
        try write("bom.lua", [0xEF, 0xBB, 0xBF] + Array("print('bom', debug.getinfo(1, 'l').currentline)\n".utf8))
        try write("bang.lua", Array("#!/usr/bin/env topiary run\nprint('bang', debug.getinfo(1, 'l').currentline)\n".utf8))
        try write("both.lua", [0xEF, 0xBB, 0xBF] + Array("# comment line\nprint('both')\n".utf8))
        XCTAssertEqual(try sh("\"$T\" run bom.lua").stdout, "bom\t1\n")
        XCTAssertEqual(try sh("\"$T\" run bang.lua").stdout, "bang\t2\n", "line numbers stay the file's")
        XCTAssertEqual(try sh("\"$T\" run both.lua").stdout, "both\n")
    }

    func testPrecompiledChunksRun() throws {
        let r = try sh("""
            "$T" -e 'local f = assert(io.open("f.luac", "wb")) f:write(string.dump(function(...) print("dumped", select("#", ...), ...) end)) f:close()' \
              && "$T" run f.luac a b
            """)
        XCTAssertEqual(r.stdout, "dumped\t2\ta\tb\n", r.stderr)
        XCTAssertEqual(r.status, 0)
    }

    func testArgumentsAndArgTableAreBytes() throws {
        try write("args.lua", Array("print(#arg, arg[0], #arg[1], arg[1]:byte(2), arg[2], ...)\nprint(arg[-1] == os.getenv('T'))\n".utf8))
        let r = try sh("\"$T\" run args.lua \"$(printf 'x\\377')\" y")
        XCTAssertEqual(r.stdout, "2\targs.lua\t2\t255\ty\tx\u{FFFD}\ty\ntrue\n", r.stderr)
        // `--` before the arguments is not one of them.
        XCTAssertEqual(try sh("\"$T\" run args.lua -- \"$(printf 'ab')\" c").stdout, "2\targs.lua\t2\t98\tc\tab\tc\ntrue\n")
    }

    func testAPathThatIsNotUTF8Opens() throws {
        try write("open.lua", Array("local f = assert(io.open(arg[1])) print(f:read('a')) f:close()\n".utf8))
        let r = try sh("printf 'inside' > \"$(printf 'f\\377.txt')\" && \"$T\" run open.lua \"$(printf 'f\\377.txt')\"")
        XCTAssertEqual(r.stdout, "inside\n", r.stderr)
        // The script's own path too.
        let s = try sh("printf 'print(\"ran\")' > \"$(printf 's\\377.lua')\" && \"$T\" run \"$(printf 's\\377.lua')\"")
        XCTAssertEqual(s.stdout, "ran\n", s.stderr)
    }

    func testExpressionChunksAreBytes() throws {
        let r = try sh("\"$T\" -e \"print(#'$(printf '\\341')')\"")
        XCTAssertEqual(r.stdout, "1\n", r.stderr)
    }

    func testLuaInitRunsFirst() throws {
        try write("show.lua", Array("print(init, pre)\n".utf8))
        try write("init.lua", Array("init = 'from file'\n".utf8))
        XCTAssertEqual(try sh("\"$T\" run show.lua", env: ["LUA_INIT": "init = 'code'"]).stdout, "code\tnil\n")
        XCTAssertEqual(try sh("\"$T\" run show.lua", env: ["LUA_INIT": "@init.lua"]).stdout, "from file\tnil\n")
        XCTAssertEqual(try sh("\"$T\" run show.lua", env: ["LUA_INIT": "init = 1", "LUA_INIT_5_4": "init = 54"]).stdout, "54\tnil\n",
                       "LUA_INIT_5_4 wins, as in lua 5.4")
        XCTAssertEqual(try sh("\"$T\" -e 'print(init)'", env: ["LUA_INIT": "init = 'e'"]).stdout, "e\n")
        let bad = try sh("\"$T\" run show.lua", env: ["LUA_INIT": "error('init failed')"])
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stderr.contains("init failed"), bad.stderr)
        XCTAssertEqual(bad.stdout, "", "the script does not run after a failing LUA_INIT")
    }

    func testChunksBeforeRunRunBeforeTheScript() throws {
        try write("show.lua", Array("print(pre, arg[0])\n".utf8))
        let r = try sh("\"$T\" -e 'pre = 1' -e 'pre = pre + 1' run show.lua")
        XCTAssertEqual(r.stdout, "2\tshow.lua\n", r.stderr)
        let failing = try sh("\"$T\" -e 'error(\"stop\")' run show.lua")
        XCTAssertEqual(failing.status, 1)
        XCTAssertEqual(failing.stdout, "")
        XCTAssertTrue(failing.stderr.contains("stop"), failing.stderr)
    }

    func testAMissingScriptIsAnError() throws {
        let r = try sh("\"$T\" run missing.lua")
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("cannot open missing.lua"), r.stderr)
    }
}
