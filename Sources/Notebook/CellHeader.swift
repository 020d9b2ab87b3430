import Foundation
import Text

/// The text after `-- %%` on a cell marker, in jupytext's percent format:
///
///     -- %% Optional title [cell type] key="value" tags=["skip", "raises"]
///
/// The cell type is `[markdown]` (or `[md]`) or `[raw]`; code cells have none. Metadata
/// are `key=value` pairs whose values are JSON; Topiary reads `tags` (a list of strings)
/// and `timeout` (seconds).
struct CellHeader {
    var title: String?
    var kind: CellKind = .code
    var tags: [CellTag] = []
    var timeout: Double?

    static let metadataKeys = ["tags", "timeout"]

    static func parse(_ text: String, file: String, line: Int) throws -> CellHeader {
        func fail(_ m: String) -> NotebookError { NotebookError(file, line: line, m) }
        var header = CellHeader()
        let chars = Array(text)
        // Metadata start at the first `identifier=` preceded by a blank (or the start).
        var metaStart = chars.count
        var i = 0
        while i < chars.count {
            if (i == 0 || chars[i - 1] == " " || chars[i - 1] == "\t"), isKeyStart(chars[i]) {
                var j = i
                while j < chars.count, isKeyChar(chars[j]) { j += 1 }
                if j < chars.count, chars[j] == "=" { metaStart = i; break }
            }
            i += 1
        }
        // Before them: a title, possibly with the cell type in brackets.
        var head = String(chars[..<metaStart]).trimmingCharacters(in: .whitespaces)
        if let open = head.firstIndex(of: "[") {
            guard let close = head[open...].firstIndex(of: "]") else {
                throw fail("malformed cell marker: '[' without ']'")
            }
            let type = head[head.index(after: open)..<close].trimmingCharacters(in: .whitespaces)
            switch type.lowercased() {
            case "markdown", "md": header.kind = .markdown
            case "raw": header.kind = .raw
            default:
                let asTags = type.split(separator: ",").map { "\"\($0.trimmingCharacters(in: .whitespaces))\"" }.joined(separator: ", ")
                throw fail("unknown cell type '[\(type)]' (expected [markdown], [md] or [raw]); tags are metadata in jupytext's percent format: tags=[\(asTags)]")
            }
            head = (head[..<open] + " " + head[head.index(after: close)...]).trimmingCharacters(in: .whitespaces)
        }
        header.title = head.isEmpty ? nil : head
        // The metadata.
        var seen: Set<String> = []
        i = metaStart
        while i < chars.count {
            if chars[i] == " " || chars[i] == "\t" { i += 1; continue }
            var j = i
            while j < chars.count, isKeyChar(chars[j]) { j += 1 }
            guard j > i, j < chars.count, chars[j] == "=" else {
                throw fail("malformed cell metadata at '\(String(chars[i...]))' (expected key=value)")
            }
            let key = String(chars[i..<j])
            let (valueText, end) = try scanValue(chars, from: j + 1, fail)
            i = end
            guard !seen.contains(key) else { throw fail("cell metadata '\(key)' is given twice") }
            seen.insert(key)
            guard let value = try? JSON.parse(valueText) else {
                throw fail("cell metadata '\(key)': \(valueText) is not a JSON value")
            }
            switch key {
            case "tags":
                guard let list = value.array, case let names = list.compactMap(\.string), names.count == list.count else {
                    throw fail("cell metadata 'tags' must be a list of strings, like tags=[\"skip\"]")
                }
                for name in names {
                    guard let tag = CellTag(rawValue: name) else {
                        throw fail("unknown tag '\(name)' (known: \(CellTag.names))")
                    }
                    if !header.tags.contains(tag) { header.tags.append(tag) }
                }
            case "timeout":
                guard let n = value.double, n.isFinite, n > 0 else {
                    throw fail("cell metadata 'timeout' must be a positive number of seconds, got \(valueText)")
                }
                header.timeout = n
            default:
                throw fail("unknown cell metadata '\(key)' (known: \(metadataKeys.joined(separator: ", ")))")
            }
        }
        return header
    }

    static func isKeyStart(_ c: Character) -> Bool { c == "_" || (c.isASCII && c.isLetter) }
    static func isKeyChar(_ c: Character) -> Bool { c == "_" || c == "-" || c == "." || (c.isASCII && (c.isLetter || c.isNumber)) }

    /// A JSON value starting at `start`: a bracketed list or object, a string, or a bare
    /// token up to the next blank. Returns its text and the index after it.
    static func scanValue(_ c: [Character], from start: Int, _ fail: (String) -> NotebookError) throws -> (String, Int) {
        guard start < c.count else { throw fail("cell metadata: a value must follow '='") }
        var depth = 0, inString = false, escaped = false
        var i = start
        if c[i] == "[" || c[i] == "{" || c[i] == "\"" {
            while i < c.count {
                let ch = c[i]
                if inString {
                    if escaped { escaped = false } else if ch == "\\" { escaped = true } else if ch == "\"" { inString = false }
                } else if ch == "\"" { inString = true }
                else if ch == "[" || ch == "{" { depth += 1 }
                else if ch == "]" || ch == "}" { depth -= 1 }
                i += 1
                if depth == 0 && !inString { return (String(c[start..<i]), i) }
            }
            throw fail("cell metadata: unterminated value '\(String(c[start...]))'")
        }
        while i < c.count, c[i] != " ", c[i] != "\t" { i += 1 }
        return (String(c[start..<i]), i)
    }
}
