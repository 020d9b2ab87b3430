import Ink
import Text

/// Markdown to HTML for the HTML export, by Ink (CommonMark-like: headings, paragraphs,
/// lists, block quotes, fenced code, pipe tables with alignment, rules, inline code,
/// links, images, emphasis). The export shows text, never runs it: raw HTML in the
/// Markdown (a `<script>` in a cell or in a recorded table value) is escaped and shown
/// as written, and link and image addresses are escaped inside their attribute.
enum MarkdownHTML {
    static let parser = MarkdownParser(modifiers: [
        Modifier(target: .html) { XML.escape(String($0.markdown)) },
        Modifier(target: .links) { escapedAddress($0, tag: "<a href=\"") },
        Modifier(target: .images) { escapedAddress($0, tag: "<img src=\"") },
    ])

    static func render(_ markdown: String) -> String {
        parser.html(from: markdown)
    }

    /// A pipe table of values (a table output): its cells are text, so `&`, `<`, `>` and
    /// `"` are written as entities first (Ink would read `<` as the start of HTML and give up
    /// on the table).
    static func render(table markdown: String) -> String {
        parser.html(from: XML.escape(markdown))
    }

    /// Ink writes a link's address into its attribute as is (`[x](a"onclick="…)` would
    /// add an attribute): rewrite it escaped. The address of `[text](address)` is the
    /// parenthesised end of the Markdown; for any other form the fragment is shown as text.
    static func escapedAddress(_ input: Modifier.Input, tag: String) -> String {
        let (html, md) = input
        guard md.last == ")" else { return XML.escape(String(md)) }
        var depth = 0
        var open = md.endIndex
        for i in md.indices.reversed() {
            if md[i] == ")" { depth += 1 } else if md[i] == "(" { depth -= 1; if depth == 0 { open = i; break } }
        }
        guard open < md.endIndex else { return XML.escape(String(md)) }
        let address = String(md[md.index(after: open)..<md.index(before: md.endIndex)])
        let prefix = tag + address + "\""
        guard html.hasPrefix(prefix) else { return XML.escape(String(md)) }
        return tag + XML.escape(address) + "\"" + html.dropFirst(prefix.count)
    }
}
