/// XML and HTML text.
public enum XML {
    /// Escapes text for XML and HTML element content and double-quoted attribute values:
    /// `&`, `<`, `>` and `"`.
    ///
    ///     XML.escape("a < b & \"c\"")   // a &lt; b &amp; &quot;c&quot;
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for u in s.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.unicodeScalars.append(u)
            }
        }
        return out
    }
}
