import Plot

/// A small Markdown-to-HTML renderer for notebook text: headings, paragraphs, lists,
/// block quotes, fenced code, pipe tables, rules, and inline code, links, bold, italics.
enum MarkdownHTML {
    static func render(_ markdown: String) -> String {
        let lines = markdown.components(separatedBy: "\n")
        var html = ""
        var paragraph: [String] = []
        var list: String? = nil   // "ul" or "ol" while inside a list
        func closeParagraph() {
            if !paragraph.isEmpty { html += "<p>" + inline(paragraph.joined(separator: " ")) + "</p>\n"; paragraph = [] }
        }
        func closeList() { if let l = list { html += "</\(l)>\n"; list = nil } }
        var i = 0
        while i < lines.count {
            let line = lines[i]
            let t = line.trimmingCharacters(in: .whitespaces)
            if t.hasPrefix("```") || t.hasPrefix("~~~") {
                closeParagraph(); closeList()
                let fence = String(t.prefix(3))
                var code: [String] = []
                i += 1
                while i < lines.count, !lines[i].trimmingCharacters(in: .whitespaces).hasPrefix(fence) { code.append(lines[i]); i += 1 }
                html += "<pre><code>" + escapeHTML(code.joined(separator: "\n")) + "</code></pre>\n"
                i += 1
                continue
            }
            if t.isEmpty { closeParagraph(); closeList(); i += 1; continue }
            if let level = headingLevel(t) {
                closeParagraph(); closeList()
                html += "<h\(level)>" + inline(String(t.dropFirst(level)).trimmingCharacters(in: .whitespaces)) + "</h\(level)>\n"
            } else if t == "---" || t == "***" || t == "___" {
                closeParagraph(); closeList()
                html += "<hr>\n"
            } else if t.hasPrefix(">") {
                closeParagraph(); closeList()
                html += "<blockquote>" + inline(String(t.dropFirst()).trimmingCharacters(in: .whitespaces)) + "</blockquote>\n"
            } else if t.hasPrefix("|"), i + 1 < lines.count, isTableRule(lines[i + 1]) {
                closeParagraph(); closeList()
                var rows = [cells(t)]
                i += 2
                while i < lines.count, lines[i].trimmingCharacters(in: .whitespaces).hasPrefix("|") {
                    rows.append(cells(lines[i].trimmingCharacters(in: .whitespaces))); i += 1
                }
                html += "<table>\n<tr>" + rows[0].map { "<th>\(inline($0))</th>" }.joined() + "</tr>\n"
                for r in rows.dropFirst() { html += "<tr>" + r.map { "<td>\(inline($0))</td>" }.joined() + "</tr>\n" }
                html += "</table>\n"
                continue
            } else if let (kind, item) = listItem(t) {
                closeParagraph()
                if list != kind { closeList(); html += "<\(kind)>\n"; list = kind }
                html += "<li>" + inline(item) + "</li>\n"
            } else if list != nil, line.hasPrefix("  ") {
                // A continuation line of a list item.
                html = String(html.dropLast("</li>\n".count)) + " " + inline(t) + "</li>\n"
            } else {
                closeList()
                paragraph.append(t)
            }
            i += 1
        }
        closeParagraph(); closeList()
        return html
    }

    static func headingLevel(_ t: String) -> Int? {
        let n = t.prefix { $0 == "#" }.count
        guard n >= 1, n <= 6, t.count == n || t.dropFirst(n).first == " " else { return nil }
        return n
    }

    static func listItem(_ t: String) -> (String, String)? {
        if let f = t.first, f == "-" || f == "*" || f == "+", t.dropFirst().first == " " {
            return ("ul", String(t.dropFirst(2)))
        }
        let digits = t.prefix { $0.isNumber }
        if !digits.isEmpty, let d = t.dropFirst(digits.count).first, d == "." || d == ")", t.dropFirst(digits.count + 1).first == " " {
            return ("ol", String(t.dropFirst(digits.count + 2)))
        }
        return nil
    }

    static func isTableRule(_ line: String) -> Bool {
        let t = line.trimmingCharacters(in: .whitespaces)
        return t.hasPrefix("|") && t.contains("-") && t.allSatisfy { "|-: ".contains($0) }
    }

    static func cells(_ row: String) -> [String] {
        var r = row
        if r.hasPrefix("|") { r.removeFirst() }
        if r.hasSuffix("|") { r.removeLast() }
        return r.replacingOccurrences(of: "\\|", with: "\u{1}").split(separator: "|", omittingEmptySubsequences: false)
            .map { $0.replacingOccurrences(of: "\u{1}", with: "|").trimmingCharacters(in: .whitespaces) }
    }

    /// Inline markup: `code`, [text](url), **bold**, *italic* / _italic_.
    static func inline(_ s: String) -> String {
        let c = Array(s)
        var out = ""
        var i = 0
        func find(_ target: String, from: Int) -> Int? {
            let t = Array(target)
            var j = from
            while j + t.count <= c.count {
                if Array(c[j..<j + t.count]) == t { return j }
                j += 1
            }
            return nil
        }
        while i < c.count {
            let ch = c[i]
            if ch == "`", let end = find("`", from: i + 1) {
                out += "<code>" + escapeHTML(String(c[(i + 1)..<end])) + "</code>"
                i = end + 1
            } else if ch == "[", let mid = find("](", from: i + 1), let end = find(")", from: mid + 2) {
                let url = String(c[(mid + 2)..<end])
                out += "<a href=\"\(escapeHTML(url))\">" + inline(String(c[(i + 1)..<mid])) + "</a>"
                i = end + 1
            } else if ch == "*", i + 1 < c.count, c[i + 1] == "*", let end = find("**", from: i + 2), end > i + 2 {
                out += "<strong>" + inline(String(c[(i + 2)..<end])) + "</strong>"
                i = end + 2
            } else if ch == "*" || ch == "_", i + 1 < c.count, c[i + 1] != " ",
                      ch == "*" || i == 0 || !(c[i - 1].isLetter || c[i - 1].isNumber),
                      let end = find(String(ch), from: i + 1), end > i + 1 {
                out += "<em>" + inline(String(c[(i + 1)..<end])) + "</em>"
                i = end + 1
            } else {
                out += escapeHTML(String(ch))
                i += 1
            }
        }
        return out
    }
}

/// Escapes text for HTML content and attribute values.
func escapeHTML(_ s: String) -> String { escapeXML(s) }
