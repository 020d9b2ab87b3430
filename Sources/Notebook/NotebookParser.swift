import Foundation

/// Splits a `.lua` file in jupytext's percent format into cells.
///
/// - `-- %%` at the start of a line begins a code cell; `-- %% [markdown]` a markdown cell
///   whose lines are Lua comments (`-- text`, or a `--[[ … ]]` block), so the file still
///   runs as a plain script; `-- %% [raw]` a raw cell (comments, shown verbatim).
/// - An optional front matter (`-- ---` … `-- ---`) on the first line holds the seed and
///   the comparison tolerance (see FrontMatterParser).
/// - Content before the first marker is a code cell; a file without markers is one cell.
/// - A `#!` first line is skipped, as `lua` skips it.
public enum NotebookParser {
    /// Reads and parses the notebook at `path`.
    public static func load(_ path: String) throws -> Notebook {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw NotebookError(path, "cannot read the notebook (no such file, or not readable)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw NotebookError(path, "the notebook is not valid UTF-8 text")
        }
        return try parse(text, path: path)
    }

    public static func parse(_ text: String, path: String) throws -> Notebook {
        var lines = text.components(separatedBy: "\n").map { $0.hasSuffix("\r") ? String($0.dropLast()) : $0 }
        if text.hasSuffix("\n") { lines.removeLast() }
        let file = path
        var start = 0
        if lines.first?.hasPrefix("#!") == true { start = 1 }
        var frontMatter = FrontMatter()
        if start < lines.count, FrontMatterParser.isDelimiter(lines[start]) {
            (frontMatter, start) = try FrontMatterParser.parse(lines, from: start, file: file)
        }
        // Marker positions (0-based line indices) and their headers.
        var markers: [(Int, CellHeader)] = []
        for i in start..<max(start, lines.count) {
            guard let rest = markerText(lines[i]) else { continue }
            if let c = rest.first, c != " " && c != "\t" {
                throw NotebookError(file, line: i + 1, "malformed cell marker '\(lines[i])' (write `-- %%` followed by a space, a title, [markdown] or metadata)")
            }
            markers.append((i, try CellHeader.parse(rest, file: file, line: i + 1)))
        }
        var cells: [Cell] = []
        // Content before the first marker.
        let firstMarker = markers.first?.0 ?? lines.count
        if start < firstMarker, lines[start..<firstMarker].contains(where: { !isBlank($0) }) {
            cells.append(try makeCell(index: 1, header: CellHeader(), marker: nil, body: start..<firstMarker, lines, file))
        }
        for (k, (m, header)) in markers.enumerated() {
            let end = k + 1 < markers.count ? markers[k + 1].0 : lines.count
            cells.append(try makeCell(index: cells.count + 1, header: header, marker: m, body: (m + 1)..<end, lines, file))
        }
        return Notebook(path: path, frontMatter: frontMatter, cells: cells)
    }

    /// The text after `%%` if `line` is a cell marker (`-- %%`, `--%%`).
    static func markerText(_ line: String) -> String? {
        guard line.hasPrefix("--") else { return nil }
        var rest = line.dropFirst(2)
        while rest.first == " " || rest.first == "\t" { rest = rest.dropFirst() }
        guard rest.hasPrefix("%%") else { return nil }
        return trimRight(String(rest.dropFirst(2)))
    }

    static func makeCell(index: Int, header: CellHeader, marker: Int?, body: Range<Int>,
                         _ lines: [String], _ file: String) throws -> Cell {
        var lo = body.lowerBound, hi = body.upperBound
        while lo < hi, isBlank(lines[lo]) { lo += 1 }
        while hi > lo, isBlank(lines[hi - 1]) { hi -= 1 }
        let own = Array(lines[lo..<hi])
        var text = ""
        if header.kind != .code {
            let next = body.upperBound < lines.count ? body.upperBound + 1 : nil
            text = try commentText(own, firstLine: lo + 1, nextCell: next, file)
        }
        return Cell(index: index, kind: header.kind, title: header.title, tags: header.tags, timeout: header.timeout,
                    markerLine: marker.map { $0 + 1 }, firstLine: lo + 1, lines: own, text: text)
    }

    /// The text of a markdown or raw cell: every line must be a Lua comment (`-- text`) or
    /// blank, or lie inside a `--[[ … ]]` (or `--[==[ … ]==]`) block comment that closes
    /// within the cell.
    static func commentText(_ lines: [String], firstLine: Int, nextCell: Int?, _ file: String) throws -> String {
        var out: [String] = []
        var closing: String? = nil      // "]]" or "]==]" while inside a block comment
        var blockStart = 0
        for (k, line) in lines.enumerated() {
            let lineNo = firstLine + k
            if let close = closing {
                if let r = line.range(of: close) {
                    let before = trimRight(String(line[..<r.lowerBound]))
                    if !isBlank(before) { out.append(before) }
                    closing = nil
                } else {
                    out.append(line)
                }
                continue
            }
            if isBlank(line) { out.append(""); continue }
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            guard trimmed.hasPrefix("--") else {
                throw NotebookError(file, line: lineNo, "markdown cell line is not a Lua comment (the plain script would run it); start it with `-- `")
            }
            var rest = trimmed.dropFirst(2)
            if rest.first == "[" {
                let level = rest.dropFirst().prefix { $0 == "=" }.count
                let opener = "[" + String(repeating: "=", count: level) + "["
                if rest.hasPrefix(opener) {
                    let close = "]" + String(repeating: "=", count: level) + "]"
                    let after = rest.dropFirst(opener.count)
                    if let r = after.range(of: close) {
                        let inner = String(after[..<r.lowerBound])
                        if !isBlank(inner) { out.append(inner.trimmingCharacters(in: .whitespaces)) }
                    } else {
                        if !isBlank(String(after)) { out.append(String(after)) }
                        closing = close
                        blockStart = lineNo
                    }
                    continue
                }
            }
            if rest.first == " " { rest = rest.dropFirst() }
            out.append(String(rest))
        }
        if closing != nil {
            let end = nextCell.map { "before the next cell (line \($0))" } ?? "before the end of the file"
            throw NotebookError(file, line: blockStart, "unterminated cell: the block comment opened here does not close \(end)")
        }
        while out.first == "" { out.removeFirst() }
        while out.last == "" { out.removeLast() }
        return out.joined(separator: "\n")
    }
}
