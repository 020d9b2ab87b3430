import XCTest
@testable import Plot

/// Nice ticks for known ranges (values worked out by hand from the 1-2-5 rule with
/// d3's thresholds √2, √10, √50 on span / 5).
final class TicksTests: XCTestCase {
    func testNiceDomainOfAUnitRange() {
        let (lo, hi, t) = Ticks.nice(0, 0.93)
        XCTAssertEqual(lo, 0)
        XCTAssertEqual(hi, 1.0)
        XCTAssertEqual(t.values, [0, 0.2, 0.4, 0.6, 0.8, 1.0])
        XCTAssertEqual(t.values.map(t.label), ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"])
    }

    func testNiceDomainOfPercentages() {
        let (lo, hi, t) = Ticks.nice(3, 97)
        XCTAssertEqual([lo, hi], [0, 100])
        XCTAssertEqual(t.values, [0, 20, 40, 60, 80, 100])
        XCTAssertEqual(t.label(40), "40")
    }

    func testTicksWithinARangeStayInside() {
        let t = Ticks.within(-1.3, 2.7)
        XCTAssertEqual(t.values, [-1, 0, 1, 2])
        XCTAssertEqual(t.values.map(t.label), ["-1", "0", "1", "2"])
        let u = Ticks.within(0.5, 30.5)          // step 5
        XCTAssertEqual(u.values, [5, 10, 15, 20, 25, 30])
    }

    func testBinaryNoiseIsCleaned() {
        let t = Ticks.within(0, 0.3, count: 3)   // step 0.1: 0.30000000000000004 must not appear
        XCTAssertEqual(t.values, [0, 0.1, 0.2, 0.3])
        XCTAssertEqual(t.label(0.3), "0.3")
    }

    func testLargeAndTinyMagnitudesUseScientificLabels() {
        let big = Ticks.nice(0, 2.5e6).ticks
        XCTAssertEqual(big.values, [0, 5e5, 1e6, 1.5e6, 2e6, 2.5e6])
        XCTAssertEqual(big.label(1.5e6), "1.5e+06")
        let tiny = Ticks.within(0, 1e-5)
        XCTAssertEqual(tiny.label(4e-6), "4.0e-06")
    }

    func testDegenerateRangesWiden() {
        let (lo, hi, _) = Ticks.nice(5, 5)
        XCTAssertLessThan(lo, 5)
        XCTAssertGreaterThan(hi, 5)
        XCTAssertEqual(Ticks.nice(0, 0).ticks.values, [-1, -0.5, 0, 0.5, 1])
        XCTAssertEqual(Ticks.nice(.nan, 1).lo, 0)
    }

    func testNegativeZeroIsNotPrinted() {
        let t = Ticks.within(-1, 1)
        XCTAssertEqual(t.label(-0.0), "0.0")
        XCTAssertEqual(num(-0.001), "0")
        XCTAssertEqual(num(12.345), "12.35")
        XCTAssertEqual(num(-3.5), "-3.5")
        XCTAssertEqual(num(7), "7")
        XCTAssertEqual(num(0.05), "0.05")
    }
}
