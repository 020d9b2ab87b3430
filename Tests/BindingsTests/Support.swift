import Bindings
import LuaHost
import XCTest

/// An interpreter with Topiary's modules (plus `extra`), whose `print` collects lines.
final class Session {
    let interp: Interpreter
    var printed: [String] = []

    init(_ extra: [LuaLibrary] = []) {
        interp = Interpreter(libraries: Libraries.all + extra)
        interp.lua.push(LuaFunction("print") { [unowned self] L in
            var parts: [String] = []
            for i in stride(from: 1, through: L.top, by: 1) { parts.append(L.toString(i) ?? L.typeName(i)) }
            self.printed.append(parts.joined(separator: "\t"))
            return 0
        })
        interp.lua.setGlobal("print")
        interp.lua.setOutput(sink)
        sink.session = self
    }

    /// Collects what Swift-side printers (help, train.fit) write to the output sink.
    final class Sink: OutputSink {
        weak var session: Session?
        var isTerminal: Bool { false }
        func write(_ text: String, to stream: OutputChannel) {
            guard stream == .stdout else { return }
            var t = text
            if t.hasSuffix("\n") { t.removeLast() }
            session?.printed.append(t)
        }
    }
    let sink = Sink()

    /// Runs `code` and returns what it printed (joined by newlines), clearing the record.
    @discardableResult
    func run(_ code: String) throws -> String {
        printed = []
        try interp.run(code, name: "=test")
        return printed.joined(separator: "\n")
    }

    /// The results of `code` rendered with tostring.
    func eval(_ code: String) throws -> [String] { try interp.evaluate(code, name: "=test") }

    /// The error message of `code`, failing the test if it runs without one.
    func error(_ code: String, file: StaticString = #filePath, line: UInt = #line) -> String {
        do {
            try interp.run(code, name: "=test")
            XCTFail("expected an error from: \(code)", file: file, line: line)
            return ""
        } catch {
            return "\(error)"
        }
    }
}
