import XCTest
@testable import Kernels
@testable import Tensor

/// The weight passes split over threads (`WeightPasses.swift`) against their serial
/// definitions, on sizes above the parallel grain and with two threads.
final class WeightPassesTests: XCTestCase {
    override func setUp() { saved = Parallel.threads; Parallel.threads = 2 }
    override func tearDown() { Parallel.threads = saved }
    private var saved = 1

    /// Every weight visited once, with its group, channels and tap, for grouped and
    /// ungrouped layouts.
    func testForEachWeightVisitsEveryWeightOnce() throws {
        for (cin, cout, groups, k) in [(256, 512, 1, 3), (64, 96, 4, 3), (3, 5, 1, 1), (512, 512, 512, 3)] {
            let g = try ConvGeometry(batch: 1, inChannels: cin, height: 8, width: 8, outChannels: cout,
                                     kernel: (k, k), padding: (1, 1), groups: groups)
            let taps = k * k, total = cout * g.groupIn * taps
            var seen = [UInt8](repeating: 0, count: total)
            var wrong = [UInt8](repeating: 0, count: total)
            seen.withUnsafeMutableBufferPointer { s in wrong.withUnsafeMutableBufferPointer { bad in
                let sp = s.baseAddress!, bp = bad.baseAddress!
                Conv2dKernel.splitOutputChannels(g) { r in
                    Conv2dKernel.forEachWeight(g, outChannels: r) { idx, grp, o, i, t in
                        sp[idx] += 1
                        // the serial order's index of (grp, o, i, t)
                        if ((grp * g.groupOut + o) * g.groupIn + i) * taps + t != idx { bp[idx] = 1 }
                    }
                }
            } }
            XCTAssertTrue(seen.allSatisfy { $0 == 1 }, "\(cin)→\(cout) g\(groups)")
            XCTAssertTrue(wrong.allSatisfy { $0 == 0 }, "\(cin)→\(cout) g\(groups)")
        }
    }

    /// Parts summed in part order, bit-equal to the serial loop.
    func testSumPartsMatchesSerialOrder() {
        var rng = Xoshiro256(seed: 3)
        let size = 200_003, parts = 3
        var a = (0..<(parts * size)).map { _ in Float(rng.nextDouble() * 2 - 1) * 1e3 }
        var expected = Array(a[0..<size])
        for p in 1..<parts { for i in 0..<size { expected[i] += a[p * size + i] } }
        a.withUnsafeMutableBufferPointer { Conv2dKernel.sumParts($0.baseAddress!, parts: parts, size: size) }
        XCTAssertEqual(a[0..<size].map(\.bitPattern), expected.map(\.bitPattern))
        var one: [Float] = [1, 2, 3]
        one.withUnsafeMutableBufferPointer { Conv2dKernel.sumParts($0.baseAddress!, parts: 1, size: 3) }
        XCTAssertEqual(one, [1, 2, 3])
    }

    func testTransposeRowsStoresAndAccumulates() {
        let rows = 700, cols = 300
        let src = (0..<(rows * cols)).map { Float($0 % 977) }   // [cols, rows]
        var dst = [Float](repeating: 1, count: rows * cols)
        Conv2dKernel.transposeRows(src, rows: rows, cols: cols, into: &dst, accumulate: true)
        var ok = true
        for r in 0..<rows { for c in 0..<cols where dst[r * cols + c] != src[c * rows + r] + 1 { ok = false } }
        XCTAssertTrue(ok, "accumulate")
        Conv2dKernel.transposeRows(src, rows: rows, cols: cols, into: &dst, accumulate: false)
        for r in 0..<rows { for c in 0..<cols where dst[r * cols + c] != src[c * rows + r] { ok = false } }
        XCTAssertTrue(ok, "store")
    }

    /// The Winograd weight transform split over output channels gives the bits of one
    /// thread (each channel computed the same way wherever it runs).
    func testWinogradWeightsSameOnOneAndTwoThreads() {
        var rng = Xoshiro256(seed: 8)
        let K = 520, C = 37   // above the grain: two ranges of output channels
        let w = (0..<(K * C * 9)).map { _ in Float(rng.nextDouble() - 0.5) }
        var u1 = [Float](repeating: 0, count: 36 * K * C), u2 = u1
        Parallel.threads = 1
        Winograd.transformWeights(w, outChannels: K, inChannels: C, into: &u1)
        Parallel.threads = 2
        Winograd.transformWeights(w, outChannels: K, inChannels: C, into: &u2)
        XCTAssertEqual(u1.map(\.bitPattern), u2.map(\.bitPattern))
    }
}
