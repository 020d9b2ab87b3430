import XCTest
@testable import Kernels
@testable import Tensor

/// Im2col's same-size path (stride 1, output as large as the input) against a plain gather and
/// col2im against a plain scatter, including taps a whole plane or more away: a dilation and
/// padding of the map's size or beyond read padding only (they once wrote past the row).
final class Im2colSameTests: XCTestCase, Conv3x3Checks {
    func testSameRowsEqualPlainGatherAtEveryDilation() throws {
        for (h, w) in [(4, 4), (5, 3), (1, 6), (7, 2)] {
            for d in [1, 2, 3, 4, 5, 8, 32, 1000] {
                let c = 2, k = 3
                let g = try ConvGeometry(batch: 1, inChannels: c, height: h, width: w, outChannels: 1, kernel: (k, k),
                                         padding: (d, d), dilation: (d, d))
                XCTAssertTrue(Im2col.isSame(g))
                let x = random(c * h * w, seed: UInt64(17 * d + h)), P = g.outPlane
                // a guard band after the rows: any write past them shows
                var cols = [Float](repeating: .nan, count: c * k * k * P + 64)
                Im2col.im2col(g, channels: c, x: x, cols: &cols, ld: P)
                var expected = [Float](repeating: 0, count: c * k * k * P)
                for ch in 0..<c { for i in 0..<k { for j in 0..<k { for oh in 0..<h { for ow in 0..<w {
                    let r = oh + i * d - d, q = ow + j * d - d
                    guard r >= 0, r < h, q >= 0, q < w else { continue }
                    expected[((ch * k + i) * k + j) * P + oh * w + ow] = x[(ch * h + r) * w + q]
                } } } } }
                XCTAssertNil(firstDifference(Array(cols[..<expected.count]), expected), "\(h)×\(w), dilation = padding = \(d)")
                XCTAssertTrue(cols[expected.count...].allSatisfy(\.isNaN), "nothing written past the rows: \(h)×\(w), d = \(d)")

                var back = [Float](repeating: 0, count: c * h * w + 64)
                let rows = (0..<expected.count).map { Float($0 % 7) - 3 }
                Im2col.col2im(g, channels: c, cols: rows, ld: P, x: &back)
                var scattered = [Float](repeating: 0, count: c * h * w)
                for ch in 0..<c { for i in 0..<k { for j in 0..<k { for oh in 0..<h { for ow in 0..<w {
                    let r = oh + i * d - d, q = ow + j * d - d
                    guard r >= 0, r < h, q >= 0, q < w else { continue }
                    scattered[(ch * h + r) * w + q] += rows[((ch * k + i) * k + j) * P + oh * w + ow]
                } } } } }
                XCTAssertNil(firstDifference(Array(back[..<scattered.count]), scattered), "col2im \(h)×\(w), d = \(d)")
                XCTAssertTrue(back[scattered.count...].allSatisfy { $0 == 0 }, "col2im wrote past x: \(h)×\(w), d = \(d)")
            }
        }
    }

    func firstDifference(_ a: [Float], _ b: [Float]) -> Int? {
        zip(a, b).enumerated().first { $0.element.0 != $0.element.1 && !($0.element.0.isNaN && $0.element.1.isNaN) }?.offset
    }
}
