import LuaHost
import Text

/// complete, inspect and is_complete: the REPL's Tab completion, `help` text and
/// multi-line rule. None of them runs Lua code (lookups are raw).
extension Kernel {
    /// The code before the cursor; `cursor_pos` counts Unicode code points (protocol 5.2+).
    static func split(_ code: String, at cursor: Int?) -> (before: String, after: String) {
        let scalars = Array(code.unicodeScalars)
        let k = min(max(cursor ?? scalars.count, 0), scalars.count)
        var before = "", after = ""
        before.unicodeScalars.append(contentsOf: scalars[..<k])
        after.unicodeScalars.append(contentsOf: scalars[k...])
        return (before, after)
    }

    func complete(_ m: Message) -> JSON {
        let code = m.content["code"]?.string ?? ""
        let (before, _) = Kernel.split(code, at: m.content["cursor_pos"]?.int)
        let line = before.split(separator: "\n", omittingEmptySubsequences: false).last.map(String.init) ?? ""
        let (word, candidates) = Completion.candidates(runner.lua, line: line)
        let end = before.unicodeScalars.count
        return .object([("status", .string("ok")), ("matches", .array(candidates.map { .string($0) })),
                        ("cursor_start", .int(end - word.unicodeScalars.count)), ("cursor_end", .int(end)),
                        ("metadata", .object([]))])
    }

    func inspect(_ m: Message) -> JSON {
        let code = m.content["code"]?.string ?? ""
        let (before, after) = Kernel.split(code, at: m.content["cursor_pos"]?.int)
        var found = false
        var data: [(String, JSON)] = []
        if let name = Kernel.name(before: before, after: after) {
            let L = runner.lua
            L.push(name)
            let text = Help.text(L, -1)
            L.pop()
            if !text.hasPrefix("help: nothing is named") {
                found = true
                data = [("text/plain", .string(text))]
            }
        }
        return .object([("status", .string("ok")), ("found", .bool(found)), ("data", .object(data)), ("metadata", .object([]))])
    }

    /// The dotted name under the cursor (`tensor.ze|ros` → `tensor.zeros`), or the one just
    /// before an opening parenthesis (`tensor.zeros(|`).
    static func name(before: String, after: String) -> String? {
        let tail = after.prefix { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }
        if let n = Lexer.trailingName(before + String(tail)), !n.isEmpty, Lexer.splitName(n)?.last?.name.isEmpty == false { return n }
        var b = Substring(before)
        while let c = b.last, c == " " || c == "(" || c == "{" || c == "\"" { b = b.dropLast() }
        guard b.count < before.count, let n = Lexer.trailingName(String(b)), !n.isEmpty else { return nil }
        return n
    }

    /// complete, incomplete (a block, string or comment is still open: Lua's syntax error
    /// ends in `<eof>`) or invalid, as the REPL decides when to ask for another line.
    func isComplete(_ m: Message) -> JSON {
        let code = m.content["code"]?.string ?? ""
        func compileError(_ s: String) -> String? {
            do {
                try compiler.compile(s, name: "=cell")
                compiler.lua.pop()
                return nil
            } catch { return "\(error)" }
        }
        var status = "complete"
        if compileError("return " + code) != nil, let e = compileError(code) {
            status = e.hasSuffix("<eof>") ? "incomplete" : "invalid"
        }
        var content: [(String, JSON)] = [("status", .string(status))]
        if status == "incomplete" { content.append(("indent", .string(""))) }
        return .object(content)
    }
}
