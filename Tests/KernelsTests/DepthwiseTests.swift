import XCTest
@testable import Kernels
@testable import Tensor

/// The depthwise convolution's ∂L/∂w (its row dot products run in eight lanes) against a
/// plain double-precision sum, for planes wider and narrower than eight, stride 1 and 2.
final class DepthwiseTests: XCTestCase {
    func testWeightGradientMatchesADoubleSum() throws {
        var rng = Xoshiro256(seed: 11)
        for (h, w, stride, mult) in [(20, 19, 1, 1), (5, 5, 1, 2), (17, 21, 2, 1), (9, 12, 1, 1)] {
            let c = 3, n = 2
            let g = try ConvGeometry(batch: n, inChannels: c, height: h, width: w, outChannels: c * mult,
                                     kernel: (3, 3), stride: (stride, stride), padding: (1, 1), groups: c)
            let x = (0..<(n * c * h * w)).map { _ in Float(rng.nextNormal()) }
            let dy = (0..<(n * c * mult * g.outPlane)).map { _ in Float(rng.nextNormal()) }
            let weight = (0..<(c * mult * 9)).map { _ in Float(rng.nextNormal()) }
            var dw = [Float](repeating: 0, count: weight.count)
            try x.withUnsafeBufferPointer { xp in try dy.withUnsafeBufferPointer { dp in try weight.withUnsafeBufferPointer { wp in
                try dw.withUnsafeMutableBufferPointer { dwp in
                    try DepthwiseConv2d.backward(g, x: xp.baseAddress!, weight: wp.baseAddress!, dy: dp.baseAddress!, dx: nil,
                                                 dw: dwp.baseAddress!, db: nil)
                }
            } } }
            for oc in 0..<(c * mult) {
                for i in 0..<3 {
                    for j in 0..<3 {
                        var s = 0.0
                        for b in 0..<n {
                            for r in 0..<g.outHeight {
                                for q in 0..<g.outWidth {
                                    let hi = r * stride - 1 + i, wi = q * stride - 1 + j
                                    guard hi >= 0, hi < h, wi >= 0, wi < w else { continue }
                                    s += Double(dy[((b * c * mult + oc) * g.outHeight + r) * g.outWidth + q])
                                        * Double(x[((b * c + oc / mult) * h + hi) * w + wi])
                                }
                            }
                        }
                        XCTAssertEqual(Double(dw[oc * 9 + i * 3 + j]), s, accuracy: 1e-4 * max(1, abs(s)), "\(h)×\(w) s\(stride) oc \(oc) tap \(i),\(j)")
                    }
                }
            }
        }
    }

    func testEightLaneDotHandlesEveryTailLength() {
        for n in 0..<20 {
            let a = (0..<n).map { Float($0) + 0.5 }, b = (0..<n).map { Float(n - $0) }
            let want = zip(a, b).reduce(0) { $0 + Double($1.0) * Double($1.1) }
            XCTAssertEqual(Double(DepthwiseConv2d.dot(a, b, n)), want, accuracy: 1e-3, "n = \(n)")
        }
    }
}
