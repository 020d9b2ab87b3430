import XCTest
@testable import Kernels
@testable import Tensor

/// `ConvPlan.backward(outputScale:)`: the gradients of a convolution followed by a
/// per-output-channel scale (a frozen BatchNorm) equal the plain backward of dy·scale, up
/// to rounding — on the stride-1 path, where the scale is folded into the transposed
/// weights (or, on the tap path, into the layer's own per-tap weights), and on every other kernel family, where dy is scaled first — with and
/// without a tensor added to ∂L/∂x, and the folded weights' cached transform apart from
/// the plain one.
final class ConvOutputScaleTests: XCTestCase {
    typealias Shape = ConvInputGradientAddingTests.Shape

    func scaled(_ dy: Tensor, _ s: [Float]) throws -> Tensor {
        let c = dy.shape[1], plane = dy.shape[2] * dy.shape[3]
        let v = try dy.toFloats()
        return try Tensor(shape: dy.shape, values: v.indices.map { v[$0] * s[($0 / plane) % c] })
    }

    func assertClose(_ a: Tensor, _ b: Tensor, _ what: String) throws {
        let x = try a.toFloats(), y = try b.toFloats()
        XCTAssertEqual(x.count, y.count, what)
        let top = max(y.map(abs).max() ?? 0, 1e-6)
        XCTAssertGreaterThan(top, 1e-3, "\(what): a gradient of zeros proves nothing")
        let err = zip(x, y).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThan(err / top, 2e-5, what)
    }

    func testScaledBackwardEqualsBackwardOfScaledGradient() throws {
        let (threadsBefore, minBefore) = (Parallel.threads, Conv2dKernel.winogradMinChannels)
        defer { (Parallel.threads, Conv2dKernel.winogradMinChannels) = (threadsBefore, minBefore) }
        var tapRuns = 0
        for (threads, winogradMin) in [(1, minBefore), (2, 1)] {
            (Parallel.threads, Conv2dKernel.winogradMinChannels) = (threads, winogradMin)
            for (i, s) in ConvInputGradientAddingTests.shapes.enumerated() {
                let (p, dy) = try ConvInputGradientAddingTests.plan(s, seed: UInt64(40 + i))
                if let tg = Conv2dKernel.transposedForInput(p.geometry), Conv2dKernel.forwardUsesTaps(tg) { tapRuns += 1 }
                let scale: [Float] = (0..<s.k).map { k in
                    let m = Float(0.25 + 0.5 * Double(k % 5))
                    return k % 3 == 0 ? -m : m
                }
                let plainBefore = try p.backward(dy)
                let want = try p.backward(try scaled(dy, scale))
                // twice: the second call finds the folded weights' transform in the cache
                for round in 0..<2 {
                    try assertClose(try p.backward(dy, outputScale: scale), want, "shape \(i), \(threads) threads, round \(round)")
                }
                // the plain backward afterwards is not served the folded transform
                XCTAssertEqual(try p.backward(dy).toFloats().map { $0.bitPattern }, try plainBefore.toFloats().map { $0.bitPattern },
                               "plain after scaled, shape \(i)")
                let r = try Tensor.randn(p.input.shape)
                let sum = try p.backward(dy, addingToInput: r, outputScale: scale)
                try assertClose(sum, try want.add(r), "with an added tensor, shape \(i)")
                // the weight gradients of dy·scale when they are asked for too
                let dw0 = try Tensor(zeros: p.weight.shape), dw1 = try Tensor(zeros: p.weight.shape)
                _ = try p.backward(try scaled(dy, scale), weightGrad: dw0)
                _ = try p.backward(dy, weightGrad: dw1, outputScale: scale)
                try assertClose(dw1, dw0, "weight gradient, shape \(i)")
            }
        }
        XCTAssertGreaterThan(tapRuns, 1, "the tap path's transposed weights were never exercised")
    }

    func testScaleOfTheWrongLengthIsAnError() throws {
        let (p, dy) = try ConvInputGradientAddingTests.plan(ConvInputGradientAddingTests.shapes[1], seed: 5)
        XCTAssertThrowsError(try p.backward(dy, outputScale: [1, 2, 3])) { e in
            XCTAssertTrue("\(e)".contains("output scale has 3 values for 8 output channels"), "\(e)")
        }
    }
}
