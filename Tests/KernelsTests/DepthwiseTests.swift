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

    /// The forward by output rows (zero-bordered scratch planes split by stride phase, 3×3
    /// in registers) against a plain double sum: kernels 3 and 5, strides 1–3, paddings 0–2,
    /// dilation 2, two outputs per input channel, planes from 2×2 to 33×35, rows of 8, 4 and fewer
    /// outputs, with and without bias.
    func testForwardMatchesADoubleSum() throws {
        var rng = Xoshiro256(seed: 12)
        let shapes: [(h: Int, w: Int, k: Int, s: Int, p: Int, d: Int, mult: Int, bias: Bool)] = [
            (32, 32, 3, 1, 1, 1, 1, false), (32, 32, 3, 2, 1, 1, 1, true), (33, 35, 3, 2, 1, 1, 2, true),
            (4, 4, 3, 1, 1, 1, 1, true), (2, 2, 3, 1, 1, 1, 1, false), (8, 8, 3, 1, 1, 1, 1, false),
            (17, 13, 5, 1, 2, 1, 1, true), (16, 16, 5, 2, 2, 1, 1, false), (12, 12, 3, 1, 2, 2, 1, true),
            (9, 11, 3, 1, 0, 1, 1, false), (20, 20, 3, 3, 1, 1, 1, true), (40, 40, 3, 2, 0, 1, 1, false),
            // 5×5 rows of 4 and of 8 + 4 outputs (MobileNetV3 on CIFAR): the four-lane path
            (4, 4, 5, 1, 2, 1, 1, true), (12, 12, 5, 1, 2, 1, 2, false), (8, 8, 5, 2, 2, 1, 1, true),
        ]
        for t in shapes {
            let c = 3, n = 2, oc = c * t.mult
            let g = try ConvGeometry(batch: n, inChannels: c, height: t.h, width: t.w, outChannels: oc, kernel: (t.k, t.k),
                                     stride: (t.s, t.s), padding: (t.p, t.p), dilation: (t.d, t.d), groups: c)
            let x = (0..<(n * c * t.h * t.w)).map { _ in Float(rng.nextNormal()) }
            let weight = (0..<(oc * t.k * t.k)).map { _ in Float(rng.nextNormal()) }
            let bias = (0..<oc).map { _ in Float(rng.nextNormal()) }
            var y = [Float](repeating: .nan, count: n * oc * g.outPlane)
            try x.withUnsafeBufferPointer { xp in try weight.withUnsafeBufferPointer { wp in try bias.withUnsafeBufferPointer { bp in
                try y.withUnsafeMutableBufferPointer { yp in
                    try DepthwiseConv2d.forward(g, x: xp.baseAddress!, weight: wp.baseAddress!, bias: t.bias ? bp.baseAddress! : nil,
                                                y: yp.baseAddress!)
                }
            } } }
            for b in 0..<n {
                for o in 0..<oc {
                    for r in 0..<g.outHeight {
                        for q in 0..<g.outWidth {
                            var s = t.bias ? Double(bias[o]) : 0
                            for i in 0..<t.k {
                                for j in 0..<t.k {
                                    let hi = r * t.s - t.p + i * t.d, wi = q * t.s - t.p + j * t.d
                                    guard hi >= 0, hi < t.h, wi >= 0, wi < t.w else { continue }
                                    s += Double(weight[(o * t.k + i) * t.k + j]) * Double(x[((b * c + o / t.mult) * t.h + hi) * t.w + wi])
                                }
                            }
                            let got = y[((b * oc + o) * g.outHeight + r) * g.outWidth + q]
                            XCTAssertEqual(Double(got), s, accuracy: 1e-4 * max(1, abs(s)), "\(t) out \(o) at \(r),\(q)")
                        }
                    }
                }
            }
        }
    }

    /// ∂L/∂x and ∂L/∂w against plain double sums over the same shapes as the forward: the
    /// stride-1 ∂L/∂x runs as a forward over the bordered ∂L/∂y (a turned kernel), the other
    /// cases (strides, two outputs a channel, a padding wider than the kernel) as before.
    func testBackwardMatchesDoubleSums() throws {
        var rng = Xoshiro256(seed: 13)
        let shapes: [(h: Int, w: Int, k: Int, s: Int, p: Int, d: Int, mult: Int)] = [
            (32, 32, 3, 1, 1, 1, 1), (32, 32, 3, 2, 1, 1, 1), (33, 35, 3, 2, 1, 1, 2), (4, 4, 3, 1, 1, 1, 1),
            (2, 2, 3, 1, 1, 1, 1), (9, 11, 3, 1, 0, 1, 1), (17, 13, 5, 1, 2, 1, 1), (12, 12, 3, 1, 2, 2, 1),
            (10, 10, 3, 1, 3, 1, 1), (16, 16, 3, 1, 1, 1, 2),
        ]
        for t in shapes {
            let c = 3, n = 2, oc = c * t.mult
            let g = try ConvGeometry(batch: n, inChannels: c, height: t.h, width: t.w, outChannels: oc, kernel: (t.k, t.k),
                                     stride: (t.s, t.s), padding: (t.p, t.p), dilation: (t.d, t.d), groups: c)
            let x = (0..<(n * c * t.h * t.w)).map { _ in Float(rng.nextNormal()) }
            let dy = (0..<(n * oc * g.outPlane)).map { _ in Float(rng.nextNormal()) }
            let weight = (0..<(oc * t.k * t.k)).map { _ in Float(rng.nextNormal()) }
            var dx = [Float](repeating: .nan, count: x.count), dw = [Float](repeating: 0, count: weight.count)
            try x.withUnsafeBufferPointer { xp in try dy.withUnsafeBufferPointer { dp in try weight.withUnsafeBufferPointer { wp in
                try dx.withUnsafeMutableBufferPointer { dxp in try dw.withUnsafeMutableBufferPointer { dwp in
                    try DepthwiseConv2d.backward(g, x: xp.baseAddress!, weight: wp.baseAddress!, dy: dp.baseAddress!,
                                                 dx: dxp.baseAddress!, dw: dwp.baseAddress!, db: nil)
                } }
            } } }
            var wantX = [Double](repeating: 0, count: x.count), wantW = [Double](repeating: 0, count: weight.count)
            for b in 0..<n {
                for o in 0..<oc {
                    for r in 0..<g.outHeight {
                        for q in 0..<g.outWidth {
                            let d = Double(dy[((b * oc + o) * g.outHeight + r) * g.outWidth + q])
                            for i in 0..<t.k {
                                for j in 0..<t.k {
                                    let hi = r * t.s - t.p + i * t.d, wi = q * t.s - t.p + j * t.d
                                    guard hi >= 0, hi < t.h, wi >= 0, wi < t.w else { continue }
                                    let xi = ((b * c + o / t.mult) * t.h + hi) * t.w + wi, wk = (o * t.k + i) * t.k + j
                                    wantX[xi] += d * Double(weight[wk])
                                    wantW[wk] += d * Double(x[xi])
                                }
                            }
                        }
                    }
                }
            }
            for (k, v) in wantX.enumerated() { XCTAssertEqual(Double(dx[k]), v, accuracy: 1e-4 * max(1, abs(v)), "\(t) dx[\(k)]") }
            for (k, v) in wantW.enumerated() { XCTAssertEqual(Double(dw[k]), v, accuracy: 1e-4 * max(1, abs(v)), "\(t) dw[\(k)]") }
        }
        let s1 = try ConvGeometry(batch: 1, inChannels: 4, height: 8, width: 8, outChannels: 4, kernel: (3, 3), padding: (1, 1), groups: 4)
        XCTAssertNotNil(DepthwiseConv2d.transposedGeometry(s1), "3×3, stride 1, padding 1 takes the forward path")
        let s2 = try ConvGeometry(batch: 1, inChannels: 4, height: 8, width: 8, outChannels: 4, kernel: (3, 3), stride: (2, 2),
                                  padding: (1, 1), groups: 4)
        XCTAssertNil(DepthwiseConv2d.transposedGeometry(s2))
    }

    func testEightLaneDotHandlesEveryTailLength() {
        for n in 0..<20 {
            let a = (0..<n).map { Float($0) + 0.5 }, b = (0..<n).map { Float(n - $0) }
            let want = zip(a, b).reduce(0) { $0 + Double($1.0) * Double($1.1) }
            XCTAssertEqual(Double(DepthwiseConv2d.dot(a, b, n)), want, accuracy: 1e-3, "n = \(n)")
        }
    }
}
