import Foundation
import Text

/// `-p name=value`: a new value for an assignment in the cell tagged `parameters`.
public struct ParameterOverride: Equatable, Sendable {
    public let name: String
    /// The value as given on the command line.
    public let value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }

    /// Parses `name=value`.
    public init(parsing arg: String) throws {
        guard let eq = arg.firstIndex(of: "=") else {
            throw NotebookError("-p \(arg)", "expected name=value, like -p ratio=0.7")
        }
        let name = arg[..<eq].trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty, name.allSatisfy({ $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }),
              !(name.first?.isNumber ?? true) else {
            throw NotebookError("-p \(arg)", "'\(name)' is not a Lua name")
        }
        self.init(name: name, value: String(arg[arg.index(after: eq)...]))
    }

    /// The value as Lua source: numbers, booleans, nil, quoted strings and table
    /// constructors as written; anything else becomes a string (`-p arch=resnet56`).
    var luaExpression: String {
        if isBareWord { return LuaString.quote(value) }
        let v = value.trimmingCharacters(in: .whitespaces)
        return Self.isNumeral(v) && v.hasPrefix("+") ? String(v.dropFirst()) : v
    }

    /// Whether the value is none of the literal forms, so it is passed as a string.
    var isBareWord: Bool {
        let v = value.trimmingCharacters(in: .whitespaces)
        if ["true", "false", "nil"].contains(v) || Self.isNumeral(v) { return false }
        if let f = v.first, f == "\"" || f == "'" || f == "{" || v.hasPrefix("[[") { return false }
        return true
    }

    static func isNumeral(_ s: String) -> Bool {
        var t = Substring(s)
        if t.first == "-" || t.first == "+" { t = t.dropFirst() }
        if t.lowercased().hasPrefix("0x") { return t.count > 2 && t.dropFirst(2).allSatisfy(\.isHexDigit) }
        guard let d = Double(t), d.isFinite else { return false }
        return t.allSatisfy { $0.isNumber || $0 == "." || $0 == "e" || $0 == "E" || $0 == "-" || $0 == "+" }
    }
}

extension Notebook {
    /// The names the parameters cell assigns (`ratio = 0.5`, `local epochs = 2`) in its
    /// top-level statements (not the keys of a table constructor spread over lines).
    public var parameterNames: [String] {
        cells.filter { $0.has(.parameters) }.flatMap { c in Notebook.statementLines(c.lines).compactMap { Notebook.assignedName(c.lines[$0]) } }
    }

    /// The lines of `lines` that begin at the top level: outside brackets, strings and long
    /// comments left open by the lines before (a scan of Lua's tokens that matter for nesting).
    static func statementLines(_ lines: [String]) -> [Int] {
        var depth = 0, out: [Int] = []
        for (i, line) in lines.enumerated() {
            if depth == 0 { out.append(i) }
            depth = max(0, depth + scan(line).depth)
        }
        return out
    }

    /// What one line does to the nesting (brackets opened less closed, outside strings and
    /// comments), and whether a second statement follows a `;` on it.
    static func scan(_ line: String) -> (depth: Int, moreStatements: Bool) {
        var depth = 0, quote: Character? = nil, escaped = false, semicolon = false, more = false
        var previous: Character = " "
        for ch in line {
            if let q = quote {
                if escaped { escaped = false } else if ch == "\\" { escaped = true } else if ch == q { quote = nil }
                previous = ch
                continue
            }
            if ch == "-" && previous == "-" { break }   // a comment: the rest of the line
            if semicolon && !ch.isWhitespace && ch != "-" { more = true }
            switch ch {
            case "\"", "'": quote = ch
            case "{", "(", "[": depth += 1
            case "}", ")", "]": depth -= 1
            case ";" where depth == 0: semicolon = true
            default: break
            }
            previous = ch
        }
        return (depth, more)
    }

    /// The name assigned by a top-level `name = …` or `local name = …` line.
    static func assignedName(_ line: String) -> String? {
        var s = Substring(line)
        while s.first == " " || s.first == "\t" { s = s.dropFirst() }
        if s.hasPrefix("local ") { s = s.dropFirst(6); while s.first == " " { s = s.dropFirst() } }
        let name = s.prefix { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }
        guard let f = name.first, !f.isNumber else { return nil }
        var rest = s.dropFirst(name.count)
        while rest.first == " " || rest.first == "\t" { rest = rest.dropFirst() }
        guard rest.hasPrefix("="), !rest.hasPrefix("==") else { return nil }
        return String(name)
    }

    /// The value a one-line `name = value -- comment` assigns, as written (nil when there is none).
    static func assignedValue(_ line: String) -> String? {
        guard assignedName(line) != nil, let eq = line.firstIndex(of: "=") else { return nil }
        var v = line[line.index(after: eq)...]
        if let c = v.range(of: "--") { v = v[..<c.lowerBound] }
        let t = v.trimmingCharacters(in: .whitespaces)
        return t.isEmpty ? nil : t
    }

    /// This notebook with each override's assignment in the parameters cell replaced:
    /// `ratio = 0.5` becomes `ratio = 0.7`. A statement spanning several lines is replaced
    /// whole, with blank lines keeping later line numbers. A name that the parameters cell
    /// does not assign is an error naming that cell.
    func applying(_ overrides: [ParameterOverride], syntax: LuaSyntax) throws -> Notebook {
        guard !overrides.isEmpty else { return self }
        guard let cellIndex = cells.firstIndex(where: { $0.has(.parameters) }) else {
            throw NotebookError(path, "no cell is tagged parameters, so -p \(overrides[0].name)=... has nothing to replace (tag one: -- %% Parameters tags=[\"parameters\"])")
        }
        var nb = self
        for o in overrides {
            guard let (ci, li) = nb.assignment(of: o.name) else {
                let c = cells[cellIndex]
                let known = parameterNames
                throw NotebookError(path, line: c.line, "parameter '\(o.name)' is not assigned in the parameters cell (it sets: \(known.isEmpty ? "nothing" : known.joined(separator: ", ")))")
            }
            if Notebook.scan(nb.cells[ci].lines[li]).moreStatements {
                throw NotebookError(path, line: nb.cells[ci].firstLine + li,
                                    "-p \(o.name)=\(o.value): this line holds more than one statement, and -p replaces a whole line (give each parameter its own line)")
            }
            let now = Notebook.assignedValue(nb.cells[ci].lines[li])
            var expr = o.luaExpression
            let given = o.value.trimmingCharacters(in: .whitespaces)
            // a boolean in the notebook takes true or false only ("False" and 0 are true in Lua)
            if let now, now == "true" || now == "false", given != "true" && given != "false" && given != "nil" {
                throw NotebookError(path, line: nb.cells[ci].firstLine + li,
                                    "-p \(o.name)=\(o.value): the notebook's \(o.name) is a boolean (\(now)); give true or false")
            }
            // a string in the notebook stays a string when the value could read as a number (-p tag=007)
            if let now, now.first == "\"" || now.first == "'", ParameterOverride.isNumeral(given) { expr = LuaString.quote(o.value) }
            // a number in the notebook and a mistyped number on the command line (-p ratio=0.5x)
            // would otherwise become a string that fails far from here
            if o.isBareWord, let now, ParameterOverride.isNumeral(now) {
                throw NotebookError(path, line: nb.cells[ci].firstLine + li,
                                    "-p \(o.name)=\(o.value): the notebook's \(o.name) is a number (\(now)) and '\(o.value)' is not one (quote it to pass a string: -p \(o.name)='\(o.value)')")
            }
            guard syntax.compiles("return " + expr) else {
                throw NotebookError(path, line: nb.cells[ci].firstLine + li, "-p \(o.name)=\(o.value): not a Lua value")
            }
            var lines = nb.cells[ci].lines
            var end = li
            while end < lines.count - 1, !syntax.compiles(lines[li...end].joined(separator: "\n")) { end += 1 }
            let line = lines[li]
            let indent = line.prefix { $0 == " " || $0 == "\t" }
            let isLocal = line.dropFirst(indent.count).hasPrefix("local ")
            lines[li] = "\(indent)\(isLocal ? "local " : "")\(o.name) = \(expr)"
            for k in stride(from: li + 1, through: end, by: 1) { lines[k] = "" }
            nb.cells[ci].lines = lines
        }
        return nb
    }

    /// The (cell, line) of the first assignment to `name` in a parameters cell.
    func assignment(of name: String) -> (Int, Int)? {
        for (ci, c) in cells.enumerated() where c.has(.parameters) {
            if let li = Notebook.statementLines(c.lines).first(where: { Notebook.assignedName(c.lines[$0]) == name }) { return (ci, li) }
        }
        return nil
    }
}
