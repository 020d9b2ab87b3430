/// Reads the front matter: YAML-like `key: value` lines inside Lua comments between two
/// `-- ---` lines at the top of the file. Strict: an unknown key, a bad value, a repeated
/// key or a missing closing line is an error naming the file and line.
///
///     -- ---
///     -- title: Quickstart
///     -- seed: 1
///     -- tolerance: 1e-6
///     -- ---
///
/// A `jupyter:` block (jupytext's own metadata, indented below it) is accepted and ignored.
enum FrontMatterParser {
    static func isDelimiter(_ line: String) -> Bool {
        trimRight(line) == "-- ---"
    }

    /// Parses the front matter opening at `lines[start]`; returns it and the index of the
    /// line after its closing delimiter.
    static func parse(_ lines: [String], from start: Int, file: String) throws -> (FrontMatter, Int) {
        var fm = FrontMatter()
        var seen: [String: Int] = [:]
        var inJupyter = false
        var i = start + 1
        while i < lines.count {
            let line = lines[i], lineNo = i + 1
            if isDelimiter(line) {
                fm.lines = (start + 1)...lineNo
                return (fm, i + 1)
            }
            guard line.hasPrefix("--") else {
                throw NotebookError(file, line: lineNo, "front matter line is not a Lua comment (the front matter opened at line \(start + 1) must close with `-- ---`)")
            }
            var body = Substring(line.dropFirst(2))
            if body.first == " " { body = body.dropFirst() }
            if trimRight(String(body)).isEmpty || body.hasPrefix("#") { i += 1; continue }
            if body.first == " " || body.first == "\t" {
                guard inJupyter else { throw NotebookError(file, line: lineNo, "front matter: unexpected indented line (only `jupyter:` takes nested keys)") }
                i += 1; continue
            }
            inJupyter = false
            guard let colon = body.firstIndex(of: ":") else {
                throw NotebookError(file, line: lineNo, "front matter: expected `key: value`, got '\(trimRight(String(body)))'")
            }
            let key = String(body[..<colon]).trimmingCharacters(in: .whitespaces)
            let value = String(body[body.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
            guard FrontMatter.keys.contains(key) else {
                throw NotebookError(file, line: lineNo, "front matter: unknown key '\(key)' (known: \(FrontMatter.keys.joined(separator: ", ")))")
            }
            if let first = seen[key] { throw NotebookError(file, line: lineNo, "front matter: '\(key)' is set twice (first at line \(first))") }
            seen[key] = lineNo
            func bad(_ expected: String) -> NotebookError {
                NotebookError(file, line: lineNo, "front matter: '\(key)' must be \(expected), got '\(value)'")
            }
            switch key {
            case "jupyter":
                guard value.isEmpty else { throw bad("a block of nested keys") }
                inJupyter = true
            case "title":
                guard !value.isEmpty else { throw bad("a non-empty string") }
                fm.title = unquote(value)
            case "seed":
                guard let v = Int(value), v >= 0 else { throw bad("an integer from 0 to \(Int.max)") }
                fm.seed = v
            case "tolerance", "atol":
                guard let v = Double(value), v.isFinite, v >= 0 else { throw bad("a non-negative number") }
                if key == "tolerance" { fm.tolerance = v } else { fm.absoluteTolerance = v }
            default:  // timeout
                guard let v = Double(value), v.isFinite, v > 0 else { throw bad("a positive number of seconds") }
                fm.timeout = v
            }
            i += 1
        }
        throw NotebookError(file, line: start + 1, "unterminated front matter: no closing `-- ---` line before the end of the file")
    }

    static func unquote(_ s: String) -> String {
        if s.count >= 2, let f = s.first, f == "\"" || f == "'", s.last == f { return String(s.dropFirst().dropLast()) }
        return s
    }
}

/// `s` without trailing spaces, tabs and carriage returns.
func trimRight(_ s: String) -> String {
    var t = Substring(s)
    while let c = t.last, c == " " || c == "\t" || c == "\r" { t = t.dropLast() }
    return String(t)
}

/// True for a line that is empty or only whitespace.
func isBlank(_ s: String) -> Bool { s.allSatisfy { $0 == " " || $0 == "\t" || $0 == "\r" } }
