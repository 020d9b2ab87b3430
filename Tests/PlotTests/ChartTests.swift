import XCTest
@testable import Plot

/// Structure of the SVG charts: axes, ticks, labels, legends; histogram counts;
/// deterministic output; errors for bad data.
final class ChartTests: XCTestCase {
    func count(_ s: String, _ needle: String) -> Int { s.components(separatedBy: needle).count - 1 }

    /// The first `<g class="…">` group of class `cls`, up to the `</g>` that closes it.
    func group(_ svg: String, _ cls: String) -> String {
        guard let r = svg.range(of: "<g class=\"\(cls)\">") ?? svg.range(of: "<g class=\"\(cls)\" ") else { return "" }
        var depth = 1, i = r.upperBound
        while depth > 0, i < svg.endIndex {
            if svg[i...].hasPrefix("<g") { depth += 1 }
            if svg[i...].hasPrefix("</g>") { depth -= 1 }
            i = svg.index(after: i)
        }
        return String(svg[r.lowerBound..<i])
    }

    func testLineChartHasAxesTicksLabelsAndLegend() throws {
        let c = try Chart.line(y: [2.3, 1.2, 0.8, 0.6, 0.5], label: "train")
        try c.addXY(x: nil, y: [2.4, 1.5, 1.1, 0.9, 0.9], label: "test")
        c.title = "Loss"; c.xlabel = "epoch"; c.ylabel = "loss"
        let svg = c.svg()
        XCTAssertTrue(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        XCTAssertTrue(svg.hasSuffix("</svg>\n"))
        let x = group(svg, "axis x"), y = group(svg, "axis y")
        // x: 1..5 → nice domain 1..5 with step 1; y: 0.5..2.4 → 0.5..2.5 with step 0.5.
        XCTAssertEqual(count(x, "<g class=\"tick\">"), 5)
        XCTAssertTrue(x.contains(">1</text>") && x.contains(">5</text>"), x)
        XCTAssertEqual(count(y, "<g class=\"tick\">"), 5)
        for label in ["0.5", "1.0", "1.5", "2.0", "2.5"] { XCTAssertTrue(y.contains(">\(label)</text>"), label) }
        XCTAssertTrue(x.contains(">epoch</text>") && y.contains(">loss</text>"))
        XCTAssertTrue(svg.contains("class=\"title\"") && svg.contains(">Loss</text>"))
        let legend = group(svg, "legend")
        XCTAssertTrue(legend.contains(">train</text>") && legend.contains(">test</text>"))
        XCTAssertEqual(count(svg, "<polyline"), 2)
        XCTAssertEqual(svg, c.svg(), "rendering is deterministic")
        XCTAssertEqual(c.summary, "plot.line \"Loss\" (2 series, 10 points)")
    }

    func testOneUnlabelledSeriesHasNoLegend() throws {
        let svg = try Chart.line(y: [1, 2, 3]).svg()
        XCTAssertFalse(svg.contains("class=\"legend\""))
    }

    func testNaNBreaksALine() throws {
        let svg = try Chart.line(y: [1, 2, .nan, 3, 4, .nan, 5]).svg()
        XCTAssertEqual(count(svg, "<polyline"), 2)
        XCTAssertEqual(count(group(svg, "series"), "<circle"), 1)   // the lone 5
    }

    func testHistogramCountsMatchNumpy() throws {
        // numpy.histogram([0, .5, 1, 1.5, 2, 2, 3], bins=3, range=(0, 3)) -> [2, 2, 3]
        let values = [0, 0.5, 1, 1.5, 2, 2, 3]
        let h = try Chart.histogram(values, bins: 3, range: (0, 3))
        XCTAssertEqual(h.edges, [0, 1, 2, 3])
        XCTAssertEqual(h.series[0].y, [2, 2, 3])
        let d = try Chart.histogram(values, bins: 3, range: (0, 3), density: true)
        XCTAssertEqual(d.series[0].y, [2.0 / 7, 2.0 / 7, 3.0 / 7])
        // Outside the range and non-finite values are not counted.
        // numpy.histogram([-1, 0.5, 9], bins=2, range=(0, 1)) -> [0, 1] (0.5 opens the second bin)
        let o = try Chart.histogram([-1, 0.5, .nan, .infinity, 9], bins: 2, range: (0, 1))
        XCTAssertEqual(o.series[0].y, [0, 1])
        let svg = h.svg()
        XCTAssertEqual(count(group(svg, "series"), "<rect"), 3)
        XCTAssertTrue(group(svg, "axis y").contains(">count</text>"))
    }

    func testBarsAreGroupedByCategory() throws {
        let b = try Chart.bar([0.91, 0.89, 0.84], categories: ["l1", "fpgm", "random"], label: "50%")
        try b.addBars([0.8, 0.7, 0.6], label: "70%")
        let svg = b.svg()
        XCTAssertEqual(count(svg, "<g class=\"series\""), 2)
        XCTAssertEqual(count(group(svg, "series"), "<rect"), 3)
        XCTAssertEqual(count(group(svg, "legend"), "<rect"), 1 + 2)   // the box and two swatches
        for c in ["l1", "fpgm", "random"] { XCTAssertTrue(group(svg, "axis x").contains(">\(c)</text>")) }
        XCTAssertTrue(group(svg, "axis y").contains(">0.0</text>"), "bars start at zero")
        XCTAssertThrowsError(try b.addBars([1, 2]))
    }

    func testHeatmapHasACellPerEntryAndAColourBar() throws {
        let h = try Chart.heatmap(rows: 2, cols: 3, values: [0, 1, 2, 3, 4, 5])
        let svg = h.svg()
        XCTAssertEqual(count(group(svg, "cells"), "<rect"), 6)
        XCTAssertTrue(svg.contains("fill=\"#440154\""), "the minimum is viridis' first colour")
        XCTAssertTrue(svg.contains("fill=\"#fde725\""), "the maximum is viridis' last colour")
        let bar = group(svg, "colorbar")
        XCTAssertTrue(bar.contains("linearGradient"))
        XCTAssertEqual(count(bar, "<g class=\"tick\">"), 6)   // 0, 1, ..., 5
        XCTAssertEqual(h.summary, "plot.heatmap (2 x 3)")
    }

    func testScatterDrawsEveryFinitePoint() throws {
        let s = try Chart.scatter(x: [1, 2, 3, .nan], y: [1, 4, 9, 16], label: "pts")
        XCTAssertEqual(count(group(s.svg(), "series"), "<circle"), 3)
    }

    func testBadDataIsAnError() {
        XCTAssertThrowsError(try Chart.line(x: [1, 2], y: [1, 2, 3])) { e in
            XCTAssertEqual("\(e)", "plot.line: x has 2 values, y has 3")
        }
        XCTAssertThrowsError(try Chart.line(y: []))
        XCTAssertThrowsError(try Chart.histogram([1, 2], bins: 0))
        XCTAssertThrowsError(try Chart.histogram([1, 2], range: (2, 1)))
        XCTAssertThrowsError(try Chart.bar([1, 2], categories: ["a"]))
        XCTAssertThrowsError(try Chart.heatmap(rows: 3000, cols: 3000, values: [Double](repeating: 0, count: 9_000_000)))
        XCTAssertThrowsError(try Chart.line(y: [1]).addBars([1]))
    }

    func testTextIsEscaped() throws {
        let c = try Chart.line(y: [1, 2], label: "a<b & \"c\"")
        XCTAssertTrue(c.svg().contains(">a&lt;b &amp; &quot;c&quot;</text>"))
    }
}
