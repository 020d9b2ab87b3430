import LuaHost

/// Compiles Lua code without running it, to ask whether a piece of a cell is complete.
final class LuaSyntax {
    let interpreter: Interpreter

    init(_ interpreter: Interpreter = Interpreter()) { self.interpreter = interpreter }

    /// nil if `code` compiles, else Lua's message.
    func error(_ code: String, name: String = "=check") -> String? {
        do {
            try interpreter.compile(code, name: name)
            interpreter.lua.pop()
            return nil
        } catch {
            return "\(error)"
        }
    }

    func compiles(_ code: String) -> Bool { error(code) == nil }

    /// True when Lua's message says the code ended too early (an unclosed block, string
    /// or comment).
    static func isIncomplete(_ message: String) -> Bool { message.hasSuffix("<eof>") }
}

/// Finds a cell's trailing expression, as a REPL shows the value of the last line.
enum TrailingExpression {
    /// The cell's lines made to return the value of its last statement when that
    /// statement is an expression (possibly spanning lines), or nil when it is not.
    /// A candidate start line `k` is accepted only if the lines before it compile on their
    /// own and `return <rest>` compiles: the rest is then an expression at the top level
    /// of the cell, not inside a block. The rest becomes the arguments of an identity
    /// function, `return (function(...) return ... end)(<rest>\n)`, rather than a plain
    /// `return <rest>`, so that a call in it is not a tail call and tracebacks keep the
    /// cell's line. Line numbers do not move: the wrapper opens on line `k` and closes on
    /// a new line after the last.
    static func rewrite(_ lines: [String], syntax: LuaSyntax) -> [String]? {
        guard let last = lines.lastIndex(where: { !isBlank($0) && !isComment($0) }) else { return nil }
        for k in stride(from: last, through: 0, by: -1) where !isBlank(lines[k]) && !isComment(lines[k]) {
            let rest = lines[k...].joined(separator: "\n")
            guard syntax.compiles("return " + rest) else { continue }
            guard syntax.compiles(lines[..<k].joined(separator: "\n")) else { continue }
            if rest.trimmingCharacters(in: .whitespacesAndNewlines).hasPrefix("return") { return nil }
            var out = lines
            out[k] = "return (function(...) return ... end)(" + lines[k]
            out.append(")")
            if syntax.compiles(out.joined(separator: "\n")) { return out }
            out = lines
            out[k] = "return " + lines[k]
            return out
        }
        return nil
    }

    static func isComment(_ line: String) -> Bool {
        line.drop { $0 == " " || $0 == "\t" }.hasPrefix("--")
    }
}
