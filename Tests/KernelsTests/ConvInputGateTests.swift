import XCTest
@testable import Kernels
@testable import Tensor

/// `ConvPlan.backward(inputGate:)`: the input gradient of a convolution whose input is a
/// ReLU's output, written behind that ReLU (`ConvEpilogue.gate`), is bit-equal to the ReLU's
/// backward of the plain input gradient — with the shortcut's gradient added, a folded
/// scale, a gated dy and ∂L/∂w asked for too; in Winograd's output pass (and its AVX-512
/// stores), on the tap and direct paths, and after the fact where the kernel cannot
/// (stride 2, depthwise, 1×1).
final class ConvInputGateTests: XCTestCase {
    typealias Shape = ConvInputGradientAddingTests.Shape

    /// A gate with zeros, -0, a NaN and about half its values negative (`ConvOutputGateTests.gate`).
    func gate(_ shape: [Int]) throws -> Tensor { try ConvOutputGateTests.gate(shape) }

    /// ReLU's backward: t where the gate is > 0, else 0.
    func gated(_ t: Tensor, _ gate: Tensor) throws -> [UInt32] {
        let d = try t.toFloats(), g = try gate.toFloats()
        return d.indices.map { g[$0] > 0 ? d[$0] : 0 }.map(\.bitPattern)
    }

    func bits(_ t: Tensor) throws -> [UInt32] { try t.toFloats().map(\.bitPattern) }

    func testGatedInputGradientIsBitEqualToTheReLUBackwardAfterIt() throws {
        let (threadsBefore, minBefore) = (Parallel.threads, Conv2dKernel.winogradMinChannels)
        defer { (Parallel.threads, Conv2dKernel.winogradMinChannels) = (threadsBefore, minBefore) }
        var winogradRuns = 0
        for (threads, winogradMin) in [(1, minBefore), (2, minBefore), (2, 1)] {
            (Parallel.threads, Conv2dKernel.winogradMinChannels) = (threads, winogradMin)
            for (i, s) in ConvInputGradientAddingTests.shapes.enumerated() {
                let (p, dy) = try ConvInputGradientAddingTests.plan(s, seed: UInt64(80 + i))
                let x = try gate(p.input.shape), r = try Tensor.randn(p.input.shape)
                if let tg = Conv2dKernel.transposedForInput(p.geometry), Conv2dKernel.forwardPath(tg) == .winograd { winogradRuns += 1 }
                let what = "shape \(i), \(threads) threads, Winograd from \(winogradMin) channels"
                XCTAssertEqual(try bits(p.backward(dy, inputGate: x)), try gated(p.backward(dy), x), what)
                XCTAssertEqual(try bits(p.backward(dy, addingToInput: r, inputGate: x)),
                               try gated(p.backward(dy, addingToInput: r), x), "\(what), adding")
                let scale: [Float] = (0..<s.k).map { Float(0.5 + 0.25 * Double($0 % 4)) * ($0 % 3 == 0 ? -1 : 1) }
                let y = try gate(p.outputShape)
                XCTAssertEqual(try bits(p.backward(dy, addingToInput: r, outputScale: scale, outputGate: y, inputGate: x)),
                               try gated(p.backward(dy, addingToInput: r, outputScale: scale, outputGate: y), x),
                               "\(what), scaled and gated dy")
                // training: ∂L/∂w too, unchanged by the gate
                let dw0 = try Tensor(zeros: p.weight.shape), dw1 = try Tensor(zeros: p.weight.shape)
                XCTAssertEqual(try bits(p.backward(dy, addingToInput: r, weightGrad: dw1, inputGate: x)),
                               try gated(p.backward(dy, addingToInput: r, weightGrad: dw0), x), "\(what), with ∂L/∂w")
                XCTAssertEqual(try bits(dw1), try bits(dw0), "\(what), ∂L/∂w")
                // no input gradient wanted: the added gradient alone, gated
                let only = try p.backward(dy, inputGradient: false, addingToInput: r, inputGate: x)
                XCTAssertEqual(try bits(only), try gated(r, x), "\(what), no ∂L/∂x")
            }
        }
        XCTAssertGreaterThan(winogradRuns, 3, "the gate in Winograd's output pass was never exercised")
    }

    func testGateOfTheWrongShapeIsAnError() throws {
        let (p, dy) = try ConvInputGradientAddingTests.plan(ConvInputGradientAddingTests.shapes[1], seed: 5)
        XCTAssertThrowsError(try p.backward(dy, inputGate: try Tensor(zeros: [1, 2, 3, 4]))) { e in
            XCTAssertTrue("\(e)".contains("input gate has shape [1, 2, 3, 4]"), "\(e)")
        }
    }
}
