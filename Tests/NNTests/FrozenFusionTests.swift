import XCTest
@testable import Kernels
@testable import NN
@testable import Tensor

/// Gradient passes through frozen evaluation-mode layers, fused (`FusedInference`:
/// `FrozenRun`) against layer by layer: the maps and gradients an observer needs, the
/// input gradient, on ResNets with option-A and option-B shortcuts and a plain
/// conv–BN–ReLU stack; nothing fuses where a parameter wants its gradient.
final class FrozenFusionTests: XCTestCase {
    override func tearDown() {
        FusedInference.fusesFrozen = true
        FusedInference.gatesInConvolution = true
    }

    struct Pass {
        var maps: [String: [Float]] = [:], grads: [String: [Float]] = [:]
        var dx: [Float] = [], groups = 0
    }

    /// One forward and backward observing `needed` (maps and gradients), fused or not.
    func pass(_ net: any Module, _ x: Tensor, _ dlogits: Tensor, needed: Set<String>, fused: Bool) throws -> Pass {
        FusedInference.fusesFrozen = fused
        defer { FusedInference.fusesFrozen = true }
        var p = Pass()
        let before = FusedInference.groupsRun
        try Tracer.observeGradients(forward: { path, _, _, out in
            if needed.contains(path) { p.maps[path] = out.toFloats() }
        }, backward: { path, _, g in
            if needed.contains(path) { p.grads[path] = g.toFloats() }
        }, fusingExcept: needed) {
            _ = try net.forward(x)
            p.dx = try net.backward(dlogits).toFloats()
        }
        p.groups = FusedInference.groupsRun - before
        return p
    }

    /// A CIFAR ResNet of `depth` in evaluation mode with random BatchNorm statistics and no
    /// parameter wanting a gradient, 4 random 32×32 images and a random logits gradient.
    func frozenResNet(seed: UInt64, depth: Int) throws -> (Sequential, Tensor, Tensor) {
        Random.manualSeed(seed)
        let net = try Zoo.resnetCifar(depth: depth)
        try randomizeBatchNorms(net)
        net.eval()
        for p in net.namedParameters().map(\.parameter) { p.requiresGrad = false }
        return (net, try Tensor.randn([4, 3, 32, 32]), try Tensor.randn([4, 10]))
    }

    func assertClose(_ a: [Float]?, _ b: [Float]?, _ what: String, tol: Float = 1e-4) {
        guard let a, let b else { return XCTFail("\(what): not reported") }
        XCTAssertEqual(a.count, b.count, what)
        let top = max(b.map(abs).max() ?? 0, 1e-6)
        XCTAssertGreaterThan(top, 1e-4, "\(what): zeros prove nothing")
        XCTAssertLessThan((zip(a, b).map { abs($0 - $1) }.max() ?? 0) / top, tol, what)
    }

    func testFrozenResNetGradientsMatchTheLayerByLayerPass() throws {
        for option in [Zoo.ShortcutOption.a, .b] {
            Random.manualSeed(31)
            let net = try Zoo.resnetCifar(depth: 14, option: option)
            try randomizeBatchNorms(net)
            net.eval()
            for p in net.namedParameters().map(\.parameter) { p.requiresGrad = false }
            let x = try Tensor.randn([3, 3, 16, 16]), dlogits = try Tensor.randn([3, 10])
            let needed: Set<String> = ["layer1.0.relu1", "layer1.1.relu1", "layer2.0.relu1", "layer3.1.relu1", "layer2.1.relu2"]
            let plain = try pass(net, x, dlogits, needed: needed, fused: false)
            let fused = try pass(net, x, dlogits, needed: needed, fused: true)
            XCTAssertEqual(plain.groups, 0, "the reference runs layer by layer (\(option))")
            // stem 1 + 2 per block (+ option B's two conv–BN shortcuts); layer2.1's closing ReLU
            // is needed, so that block runs as is, its body's two groups still fused
            XCTAssertEqual(fused.groups, 1 + 2 * 6 + (option == .b ? 2 : 0), "fused groups (\(option))")
            for path in needed {
                assertClose(fused.maps[path], plain.maps[path], "map \(path) (\(option))", tol: 1e-6)
                assertClose(fused.grads[path], plain.grads[path], "gradient at \(path) (\(option))")
            }
            assertClose(fused.dx, plain.dx, "input gradient (\(option))")
            XCTAssertTrue(net.namedParameters().map(\.parameter).allSatisfy { $0.grad == nil }, "no parameter gradients (\(option))")
        }
    }

    /// A frozen group's ReLU mask applied in its convolution's input gradient
    /// (`gatesInConvolution`) gives the same bits as `ReLU.backward` run first, at the
    /// observed gradients and the input, on 1 and 2 threads (Winograd planes and 8×8 ones).
    func testReLUMaskInTheConvolutionIsBitEqual() throws {
        let threadsBefore = Parallel.threads
        defer { Parallel.threads = threadsBefore }
        let (net, x, dlogits) = try frozenResNet(seed: 34, depth: 14)
        let needed: Set<String> = ["layer1.0.relu1", "layer2.1.relu1", "layer3.0.relu1"]
        for threads in [1, 2] {
            Parallel.threads = threads
            FusedInference.gatesInConvolution = false
            let apart = try pass(net, x, dlogits, needed: needed, fused: true)
            FusedInference.gatesInConvolution = true
            let inConv = try pass(net, x, dlogits, needed: needed, fused: true)
            XCTAssertEqual(inConv.groups, apart.groups)
            for path in needed {
                XCTAssertEqual(inConv.grads[path]?.map(\.bitPattern), apart.grads[path]?.map(\.bitPattern), "\(path), \(threads) threads")
            }
            XCTAssertEqual(inConv.dx.map(\.bitPattern), apart.dx.map(\.bitPattern), "input gradient, \(threads) threads")
            XCTAssertGreaterThan(inConv.dx.map(abs).max() ?? 0, 0, "a zero input gradient proves nothing")
        }
    }

    /// A block's closing ReLU left to the next block's first convolution (`GateBehindReLU`)
    /// in a Taylor-style pass gives the same bits as its own backward, at the observed
    /// gradients and the input, on 1 and 2 threads; a needed closing ReLU still runs
    /// (layer2.1's, reported with the gradient of its output), the others are skipped.
    func testClosingReLULeftToTheNextBlockIsBitEqual() throws {
        let (threadsBefore, enabledBefore) = (Parallel.threads, GateBehindReLU.enabled)
        defer { (Parallel.threads, GateBehindReLU.enabled) = (threadsBefore, enabledBefore) }
        let (net, x, dlogits) = try frozenResNet(seed: 36, depth: 14)
        let needed: Set<String> = ["layer1.0.relu1", "layer2.1.relu1", "layer2.1.relu2", "layer3.0.relu1"]
        for threads in [1, 2] {
            Parallel.threads = threads
            GateBehindReLU.enabled = false
            var skipped = GateBehindReLU.skipped
            let apart = try pass(net, x, dlogits, needed: needed, fused: true)
            XCTAssertEqual(GateBehindReLU.skipped, skipped)
            GateBehindReLU.enabled = true
            skipped = GateBehindReLU.skipped
            let behind = try pass(net, x, dlogits, needed: needed, fused: true)
            // 6 blocks: the last one's ReLU has no block after it, layer2.1's is needed
            XCTAssertEqual(GateBehindReLU.skipped - skipped, 4, "\(threads) threads")
            for path in needed {
                XCTAssertEqual(behind.grads[path]?.map(\.bitPattern), apart.grads[path]?.map(\.bitPattern), "\(path), \(threads) threads")
            }
            XCTAssertEqual(behind.dx.map(\.bitPattern), apart.dx.map(\.bitPattern), "input gradient, \(threads) threads")
            XCTAssertGreaterThan(behind.dx.map(abs).max() ?? 0, 0, "a zero input gradient proves nothing")
        }
    }

    /// A block writing its output over its input in a Taylor-style pass, the previous block's
    /// closing ReLU keeping only its mask (`overwritesKeptInputs`), gives the same bits as
    /// keeping the output, at the observed maps and gradients and the input, on 1 and 2
    /// threads. It happens at the second block of each stage (the first has nothing before it
    /// in its stage), and not where the observer needs the previous block's output.
    func testKeptInputsWrittenOverAreBitEqual() throws {
        let (threadsBefore, overBefore) = (Parallel.threads, FusedInference.overwritesKeptInputs)
        defer { (Parallel.threads, FusedInference.overwritesKeptInputs) = (threadsBefore, overBefore) }
        let (net, x, dlogits) = try frozenResNet(seed: 38, depth: 20)   // 3 blocks a stage
        // layer2.0's closing ReLU is needed: layer2.1 must not write over its output
        let needed: Set<String> = ["layer1.0.relu1", "layer1.2.relu1", "layer2.0.relu2", "layer2.2.relu1", "layer3.1.relu1"]
        for threads in [1, 2] {
            Parallel.threads = threads
            FusedInference.overwritesKeptInputs = false
            var over = FusedInference.overwrittenKeptInputs
            let kept = try pass(net, x, dlogits, needed: needed, fused: true)
            XCTAssertEqual(FusedInference.overwrittenKeptInputs, over)
            FusedInference.overwritesKeptInputs = true
            over = FusedInference.overwrittenKeptInputs
            let written = try pass(net, x, dlogits, needed: needed, fused: true)
            // blocks 1 and 2 of each stage, but not layer2.1 (after a needed closing ReLU), where
            // the closing convolution runs on Winograd at this batch and thread count
            let candidates = [("layer1.1", 32), ("layer1.2", 32), ("layer2.2", 16), ("layer3.1", 8), ("layer3.2", 8)]
            let expected = try candidates.filter { path, side in
                let conv = try XCTUnwrap(net.module(at: path + ".conv2") as? Conv2d)
                return Conv2dKernel.outputMayOverwriteResidual(try conv.plan(try Tensor(zeros: [4, conv.inChannels, side, side])).geometry)
            }.count
            XCTAssertGreaterThanOrEqual(expected, 2, "stage 1's blocks run on Winograd")
            XCTAssertEqual(FusedInference.overwrittenKeptInputs - over, expected, "\(threads) threads")
            for path in needed {
                XCTAssertEqual(written.maps[path]?.map(\.bitPattern), kept.maps[path]?.map(\.bitPattern), "map \(path), \(threads) threads")
                XCTAssertEqual(written.grads[path]?.map(\.bitPattern), kept.grads[path]?.map(\.bitPattern), "\(path), \(threads) threads")
            }
            XCTAssertEqual(written.dx.map(\.bitPattern), kept.dx.map(\.bitPattern), "input gradient, \(threads) threads")
            XCTAssertGreaterThan(written.dx.map(abs).max() ?? 0, 0, "a zero input gradient proves nothing")
        }
    }

    /// A ReLU's mask as bits gives back 1 where the output was positive and 0 elsewhere
    /// (zeros, −0, negatives, NaN), at sizes that end inside a 16-float word, on every path.
    func testReLUMaskRoundTrip() throws {
        let avxBefore = CPU.useAVX512
        defer { CPU.useAVX512 = avxBefore }
        for avx in [false, avxBefore] {
            CPU.useAVX512 = avx
            for n in [1, 15, 16, 17, 100, 4096 * 16 + 5] {
                var v = (0..<n).map { Float($0 % 7) - 3 }
                v[0] = -0.0
                if n > 5 { v[5] = .nan; v[4] = .infinity }
                let t = try Tensor(shape: [n], values: v)
                let back = try ReLUMask(t).tensor().toFloats()
                XCTAssertEqual(back, v.map { $0 > 0 ? 1 : 0 }, "n = \(n), AVX-512 \(avx)")
            }
        }
        let y = try ReLU().forward(try Tensor.randn([2, 3, 5, 7]))
        XCTAssertEqual(try ReLUMask(y).tensor().shape, [2, 3, 5, 7])
    }

    /// Odd channel counts, stride 2, a conv with a bias and no BatchNorm, a ReLU-less group.
    func testPlainStackMatches() throws {
        Random.manualSeed(32)
        let net = try Sequential(named: [
            ("c1", try Conv2d(3, 11, kernelSize: (3, 3), padding: (1, 1), bias: false)), ("b1", try BatchNorm2d(11)), ("r1", ReLU()),
            ("c2", try Conv2d(11, 23, kernelSize: (3, 3), stride: (2, 2), padding: (1, 1), bias: false)), ("b2", try BatchNorm2d(23)), ("r2", ReLU()),
            ("c3", try Conv2d(23, 16, kernelSize: (3, 3), padding: (1, 1), bias: true)), ("r3", ReLU()),
            ("c4", try Conv2d(16, 16, kernelSize: (3, 3), padding: (1, 1), bias: false)), ("b4", try BatchNorm2d(16)),
        ])
        try randomizeBatchNorms(net)
        net.eval()
        for p in net.namedParameters().map(\.parameter) { p.requiresGrad = false }
        let x = try Tensor.randn([2, 3, 9, 9]), dy = try Tensor.randn([2, 16, 5, 5])
        let plain = try pass(net, x, dy, needed: ["r2"], fused: false)
        let fused = try pass(net, x, dy, needed: ["r2"], fused: true)
        XCTAssertEqual(fused.groups, 4)
        assertClose(fused.grads["r2"], plain.grads["r2"], "gradient at r2")
        assertClose(fused.dx, plain.dx, "input gradient")
    }

    /// A parameter that wants its gradient keeps its group layer by layer (and gets it).
    func testTrainableParametersAreNotFused() throws {
        Random.manualSeed(33)
        let net = try Zoo.resnetCifar(depth: 8)
        try randomizeBatchNorms(net)
        net.eval()
        for p in net.namedParameters().map(\.parameter) { p.requiresGrad = false }
        let conv = try XCTUnwrap(net.namedModules().first { $0.name == "layer1.0.conv2" }?.module as? Conv2d)
        conv.weight.requiresGrad = true
        let x = try Tensor.randn([2, 3, 8, 8]), dlogits = try Tensor.randn([2, 10])
        let before = FusedInference.groupsRun
        _ = try net.forward(x)
        _ = try net.backward(dlogits)
        // stem + layer2.0's and layer3.0's two groups + layer1.0's conv1 group (its closing one is trainable)
        XCTAssertEqual(FusedInference.groupsRun - before, 6)
        let g = try XCTUnwrap(conv.weight.grad).toFloats()
        XCTAssertGreaterThan(g.map(abs).max() ?? 0, 0)
        // and the same gradient as with no fusion at all
        conv.weight.grad = nil
        FusedInference.fusesFrozen = false
        _ = try net.forward(x)
        _ = try net.backward(dlogits)
        assertClose(g, try XCTUnwrap(conv.weight.grad).toFloats(), "weight gradient")
    }
}
