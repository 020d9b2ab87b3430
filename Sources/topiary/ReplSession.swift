import CLua
import CLuaShim
import Foundation
import LuaHost
import Text

/// The REPL's evaluation, independent of how lines are read (libedit or a pipe).
/// Lines accumulate until they form a complete chunk, as lua.c decides: a syntax error
/// ending in `<eof>` asks for more. A chunk is first compiled as `return <chunk>`; if
/// that compiles it is the one run (and its values printed), otherwise the chunk is
/// compiled as statements. Nothing is ever run twice. A leading `=` means `return`, a
/// trailing `;` hides the values. Errors go to stderr and the session goes on.
final class ReplSession {
    let interp: Interpreter
    var printer: PrettyPrinter
    /// Colour on stderr (errors red, timings dim).
    var colourErrors = false
    /// Print each command's wall time on stderr.
    var timing = false
    /// The inputs that ran without error, as notebook cells (see `:save`).
    var cells: [String] = []
    /// Lines of an incomplete chunk.
    var pending: [String] = []
    /// Called with each complete input (for the line editor's history).
    var onAccept: (String) -> Void = { _ in }

    init(interp: Interpreter, colour: Bool) {
        self.interp = interp
        self.printer = PrettyPrinter(colour: colour)
    }

    var isContinuing: Bool { !pending.isEmpty }

    /// Feeds one line. Returns true when the chunk is incomplete and more lines are needed.
    @discardableResult
    func feed(_ line: String) -> Bool {
        if pending.isEmpty {
            let t = line.trimmingCharacters(in: .whitespaces)
            if t.isEmpty { return false }
            if t.hasPrefix(":") {
                onAccept(line)
                command(t)
                return false
            }
        }
        pending.append(line)
        let input = pending.joined(separator: "\n")
        switch compile(input, name: "=stdin") {
        case .incomplete:
            return true
        case .syntaxError(let msg):
            pending = []
            onAccept(input)
            reportError(msg)
        case .ready(let kind):
            pending = []
            onAccept(input)
            // a statement shows what it returns (`return 1, 2`, as lua does); `;` hides values
            if run(show: !endsWithSemicolon(input)) {
                if let cell = cellText(input, kind) { cells.append(cell) }
            }
        }
        return false
    }

    /// At end of input: an unfinished chunk is reported as the syntax error it is.
    func finish() {
        guard !pending.isEmpty else { return }
        let input = pending.joined(separator: "\n")
        pending = []
        switch compile(input, name: "=stdin") {
        case .incomplete(let msg), .syntaxError(let msg): reportError(msg)
        case .ready: interp.lua.pop()   // cannot happen: it was incomplete
        }
    }

    /// Drops an unfinished chunk (Ctrl-C at a continuation prompt).
    func cancel() { pending = [] }

    // MARK: Compiling

    enum Kind { case statement, expression, callExpression }
    enum Compiled { case ready(Kind), incomplete(String), syntaxError(String) }

    /// Compiles `input`, leaving the function on the stack when ready.
    func compile(_ input: String, name: String) -> Compiled {
        if input.hasPrefix("=") {
            return compileOrClassify("return " + input.dropFirst(), name: name, kind: .expression)
        }
        if (try? interp.compile("return " + input, name: name)) != nil {
            // A call such as f(x) is also a statement; remember it for :save.
            let base = interp.lua.top
            let isStatement = (try? interp.compile(input, name: name)) != nil
            interp.lua.setTop(base)
            return .ready(isStatement ? .callExpression : .expression)
        }
        return compileOrClassify(input, name: name, kind: .statement)
    }

    private func compileOrClassify(_ code: String, name: String, kind: Kind) -> Compiled {
        do {
            try interp.compile(code, name: name)
            return .ready(kind)
        } catch {
            let msg = "\(error)"
            return msg.hasSuffix("<eof>") ? .incomplete(msg) : .syntaxError(msg)
        }
    }

    private func endsWithSemicolon(_ s: String) -> Bool {
        s.trimmingCharacters(in: .whitespacesAndNewlines).hasSuffix(";")
    }

    // MARK: Running

    /// Calls the compiled function on top of the stack and prints its values (if `show`).
    /// Returns false if it raised an error.
    @discardableResult
    func run(show: Bool) -> Bool {
        let L = interp.lua
        let base = L.top - 1
        topiary_clear_interrupt()
        let start = DispatchTime.now().uptimeNanoseconds
        defer { L.setTop(base) }
        let n: Int32
        do {
            n = try interp.call(nargs: 0)
            // An interrupt ends with the command: its hook must not stop the REPL's own
            // calls (printing values, completion) afterwards.
            topiary_clear_interrupt()
        } catch {
            topiary_clear_interrupt()
            let elapsed = DispatchTime.now().uptimeNanoseconds - start
            reportError("\(error)")
            reportTime(elapsed)
            return false
        }
        let elapsed = DispatchTime.now().uptimeNanoseconds - start
        if show && n > 0 {
            let texts = (0..<n).map { printer.render(L, base + 1 + $0) }
            let sep = texts.contains { $0.contains("\n") } ? "\n" : "\t"
            write(texts.joined(separator: sep) + "\n")
        }
        fflush(stdout)
        reportTime(elapsed)
        return true
    }

    /// Runs a file in the session (`:load`), printing what it returns.
    func load(_ path: String) {
        do { try interp.compileFile(Array(path.utf8)) } catch {
            reportError("\(error)")
            return
        }
        if run(show: true) { cells.append("dofile(\(LuaString.quote(path)))") }
    }

    // MARK: Output

    func write(_ s: String) {
        fputs(s, stdout)
    }

    func reportError(_ msg: String) {
        fflush(stdout)
        let text = colourErrors ? "\u{1B}[31m\(msg)\u{1B}[0m" : msg
        fputs(text + "\n", stderr)
    }

    private func reportTime(_ nanoseconds: UInt64) {
        guard timing else { return }
        let s = Double(nanoseconds) / 1e9
        let text = s < 1 ? String(format: "(%.1f ms)", s * 1e3) : String(format: "(%.2f s)", s)
        fflush(stdout)
        fputs((colourErrors ? "\u{1B}[2m\(text)\u{1B}[0m" : text) + "\n", stderr)
    }

    /// The notebook cell for an input that ran: statements and calls as typed; a bare
    /// expression as `print(expr)` (a notebook must also run as a plain script); a bare
    /// expression whose value was hidden with `;` is left out.
    func cellText(_ input: String, _ kind: Kind) -> String? {
        switch kind {
        case .statement, .callExpression: return input
        case .expression:
            var expr = input.hasPrefix("=") ? String(input.dropFirst()) : input
            expr = expr.trimmingCharacters(in: .whitespacesAndNewlines)
            if expr.hasSuffix(";") { return nil }
            return "print(\(expr))"
        }
    }
}
