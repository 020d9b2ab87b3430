/// XML and HTML text.
public enum XML {
    /// Escapes text for XML and HTML element content and double-quoted attribute values:
    /// `&`, `<`, `>` and `"`.
    ///
    ///     XML.escape("a < b & \"c\"")   // a &lt; b &amp; &quot;c&quot;
    public static func escape(_ s: String) -> String {
        s.escapingScalars { entities[$0] }
    }

    static let entities: [Unicode.Scalar: String] = ["&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;"]
}
