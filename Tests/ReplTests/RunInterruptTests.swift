import Foundation
import XCTest

/// Ctrl-C (SIGINT) in `topiary run`: "interrupted!" is raised in the script, so pcall can
/// catch a first one and `<close>` handlers run; uncaught, the message and traceback go to
/// stderr and topiary ends by SIGINT (the shell's status 130), never leaving a save's
/// temporary file. It used to die of the signal at once, silently.
final class RunInterruptTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("topiary-runint-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    struct Result { let stdout: String, stderr: String, signalled: Bool, status: Int32 }

    /// Runs `topiary run script.lua` with `script`, waits for it to print "ready", sends
    /// SIGINT after `delay` seconds and collects what it did.
    func interrupt(_ script: String, delay: TimeInterval = 0.5) throws -> Result {
        try Data(script.utf8).write(to: dir.appendingPathComponent("script.lua"))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try topiaryBinary())
        p.arguments = ["run", "script.lua"]
        p.currentDirectoryURL = dir
        let out = Pipe(), err = Pipe()
        p.standardOutput = out; p.standardError = err
        try p.run()
        var seen = Data()
        let deadline = Date().addingTimeInterval(60)
        while !String(decoding: seen, as: UTF8.self).contains("ready\n") {
            let d = out.fileHandleForReading.availableData
            guard !d.isEmpty, Date() < deadline else { break }
            seen += d
        }
        XCTAssertTrue(String(decoding: seen, as: UTF8.self).contains("ready\n"), "the script started")
        Thread.sleep(forTimeInterval: delay)
        p.interrupt()
        let stop = DispatchWorkItem { if p.isRunning { p.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + 30, execute: stop)
        let rest = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        stop.cancel()
        return Result(stdout: String(decoding: seen + rest, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self),
                      signalled: p.terminationReason == .uncaughtSignal, status: p.terminationStatus)
    }

    func testCtrlCEndsAScriptWithItsTracebackAndItsCloseHandlers() throws {
        let r = try interrupt("""
            local done <close> = setmetatable({}, {__close = function(_, e)
              local f = assert(io.open("closed.txt", "w")); f:write(tostring(e)); f:close()
            end})
            local t = tensor.randn(512, 512)
            io.write("ready\\n"); io.flush()
            local function spin() while true do t:save("w.npy") end end
            spin()
            """)
        XCTAssertTrue(r.signalled, "ends by SIGINT, so a shell loop stops too: \(r)")
        XCTAssertEqual(r.status, SIGINT, "\(r)")
        XCTAssertTrue(r.stderr.hasPrefix("topiary: "), r.stderr)
        XCTAssertTrue(r.stderr.contains("interrupted"), r.stderr)
        XCTAssertTrue(r.stderr.contains("stack traceback:"), r.stderr)
        XCTAssertTrue(r.stderr.contains("script.lua:6: in local 'spin'") && r.stderr.contains("in main chunk"), r.stderr)
        let closed = try String(contentsOf: dir.appendingPathComponent("closed.txt"), encoding: .utf8)
        XCTAssertTrue(closed.contains("interrupted"), "the <close> handler ran with the error: " + closed)
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        XCTAssertFalse(names.contains { $0.contains(".tmp-") }, "no temporary file of an interrupted save: \(names)")
        XCTAssertTrue(names.contains("w.npy"), "\(names)")
    }

    func testAFirstCtrlCCanBeCaught() throws {
        let r = try interrupt("""
            io.write("ready\\n"); io.flush()
            local ok, e = pcall(function() while true do end end)
            print("caught", ok, e)
            """)
        XCTAssertFalse(r.signalled, "\(r)")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("caught\tfalse\t"), r.stdout)
        XCTAssertTrue(r.stdout.contains("interrupted!"), r.stdout)
    }
}
