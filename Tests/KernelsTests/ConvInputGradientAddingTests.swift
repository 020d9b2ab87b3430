import XCTest
@testable import Kernels
@testable import Tensor

/// `ConvPlan.backward(addingToInput:)`: ∂L/∂x + r bit for bit as the two steps make it,
/// on every kernel family's input gradient — Winograd and direct (the stride-1 transposed
/// forward, where r joins in the output pass), im2col with col2im (stride 2, 1×1 with
/// padding), depthwise, batch 1 — and the weight gradients unchanged.
final class ConvInputGradientAddingTests: XCTestCase {
    struct Shape { var n, c, k, h, w, kernel, stride, pad, groups: Int }

    static let shapes = [
        Shape(n: 4, c: 16, k: 16, h: 16, w: 16, kernel: 3, stride: 1, pad: 1, groups: 1),   // Winograd
        Shape(n: 2, c: 11, k: 8, h: 9, w: 7, kernel: 3, stride: 1, pad: 1, groups: 1),      // odd channels and planes
        Shape(n: 1, c: 16, k: 32, h: 8, w: 8, kernel: 3, stride: 1, pad: 1, groups: 1),     // batch 1: direct
        Shape(n: 3, c: 3, k: 16, h: 12, w: 12, kernel: 3, stride: 1, pad: 1, groups: 1),    // stem
        Shape(n: 3, c: 8, k: 16, h: 11, w: 11, kernel: 3, stride: 2, pad: 1, groups: 1),    // stride 2: col2im
        Shape(n: 2, c: 8, k: 8, h: 10, w: 10, kernel: 3, stride: 1, pad: 1, groups: 8),     // depthwise
        Shape(n: 2, c: 6, k: 4, h: 5, w: 5, kernel: 1, stride: 1, pad: 0, groups: 1),       // 1×1
        Shape(n: 3, c: 64, k: 72, h: 2, w: 2, kernel: 3, stride: 1, pad: 1, groups: 1),     // VGG's 2×2: taps
        Shape(n: 2, c: 144, k: 128, h: 3, w: 2, kernel: 3, stride: 1, pad: 1, groups: 2),   // taps, grouped
    ]

    /// A plan of the shape on random input and weights, and a random output gradient.
    static func plan(_ s: Shape, seed: UInt64) throws -> (ConvPlan, Tensor) {
        Random.manualSeed(seed)
        let x = try Tensor.randn([s.n, s.c, s.h, s.w]), w = try Tensor.randn([s.k, s.c / s.groups, s.kernel, s.kernel])
        let p = try ConvPlan(input: x, weight: w, stride: (s.stride, s.stride), padding: (s.pad, s.pad), groups: s.groups)
        return (p, try Tensor.randn(p.outputShape))
    }

    func testSumIsBitEqualToTheTwoSteps() throws {
        let (threadsBefore, minBefore) = (Parallel.threads, Conv2dKernel.winogradMinChannels)
        defer { (Parallel.threads, Conv2dKernel.winogradMinChannels) = (threadsBefore, minBefore) }
        // the measured choices, then every 3×3 stride-1 shape on Winograd
        for (threads, winogradMin) in [(1, minBefore), (2, minBefore), (2, 1)] {
            (Parallel.threads, Conv2dKernel.winogradMinChannels) = (threads, winogradMin)
            for (i, s) in Self.shapes.enumerated() {
                let (p, dy) = try Self.plan(s, seed: UInt64(10 + i))
                let r = try Tensor.randn(p.input.shape)
                let dw0 = try Tensor(zeros: p.weight.shape), dw1 = try Tensor(zeros: p.weight.shape)
                let plain = try p.backward(dy, weightGrad: dw0)
                let sum = try p.backward(dy, addingToInput: r, weightGrad: dw1)
                let want = zip(try plain.toFloats(), try r.toFloats()).map { $0 + $1 }
                XCTAssertEqual(try sum.toFloats().map(\.bitPattern), want.map(\.bitPattern), "shape \(i), \(threads) threads, Winograd from \(winogradMin) channels")
                XCTAssertEqual(try dw1.toFloats().map(\.bitPattern), try dw0.toFloats().map(\.bitPattern), "dw, shape \(i)")
                XCTAssertGreaterThan(want.map { abs($0) }.max() ?? 0, 0)
            }
        }
    }

    /// No input gradient wanted (a network's first layer): the result is the added tensor.
    func testWithoutInputGradientReturnsTheAddedTensor() throws {
        let (p, dy) = try Self.plan(Self.shapes[0], seed: 3)
        let r = try Tensor.randn(p.input.shape)
        let out = try p.backward(dy, inputGradient: false, addingToInput: r)
        XCTAssertEqual(try out.toFloats(), try r.toFloats())
    }

    func testWrongShapeIsAnError() throws {
        let (p, dy) = try Self.plan(Self.shapes[1], seed: 4)
        XCTAssertThrowsError(try p.backward(dy, addingToInput: try Tensor.randn([1, 2, 3, 4]))) { e in
            XCTAssertTrue("\(e)".contains("the gradient to add has shape [1, 2, 3, 4]"), "\(e)")
        }
    }
}
