import XCTest
@testable import Kernels
@testable import Tensor

/// `ConvPlan.backward(outputGate:)`: the gradients of a convolution followed by a ReLU (and
/// a per-channel scale) for the gradient behind the ReLU are bit-equal to the backward of
/// the gated gradient — on the stride-1 path, where Winograd gates dy as it copies its
/// planes, and on every other kernel family, where a gated copy is made first.
final class ConvOutputGateTests: XCTestCase {
    typealias Shape = ConvInputGradientAddingTests.Shape

    /// A gate with about half its values ≤ 0, some exactly 0, -0 and one NaN (a NaN output
    /// of the ReLU passes nothing, as `ReLU.backward`).
    static func gate(_ shape: [Int]) throws -> Tensor {
        var gate = try Tensor.randn(shape).toFloats()
        for i in stride(from: 0, to: gate.count, by: 7) { gate[i] = 0 }
        for i in stride(from: 3, to: gate.count, by: 11) { gate[i] = -0.0 }
        gate[gate.count / 2] = Float.nan
        return try Tensor(shape: shape, values: gate)
    }

    /// A plan, a gradient and a gate of its output's shape (`gate`).
    func setUp(_ s: Shape, seed: UInt64) throws -> (ConvPlan, Tensor, Tensor) {
        let (p, dy) = try ConvInputGradientAddingTests.plan(s, seed: seed)
        return (p, dy, try Self.gate(p.outputShape))
    }

    func gated(_ dy: Tensor, _ gate: Tensor) throws -> Tensor {
        let d = try dy.toFloats(), g = try gate.toFloats()
        return try Tensor(shape: dy.shape, values: d.indices.map { g[$0] > 0 ? d[$0] : 0 })
    }

    func bits(_ t: Tensor) throws -> [UInt32] { try t.toFloats().map(\.bitPattern) }

    func testGatedBackwardIsBitEqualToTheBackwardOfTheGatedGradient() throws {
        let (threadsBefore, minBefore) = (Parallel.threads, Conv2dKernel.winogradMinChannels)
        defer { (Parallel.threads, Conv2dKernel.winogradMinChannels) = (threadsBefore, minBefore) }
        var winogradRuns = 0
        for (threads, winogradMin) in [(1, minBefore), (2, minBefore), (2, 1)] {
            (Parallel.threads, Conv2dKernel.winogradMinChannels) = (threads, winogradMin)
            for (i, s) in ConvInputGradientAddingTests.shapes.enumerated() {
                let (p, dy, gate) = try setUp(s, seed: UInt64(60 + i))
                if let tg = Conv2dKernel.transposedForInput(p.geometry), Conv2dKernel.gatesInput(tg) { winogradRuns += 1 }
                let what = "shape \(i), \(threads) threads, Winograd from \(winogradMin) channels"
                let g = try gated(dy, gate)
                XCTAssertGreaterThan(try g.toFloats().map(abs).max() ?? 0, 1e-3, "\(what): nothing passes the gate")
                XCTAssertEqual(try bits(p.backward(dy, outputGate: gate)), try bits(p.backward(g)), what)
                let scale: [Float] = (0..<s.k).map { Float(0.5 + 0.25 * Double($0 % 4)) * ($0 % 3 == 0 ? -1 : 1) }
                XCTAssertEqual(try bits(p.backward(dy, outputScale: scale, outputGate: gate)),
                               try bits(p.backward(g, outputScale: scale)), "\(what), scaled")
                let r = try Tensor.randn(p.input.shape)
                XCTAssertEqual(try bits(p.backward(dy, addingToInput: r, outputScale: scale, outputGate: gate)),
                               try bits(p.backward(g, addingToInput: r, outputScale: scale)), "\(what), adding")
                // with the weight gradient asked for too (a gated copy first)
                let dw0 = try Tensor(zeros: p.weight.shape), dw1 = try Tensor(zeros: p.weight.shape)
                XCTAssertEqual(try bits(p.backward(dy, weightGrad: dw1, outputGate: gate)),
                               try bits(p.backward(g, weightGrad: dw0)), "\(what), with ∂L/∂w")
                XCTAssertEqual(try bits(dw1), try bits(dw0), "\(what), ∂L/∂w")
            }
        }
        XCTAssertGreaterThan(winogradRuns, 3, "the gate in Winograd's copy was never exercised")
    }

    func testGateOfTheWrongShapeIsAnError() throws {
        let (p, dy) = try ConvInputGradientAddingTests.plan(ConvInputGradientAddingTests.shapes[1], seed: 5)
        XCTAssertThrowsError(try p.backward(dy, outputGate: try Tensor(zeros: [1, 2, 3, 4]))) { e in
            XCTAssertTrue("\(e)".contains("output gate has shape [1, 2, 3, 4]"), "\(e)")
        }
    }
}
