import Foundation
import Glibc
import XCTest

/// The built `topiary` binary: beside the test bundle in .build/<config>/ (or $TOPIARY_BIN).
func topiaryBinary() throws -> String {
    if let p = ProcessInfo.processInfo.environment["TOPIARY_BIN"] { return p }
    let dir = Bundle.main.bundleURL.deletingLastPathComponent()
    var candidates = [dir.appendingPathComponent("topiary").path]
    if let exe = Bundle.main.executableURL {
        candidates.append(exe.deletingLastPathComponent().appendingPathComponent("topiary").path)
    }
    for c in candidates where FileManager.default.isExecutableFile(atPath: c) { return c }
    throw XCTSkip("topiary binary not found (looked in \(candidates)); build it or set TOPIARY_BIN")
}

/// A child process on a pseudo-terminal (forkpty): what a person at a terminal sees,
/// with expect-style waiting for output. Ctrl-C is sent as the byte 0x03, so the
/// terminal's line discipline delivers SIGINT as it would for a person.
final class PseudoTerminal {
    let pid: pid_t
    let master: Int32
    /// Everything read so far, as the bytes arrived (escape sequences included).
    private(set) var raw = ""
    /// Everything read so far, with ANSI escape sequences and carriage returns removed.
    private(set) var transcript = ""
    /// The position in `transcript` after the last match.
    private var cursor: String.Index
    private var exitStatus: Int32?

    init(_ path: String, args: [String], environment: [String: String]) throws {
        // Everything the child needs is prepared before fork: after fork only execve runs.
        let argv = ([path] + args).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var fd: Int32 = -1
        var size = winsize(ws_row: 40, ws_col: 200, ws_xpixel: 0, ws_ypixel: 0)
        let child = forkpty(&fd, nil, nil, &size)
        if child == 0 {
            execve(path, argv, envp)
            _exit(127)
        }
        guard child > 0 else { throw XCTSkip("no pseudo-terminal available (forkpty: errno \(errno))") }
        pid = child
        master = fd
        cursor = transcript.startIndex
    }

    deinit {
        if exitStatus == nil { kill(pid, SIGKILL); var s: Int32 = 0; waitpid(pid, &s, 0) }
        close(master)
    }

    /// Types `text` (use "\r" for Enter, "\t" for Tab, "\u{03}" for Ctrl-C, "\u{04}" for Ctrl-D).
    func send(_ text: String) {
        var bytes = Array(text.utf8)
        _ = bytes.withUnsafeMutableBytes { write(master, $0.baseAddress, $0.count) }
    }

    /// Waits until `text` appears after the previous match; returns the output in between.
    @discardableResult
    func expect(_ text: String, timeout: Double = 10) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let r = transcript.range(of: text, range: cursor..<transcript.endIndex) {
                let before = String(transcript[cursor..<r.lowerBound])
                cursor = r.upperBound
                return before
            }
            let left = deadline.timeIntervalSinceNow
            if left <= 0 || !readMore(timeout: left) {
                let seen = String(transcript[cursor...])
                throw ExpectationTimeout(message: "timed out waiting for \(text.debugDescription); output since the last match: \(seen.debugDescription)")
            }
        }
    }

    /// Waits for a fresh main prompt ("> " at the start of a line; line-editor redraws
    /// begin with a carriage return instead) and returns the output before it.
    @discardableResult
    func prompt(timeout: Double = 10) throws -> String {
        let out = try expect("\n> ", timeout: timeout)
        waitForLineEditor()
        return out
    }

    /// Waits for the continuation prompt `>> `.
    func continuation() throws {
        try expect("\n>> ")
        waitForLineEditor()
    }

    /// libedit prints its prompt, then switches the terminal to raw mode. Keys sent in
    /// between would be echoed by the terminal itself and a Ctrl-D dropped, so wait for
    /// raw mode (a person cannot type within those microseconds; a test can).
    func waitForLineEditor(timeout: Double = 3) {
        let deadline = Date().addingTimeInterval(timeout)
        var t = termios()
        while Date() < deadline {
            if tcgetattr(master, &t) == 0 && (t.c_lflag & tcflag_t(ICANON)) == 0 { return }
            usleep(2000)
        }
    }

    /// Waits for the process to exit and returns its status (nil on timeout).
    func waitForExit(timeout: Double = 10) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            _ = readMore(timeout: 0.05)
            var s: Int32 = 0
            if waitpid(pid, &s, WNOHANG) == pid {
                exitStatus = (s & 0x7f) == 0 ? (s >> 8) & 0xff : 128 + (s & 0x7f)
                while readMore(timeout: 0.05) {}
                return exitStatus
            }
        }
        return nil
    }

    /// Reads what is available within `timeout` seconds; false on timeout or end of output.
    private func readMore(timeout: Double) -> Bool {
        var p = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
        guard poll(&p, 1, Int32(max(1, timeout * 1000))) > 0 else { return false }
        var buf = [UInt8](repeating: 0, count: 4096)
        let n = read(master, &buf, buf.count)
        guard n > 0 else { return false }
        let text = String(decoding: buf[0..<n], as: UTF8.self)
        raw += text
        transcript += PseudoTerminal.clean(text)
        return true
    }

    /// Removes ANSI escape sequences (CSI ... final byte) and carriage returns.
    static func clean(_ s: String) -> String {
        var out = "", it = s.unicodeScalars.makeIterator()
        while let c = it.next() {
            if c == "\u{1B}" {
                guard let n = it.next() else { break }
                if n == "[" { while let x = it.next(), !(0x40...0x7E).contains(x.value) {} }
                continue
            }
            if c != "\r" { out.unicodeScalars.append(c) }
        }
        return out
    }
}

struct ExpectationTimeout: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
