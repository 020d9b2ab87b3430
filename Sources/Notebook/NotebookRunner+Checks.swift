import Foundation

extension NotebookRunner {
    /// A block, string or comment that a cell opens must close within it, or the cells
    /// would not be what the plain script runs: such a cell is "unterminated". A cell that
    /// ends in a bare expression (`x`) is fine in a notebook, which shows its value, but not
    /// in a plain script: that gets a note.
    func checkCellsAreComplete() throws {
        let chunk = "@" + notebook.fileName
        for c in notebook.codeCells {
            guard let message = syntax.error(code(c.lines, at: c.firstLine), name: chunk) else { continue }
            if let rewritten = TrailingExpression.rewrite(c.lines, syntax: syntax),
               syntax.error(code(rewritten, at: c.firstLine), name: chunk) == nil {
                let last = c.firstLine + (c.lines.lastIndex { !isBlank($0) && !TrailingExpression.isComment($0) } ?? 0)
                notes.append("\(notebook.path):\(last): note: \(c.label(file: notebook.path)) ends in a bare expression, "
                    + "which a notebook shows but a plain script (`topiary run`) rejects; print(...) it, or end with a call")
                continue
            }
            guard LuaSyntax.isIncomplete(message) else { continue }   // a syntax error: the cell's error when it runs
            let reason = message.split(separator: ":", maxSplits: 2).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? message
            let end = c.firstLine + max(c.lines.count - 1, 0)
            throw NotebookError(notebook.path, line: c.line,
                "unterminated cell: \(reason) — the cell ends at line \(end); a block, string or comment must close within its cell")
        }
    }

    /// Drops the last traceback line (`[C]: in ?`, the runner's own call).
    func cleanTraceback(_ text: String) -> String {
        var lines = text.components(separatedBy: "\n")
        if lines.count > 1, lines.last?.trimmingCharacters(in: .whitespaces) == "[C]: in ?" { lines.removeLast() }
        return lines.joined(separator: "\n")
    }

    /// `nb.lua:7: timeout: the cell ran longer than 2 s and was interrupted`, with the
    /// traceback of where it was.
    func timeoutMessage(_ text: String, seconds: Double) -> String {
        var lines = text.components(separatedBy: "\n")
        let prefix = notebook.fileName + ":"
        let place = lines.dropFirst().first { $0.trimmingCharacters(in: .whitespaces).hasPrefix(prefix) }
            .flatMap { l -> String? in
                let t = l.trimmingCharacters(in: .whitespaces)
                let parts = t.split(separator: ":", maxSplits: 2)
                return parts.count >= 2 ? "\(parts[0]):\(parts[1]): " : nil
            } ?? ""
        lines[0] = "\(place)timeout: the cell ran longer than \(formatSeconds(seconds)) s and was interrupted"
        return lines.joined(separator: "\n")
    }

    /// A hint when an error names a global that an earlier cell declared `local`: each
    /// cell is its own chunk, so its locals end with it.
    func localHint(for message: String, before cell: Cell) -> String? {
        guard let r = message.range(of: "(global '"), let end = message[r.upperBound...].firstIndex(of: "'") else { return nil }
        let name = String(message[r.upperBound..<end])
        for c in notebook.codeCells.reversed() where c.index < cell.index {
            for (k, line) in c.lines.enumerated() where NotebookRunner.declaresLocal(line, name) {
                return "hint: '\(name)' is a local of cell \(c.index) (\(notebook.fileName):\(c.firstLine + k)); "
                    + "each cell is its own chunk, so its locals end with it: drop `local` to share the value"
            }
        }
        return nil
    }

    /// True if `line` (unindented) declares local `name`: `local a, name = …`,
    /// `local function name`.
    static func declaresLocal(_ line: String, _ name: String) -> Bool {
        guard line.hasPrefix("local ") else { return false }
        var rest = line.dropFirst(6).drop { $0 == " " }
        if rest.hasPrefix("function ") {
            rest = rest.dropFirst(9).drop { $0 == " " }
            return rest.prefix { $0 == "_" || $0.isLetter || $0.isNumber } == name
        }
        let names = rest.prefix { $0 != "=" }.split(separator: ",").map {
            $0.trimmingCharacters(in: .whitespaces).split(separator: "<").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        }
        return names.contains(name)
    }
}

/// Seconds for messages: "2", "0.5", "1.25".
func formatSeconds(_ s: Double) -> String {
    s == s.rounded() ? String(Int(s)) : String(format: "%g", s)
}
