import XCTest
@testable import Notebook

/// Masking, numbers within tolerance, and unified diffs.
final class ComparisonTests: XCTestCase {
    func testAddressesAndTimingsAreMasked() {
        XCTAssertEqual(Comparison.masked("table: 0x55d4c3a0 and function: 0x7f01"), "table: 0x… and function: 0x…")
        XCTAssertEqual(Comparison.masked("took 1.23 s, then 45ms and 2 minutes"), "took <time> s, then <time>ms and <time> minutes")
        XCTAssertEqual(Comparison.masked("2 steps, 3 samples"), "2 steps, 3 samples")
    }

    func testNumbersAreComparedWithTheTolerance() {
        let c = Comparison(relative: 1e-3)
        XCTAssertTrue(c.equal("loss 1.0000 acc 0.5", "loss 1.0005 acc 0.5"))
        XCTAssertFalse(c.equal("loss 1.0000", "loss 1.0020"))
        XCTAssertTrue(c.equal("[-1.5e-3, 2]", "[-1.5001e-3, 2]"))
        XCTAssertFalse(c.equal("epoch 1", "epoch 2"))
        XCTAssertFalse(c.equal("a 1", "b 1"), "text must match exactly")
        XCTAssertFalse(c.equal("1 2", "1 2 3"))
        XCTAssertTrue(c.equal("conv1 0.25", "conv1 0.25"))
        XCTAssertFalse(c.equal("conv1", "conv2"), "digits inside words are text")
        XCTAssertTrue(Comparison(relative: 0, absolute: 1e-6).equal("0.0000001", "-0.0000001"))
        XCTAssertTrue(c.equal("took 1.2 s", "took 9.9 s"))
        XCTAssertTrue(c.equal("epoch 1  629 img/s", "epoch 1  1604 img/s"), "rates are masked")
        XCTAssertFalse(c.equal("epoch 1  629 img/s", "epoch 2  629 img/s"))
        XCTAssertEqual(Comparison.masked("at 12 it/s"), "at <time> it/s")
    }

    /// A table a cell shows (train.fit's result, prune.report's) holds timings as fields, and
    /// prune.report's text a speed-up of two timings: masked, while their neighbours still count.
    func testTimingFieldsAndRatiosOfTimingsAreMasked() {
        let c = Comparison(relative: 1e-6)
        let fit = "{\n  epoch = 1,\n  images_per_s = 23691.09,\n  loss = 2.4571,\n  seconds = 0.0054\n}"
        XCTAssertTrue(c.equal(fit, fit.replacingOccurrences(of: "23691.09", with: "9000.5").replacingOccurrences(of: "0.0054", with: "0.02")))
        XCTAssertFalse(c.equal(fit, fit.replacingOccurrences(of: "2.4571", with: "2.4572")), "the loss beside them still counts")
        XCTAssertTrue(c.equal("{after_ms = 0.02, batch = 1}", "{after_ms = 0.9, batch = 1}"))
        XCTAssertFalse(c.equal("{after_ms = 0.02, batch = 1}", "{after_ms = 0.02, batch = 4}"))
        XCTAssertTrue(c.equal("\"time\": 1.5, \"elapsed\": 2", "\"time\": 3, \"elapsed\": 7"))
        XCTAssertFalse(c.equal("steps = 1, loss_scale = 2", "steps = 1, loss_scale = 3"), "a name merely containing s is no timing")
        XCTAssertTrue(c.equal("latency batch 1: 0.04 ms → 0.02 ms (2.48×)", "latency batch 1: 0.03 ms → 0.02 ms (1.71×)"))
        XCTAssertFalse(c.equal("latency batch 1: 0.04 ms → 0.02 ms (2.48×)", "latency batch 4: 0.04 ms → 0.02 ms (2.48×)"))
        XCTAssertFalse(c.equal("MACs 0.31 M → 0.10 M (3.12×)", "MACs 0.31 M → 0.10 M (3.13×)"), "a ratio of MACs is compared")
    }

    /// An error's position in the notebook file moves when prose above the cell changes.
    func testLinesOfLuaFilePositionsAreMasked() {
        let c = Comparison(relative: 1e-6)
        XCTAssertTrue(c.equal("lines.lua:4: boom\nstack: [C]: in lines.lua:4", "lines.lua:5: boom\nstack: [C]: in lines.lua:5"))
        XCTAssertFalse(c.equal("lines.lua:4: boom", "lines.lua:4: bang"), "the message still counts")
        XCTAssertFalse(c.equal("loss.lua 4", "loss.lua 5"), "only a position after the colon")
        XCTAssertEqual(Comparison.masked("at nb.lua:12: x"), "at nb.lua:<line>: x")
    }

    func testTokensSeparateNumbersFromText() {
        XCTAssertEqual(Comparison.tokens("x=-2.5e3, y=.5"), [.text("x="), .number(-2500, "-2.5e3"), .text(", y="), .number(0.5, ".5")])
        XCTAssertEqual(Comparison.tokens("3-2"), [.number(3, "3"), .text("-"), .number(2, "2")])
        XCTAssertEqual(Comparison.tokens("1..3"), [.number(1, "1"), .text(".."), .number(3, "3")])
    }

    func testUnifiedDiff() {
        let a = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"]
        var b = a
        b[4] = "E"
        b.insert("new", at: 8)
        let d = UnifiedDiff.diff(a, b, from: "old", to: "new", equal: ==)
        XCTAssertEqual(d, """
            --- old
            +++ new
            @@ -2,9 +2,10 @@
             b
             c
             d
            -e
            +E
             f
             g
             h
            +new
             i
             j

            """)
        XCTAssertEqual(UnifiedDiff.diff(a, a, from: "x", to: "y", equal: ==), "")
        XCTAssertEqual(UnifiedDiff.diff([], ["x"], from: "a", to: "b", equal: ==), "--- a\n+++ b\n@@ -0,0 +1,1 @@\n+x\n")
        let far = UnifiedDiff.diff((1...20).map(String.init), (1...20).map { $0 == 2 || $0 == 19 ? "x" : String($0) },
                                   from: "a", to: "b", equal: ==)
        XCTAssertEqual(far.components(separatedBy: "@@ ").count - 1, 2, "distant changes make separate hunks")
    }
}
