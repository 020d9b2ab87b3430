/// The scalar-by-scalar escaping that JSON.quote and XML.escape share.
extension String {
    /// This string with every Unicode scalar for which `replacement` returns text
    /// replaced by that text; the others are kept as they are.
    func escapingScalars(_ replacement: (Unicode.Scalar) -> String?) -> String {
        var out = ""
        out.reserveCapacity(utf8.count)
        for u in unicodeScalars {
            if let r = replacement(u) { out += r } else { out.unicodeScalars.append(u) }
        }
        return out
    }
}
