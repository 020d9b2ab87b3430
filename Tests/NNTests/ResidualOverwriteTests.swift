import XCTest
@testable import Kernels
@testable import NN
@testable import Tensor

/// An inference block with an identity shortcut writes its output over an input only it
/// holds (`FusedInference.residual(_:_:overwriting:)`): the same bits as a new output, and
/// never over a tensor anyone else can see.
final class ResidualOverwriteTests: XCTestCase {
    override func tearDown() { FusedInference.overwritesInput = true }

    /// ResNet-20 in evaluation mode, 32×32, 16×16, 14×14 and 13×13 inputs (planes of whole
    /// and of partial Winograd tiles), batch 1 to 16, 1 and 2 threads: bit-equal outputs
    /// either way, blocks overwrote their inputs, the caller's input untouched. (Partial
    /// tiles once stored their raw values before the output pass read the residual there: a
    /// Fashion-MNIST ResNet-20 at 14×14 fell from 79.6 to 61.6 % top-1 in
    /// Notebooks/compare.lua's replay.)
    func testOverwritingGivesTheSameBitsAndSparesTheCallersInput() throws {
        Random.manualSeed(3)
        let net = try Zoo.resnetCifar(depth: 20)
        try randomizeBatchNorms(net)
        net.eval()
        let threads = Parallel.threads
        defer { Parallel.threads = threads }
        for (n, hw) in [(3, 32), (1, 32), (2, 13), (16, 14), (16, 13), (16, 16), (8, 32)] {
            let x = try Tensor.randn([n, 3, hw, hw]), xBits = x.toFloats()
            for t in [1, 2] {
                Parallel.threads = t
                FusedInference.overwritesInput = false
                let plain = try GradMode.withoutGrad { try net.forward(x) }.toFloats()
                FusedInference.overwritesInput = true
                let before = FusedInference.overwrittenInputs
                let over = try GradMode.withoutGrad { try net.forward(x) }.toFloats()
                XCTAssertTrue(over == plain, "batch \(n), \(hw)², \(t) threads, \(FusedInference.overwrittenInputs - before) overwritten")
                XCTAssertTrue(x.toFloats() == xBits, "the caller's input is untouched")
                // layer1.1 and layer1.2 follow a block in their Sequential: they overwrite where their convolutions run by Winograd
                let g = try ConvGeometry(batch: n, inChannels: 16, height: hw, width: hw, outChannels: 16, kernel: (3, 3),
                                         padding: (1, 1))
                if Conv2dKernel.forwardPath(g) == .winograd {
                    XCTAssertGreaterThanOrEqual(FusedInference.overwrittenInputs - before, 2, "batch \(n), \(hw)², \(t) threads")
                } else {
                    XCTAssertNotEqual(hw, 32, "batch \(n): 16 channels at 32×32 run by Winograd")
                }
            }
        }
    }

    /// A block handed an input someone else still holds, or a view of part of a storage,
    /// keeps it; with a forward hook or an observation nothing is overwritten, and a map an
    /// observation keeps is the block's output of the moment.
    func testAnInputHeldElsewhereIsKept() throws {
        Random.manualSeed(4)
        let net = try Zoo.resnetCifar(depth: 8)
        try randomizeBatchNorms(net)
        net.eval()
        let block = try XCTUnwrap(net.module(at: "layer1.0") as? Residual)
        let h = try Tensor.randn([2, 16, 32, 32]), bits = h.toFloats()
        let before = FusedInference.overwrittenInputs
        let y = try GradMode.withoutGrad { try block.forward(consuming: h) }
        XCTAssertTrue(h.toFloats() == bits, "held by the caller: kept")
        let big = try Tensor.randn([4, 16, 32, 32])
        _ = try GradMode.withoutGrad { try block.forward(consuming: try big.narrow(0, 0, 2)) }
        XCTAssertEqual(FusedInference.overwrittenInputs, before, "a view of part of a storage is not overwritten")
        XCTAssertTrue(try GradMode.withoutGrad { try block.forward(consuming: try h.clone()) }.toFloats() == y.toFloats(),
                      "an input nobody else holds: the same output")
        XCTAssertEqual(FusedInference.overwrittenInputs, before + 1)

        // an observation keeping layer1.0's output while layer1.1 (identity shortcut) runs
        let net20 = try Zoo.resnetCifar(depth: 20)
        try randomizeBatchNorms(net20)
        net20.eval()
        let x = try Tensor.randn([2, 3, 32, 32])
        func observed() throws -> [Float] {
            var kept: Tensor?
            _ = try Tracer.observe({ path, _, _, o in if path == "layer1.0" { kept = o } }, fusingExcept: ["layer1.0"]) {
                try GradMode.withoutGrad { try net20.forward(x) }
            }
            return try XCTUnwrap(kept).toFloats()
        }
        FusedInference.overwritesInput = false
        let reference = try observed()
        FusedInference.overwritesInput = true
        let start = FusedInference.overwrittenInputs
        XCTAssertTrue(try observed() == reference, "the kept map is layer1.0's output")
        XCTAssertEqual(FusedInference.overwrittenInputs, start, "nothing is overwritten under an observation")
        // with a forward hook nothing fuses, so nothing is overwritten either
        let hook = ForwardHooks.add(net20) { _, _, _ in nil }
        defer { _ = ForwardHooks.remove(hook) }
        _ = try GradMode.withoutGrad { try net20.forward(x) }
        XCTAssertEqual(FusedInference.overwrittenInputs, start)
    }

    /// The output may be the residual itself only on a path whose output pass reads each
    /// residual value before it writes there (Winograd, on planes of whole tiles and of tiles
    /// clipped at the edges: 32×32, 14×14, 13×13, 6×6, with and without the output pass's
    /// bias, scale and ReLU); elsewhere that is an error.
    func testOnlyWinogradMayWriteOverItsResidual() throws {
        Random.manualSeed(5)
        let x = try Tensor.randn([2, 8, 6, 6])
        let pointwise = try ConvPlan(input: x, weight: try Tensor.randn([8, 8, 1, 1]))
        XCTAssertFalse(Conv2dKernel.outputMayOverwriteResidual(pointwise.geometry))
        let r = try Tensor.randn(pointwise.outputShape)
        XCTAssertThrowsError(try pointwise.forward(scale: nil, shift: nil, residual: r, relu: true, into: r)) { e in
            XCTAssertTrue("\(e)".contains("shares memory"), "\(e)")
        }
        for (n, hw) in [(2, 32), (16, 14), (16, 13), (3, 6)] {
            let wino = try ConvPlan(input: try Tensor.randn([n, 16, hw, hw]), weight: try Tensor.randn([16, 16, 3, 3]),
                                    padding: (1, 1))
            guard Conv2dKernel.outputMayOverwriteResidual(wino.geometry) else {
                XCTAssertNotEqual(Conv2dKernel.forwardPath(wino.geometry), .winograd, "\(hw)²")
                continue
            }
            let scale = (0..<16).map { 0.5 + Float($0) / 16 }, shift = (0..<16).map { Float($0) / 8 - 1 }
            for (a, t, relu) in [(nil, nil, true), (scale, shift, true), (scale, shift, false)] as [([Float]?, [Float]?, Bool)] {
                let res = try Tensor.randn(wino.outputShape)
                let want = try wino.forward(scale: a, shift: t, residual: res, relu: relu).toFloats()
                XCTAssertTrue(try wino.forward(scale: a, shift: t, residual: res, relu: relu, into: res).toFloats() == want,
                              "\(hw)², scale \(a != nil), relu \(relu)")
                XCTAssertTrue(res.toFloats() == want, "\(hw)²: written over the residual")
            }
        }
    }
}
