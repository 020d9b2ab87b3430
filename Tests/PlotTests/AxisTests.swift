import XCTest
@testable import Plot

/// Log scales and axis limits of line and scatter charts.
final class AxisTests: XCTestCase {
    func count(_ s: String, _ needle: String) -> Int { s.components(separatedBy: needle).count - 1 }

    /// The tick labels of one axis group ("axis x" / "axis y"), in order.
    func labels(_ svg: String, _ axis: String) -> [String] {
        guard let start = svg.range(of: "<g class=\"\(axis)\">"), let end = svg.range(of: "</g>\n</g>", range: start.upperBound..<svg.endIndex)
                ?? svg.range(of: "class=\"label\"", range: start.upperBound..<svg.endIndex) else { return [] }
        let body = String(svg[start.upperBound..<end.lowerBound])
        return body.components(separatedBy: "</text>").dropLast().compactMap { $0.components(separatedBy: ">").last }
    }

    func testLogTicksAreDecadesOrOneTwoFive() {
        XCTAssertEqual(AxisLayout.logTicks(1, 1000), [1, 10, 100, 1000])
        XCTAssertEqual(AxisLayout.logTicks(0.001, 1), [0.001, 0.01, 0.1, 1])
        // under three powers inside: 1-2-5 steps
        XCTAssertEqual(AxisLayout.logTicks(5, 500), [5, 10, 20, 50, 100, 200, 500])
        // many decades: at most about ten ticks
        XCTAssertLessThanOrEqual(AxisLayout.logTicks(1e-30, 1e30).count, 11)
        XCTAssertEqual(["0.001", "0.01", "1", "200", "10000", "1e+05", "1e-04", "2e-06"],
                       [0.001, 0.01, 1, 200, 1e4, 1e5, 1e-4, 2e-6].map(AxisLayout.logLabel))
    }

    func testLogAxisMapsPowersOfTenEvenlyAndLeavesOutNonPositiveValues() throws {
        let c = try Chart.line(x: [1, 2, 3, 4], y: [1, 10, 100, 1000])
        try c.setAxes(yScale: .log)
        let a = AxisLayout([1, 10, 100, 1000], scale: .log, limits: nil)
        XCTAssertEqual(a.lo, 1); XCTAssertEqual(a.hi, 1000)
        let map = a.map(300, 0)
        XCTAssertEqual(map(10), 200, accuracy: 1e-9); XCTAssertEqual(map(100), 100, accuracy: 1e-9)
        XCTAssertTrue(map(0).isNaN && map(-1).isNaN)
        XCTAssertEqual(AxisLayout([0.3, 40], scale: .log, limits: nil).lo, 0.1, accuracy: 1e-15, "whole decades around the data")
        let svg = c.svg()
        XCTAssertEqual(labels(svg, "axis y"), ["1", "10", "100", "1000"])
        // a point at 0 on a log axis is left out as NaN is: the line breaks there
        let z = try Chart.line(y: [1, 10, 0, 100, 1000])
        try z.setAxes(yScale: .log)
        XCTAssertEqual(count(z.svg(), "<polyline"), 2)
    }

    func testLimitsSetTheDomainAndClipTheSeries() throws {
        let c = try Chart.scatter(x: [0, 5, 10], y: [0, 5, 10])
        let plain = c.svg()
        XCTAssertFalse(plain.contains("clip-path"), "no limits, no clip: charts recorded before stay as they were")
        try c.setAxes(xLimits: (2, 8), yLimits: (2, 8))
        let svg = c.svg()
        XCTAssertEqual(count(svg, "<clipPath id=\"plot-area\">"), 1)
        XCTAssertTrue(svg.contains("clip-path=\"url(#plot-area)\""))
        XCTAssertEqual(labels(svg, "axis x").first, "2")
        XCTAssertEqual(labels(svg, "axis x").last, "8")
        XCTAssertEqual(count(svg, "<circle"), 3, "points outside stay in the document, clipped")
    }

    func testBadScalesAndLimitsAreErrors() throws {
        let c = try Chart.line(y: [1, 2])
        XCTAssertThrowsError(try c.setAxes(xLimits: (3, 3)))
        XCTAssertThrowsError(try c.setAxes(yLimits: (0, .infinity)))
        XCTAssertThrowsError(try c.setAxes(yScale: .log, yLimits: (-1, 1))) { XCTAssertTrue("\($0)".contains("positive on a log y axis")) }
        try c.setAxes(yLimits: (-1, 1))
        XCTAssertThrowsError(try c.setAxes(yScale: .log), "the limits already set are checked against the new scale")
        XCTAssertEqual(c.yScale, .linear, "a refused change leaves the chart as it was")
        XCTAssertThrowsError(try Chart.bar([1, 2]).setAxes(yScale: .log)) { XCTAssertTrue("\($0)".contains("not a bar chart")) }
    }
}
