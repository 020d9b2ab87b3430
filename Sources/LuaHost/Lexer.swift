/// Small facts about Lua's lexical syntax that the pretty printer, completion and help
/// need: keywords, identifiers, and the dotted name at the end of a line of code.
public enum Lexer {
    /// Lua 5.4's reserved words.
    public static let keywords: [String] = [
        "and", "break", "do", "else", "elseif", "end", "false", "for", "function", "goto", "if",
        "in", "local", "nil", "not", "or", "repeat", "return", "then", "true", "until", "while",
    ]

    static func isIdentifierStart(_ c: Character) -> Bool { c == "_" || (c.isASCII && c.isLetter) }
    static func isIdentifierChar(_ c: Character) -> Bool { c == "_" || (c.isASCII && (c.isLetter || c.isNumber)) }

    /// True for a name that can be written without brackets (`t.name`): an identifier
    /// that is not a keyword.
    public static func isIdentifier(_ s: String) -> Bool {
        guard let f = s.first, isIdentifierStart(f), s.allSatisfy(isIdentifierChar) else { return false }
        return !keywords.contains(s)
    }

    /// A dotted name split into parts: `"tensor.zeros"` → `[("tensor", nil), ("zeros", ".")]`;
    /// `x:sum` → `[("x", nil), ("sum", ":")]`. Nil unless every part is a name.
    public static func splitName(_ s: String) -> [(name: String, separator: Character?)]? {
        var parts: [(String, Character?)] = []
        var current = "", sep: Character? = nil
        for c in s {
            if c == "." || c == ":" {
                parts.append((current, sep)); current = ""; sep = c
            } else { current.append(c) }
        }
        parts.append((current, sep))
        for (k, p) in parts.enumerated() where !(p.0.isEmpty && k == parts.count - 1) {
            guard let f = p.0.first, isIdentifierStart(f), p.0.allSatisfy(isIdentifierChar) else { return nil }
        }
        return parts
    }

    /// The dotted name being typed at the end of `line` (`"print(x:su"` → `"x:su"`), or nil
    /// when the cursor is inside a string, after a number, or after a call or index
    /// (`f().x`, `t[1].y`: completing those would mean running code).
    public static func trailingName(_ line: String) -> String? {
        if insideString(line) { return nil }
        var start = line.endIndex
        while start > line.startIndex {
            let p = line.index(before: start)
            let c = line[p]
            guard isIdentifierChar(c) || c == "." || c == ":" else { break }
            start = p
        }
        let name = String(line[start...])
        if start > line.startIndex {
            let before = line[line.index(before: start)]
            if before == ")" || before == "]" || before == "}" { return nil }
        }
        if let f = name.first, !isIdentifierStart(f) { return nil }
        if name.contains("..") || name.contains("::") { return nil }
        return name
    }

    /// True if `line` ends inside a short string literal or a `--` comment.
    static func insideString(_ line: String) -> Bool {
        var quote: Character? = nil
        var escaped = false
        var prev: Character = " "
        for c in line {
            if let q = quote {
                if escaped { escaped = false } else if c == "\\" { escaped = true } else if c == q { quote = nil }
            } else if c == "\"" || c == "'" {
                quote = c
            } else if c == "-" && prev == "-" {
                return true
            }
            prev = c
        }
        return quote != nil
    }
}
