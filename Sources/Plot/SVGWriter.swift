import Text

/// Builds SVG text. Coordinates are written with at most two decimals by integer
/// arithmetic (no locale, no platform formatting), so a chart's bytes are reproducible.
struct SVGWriter {
    private(set) var text = ""

    init(width: Double, height: Double) {
        text = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(num(width))\" height=\"\(num(height))\" "
            + "viewBox=\"0 0 \(num(width)) \(num(height))\" font-family=\"DejaVu Sans, Arial, sans-serif\" font-size=\"12\">\n"
        element("rect", ["class": "background", "width": "100%", "height": "100%", "fill": "white"])
    }

    /// An element with no children. Attributes are written in sorted order.
    mutating func element(_ name: String, _ attributes: [String: String]) {
        text += "<\(name)\(attrs(attributes))/>\n"
    }

    /// A `<text>` element.
    mutating func text(_ content: String, _ attributes: [String: String]) {
        text += "<text\(attrs(attributes))>\(XML.escape(content))</text>\n"
    }

    mutating func open(_ name: String, _ attributes: [String: String] = [:]) {
        text += "<\(name)\(attrs(attributes))>\n"
    }

    mutating func close(_ name: String) { text += "</\(name)>\n" }

    /// Raw markup (already escaped).
    mutating func raw(_ markup: String) { text += markup }

    mutating func finish() -> String {
        text += "</svg>\n"
        return text
    }

    private func attrs(_ a: [String: String]) -> String {
        a.keys.sorted().map { " \($0)=\"\(XML.escape(a[$0]!))\"" }.joined()
    }
}

/// A coordinate with at most two decimals, no trailing zeros, never "-0".
func num(_ v: Double) -> String {
    guard v.isFinite else { return "0" }
    let r = Int((v * 100).rounded())
    let sign = r < 0 ? "-" : ""
    let a = abs(r)
    let whole = a / 100, frac = a % 100
    if frac == 0 { return sign + String(whole) }
    if frac % 10 == 0 { return sign + String(whole) + "." + String(frac / 10) }
    return sign + String(whole) + "." + (frac < 10 ? "0" : "") + String(frac)
}

