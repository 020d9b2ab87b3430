import XCTest
@testable import Kernels
@testable import NN
@testable import Tensor

/// Feature-map capture with inference fusion on (`Tracer.observe(_:fusingExcept:_:)`):
/// every needed path is reported with the values the layer-by-layer forward gives, groups
/// that would hide a needed path run unfused, the rest fuse. And the evaluation-mode
/// BatchNorm backward without parameter gradients (the Taylor criterion's path).
final class FusedCaptureTests: XCTestCase {
    override func tearDown() { FusedInference.enabled = true }

    /// path → output of every report of one eval forward without gradients.
    func capture(_ net: any Module, _ x: Tensor, fusingExcept needed: Set<String>?) throws -> ([String: [Float]], Tensor) {
        var seen: [String: [Float]] = [:]
        let hook: (String, any Module, Tensor, Tensor) -> Void = { path, _, _, out in seen[path] = out.toFloats() }
        let y = try GradMode.withoutGrad {
            try needed.map { try Tracer.observe(hook, fusingExcept: $0) { try net.forward(x) } }
                ?? Tracer.observe(hook) { try net.forward(x) }
        }
        return (seen, y)
    }

    func testNeededPathsMatchTheLayerByLayerForward() throws {
        Random.manualSeed(21)
        for option in [Zoo.ShortcutOption.a, .b] {
            let net = try Zoo.resnetCifar(depth: 8, option: option)
            try randomizeBatchNorms(net)
            net.eval()
            let x = try Tensor.randn([3, 3, 16, 16])
            let (plain, plainOut) = try capture(net, x, fusingExcept: nil)
            // the inner maps of every block (ends of fused runs), a BN inside a run, a block
            // output and a closing ReLU (the residual epilogue must not fuse there)
            let needed: Set<String> = ["layer1.0.relu1", "layer2.0.relu1", "layer3.0.relu1", "layer2.0.bn1",
                                       "layer1.0", "layer3.0.relu2"]
            let before = FusedInference.groupsRun
            let (fused, fusedOut) = try capture(net, x, fusingExcept: needed)
            let ran = FusedInference.groupsRun - before
            // stem 1; layer1.0 2; layer2.0 1 (its conv1 run hides the needed bn1: only the closing
            // conv2 + bn2 + add + ReLU fuse); layer3.0 2 (its closing ReLU is needed: the block runs
            // as is, its body's conv1 + bn1 + relu1 and conv2 + bn2 still fuse); option B adds
            // the 1×1 conv + BN shortcuts of layer2.0 and layer3.0
            XCTAssertEqual(ran, option == .a ? 6 : 8, "fused groups (\(option))")
            for p in needed {
                let f = try XCTUnwrap(fused[p], "\(p) not reported (\(option))")
                XCTAssertEqual(f, plain[p], "\(p) (\(option))")
            }
            XCTAssertEqual(fusedOut.toFloats(), plainOut.toFloats())
            // hidden layers are not reported
            XCTAssertNil(fused["layer1.0.conv1"])
            XCTAssertNil(fused["layer1.0.bn2"])
            // nothing needed: everything fuses as without an observer
            let all = FusedInference.groupsRun
            _ = try capture(net, x, fusingExcept: [])
            XCTAssertEqual(FusedInference.groupsRun - all, option == .a ? 7 : 9)
            // fusion off: the observation still works, layer by layer
            FusedInference.enabled = false
            let (off, _) = try capture(net, x, fusingExcept: needed)
            FusedInference.enabled = true
            for p in needed { XCTAssertEqual(off[p], plain[p], "\(p) unfused (\(option))") }
        }
    }

    func testGradientModeAndHooksStayUnfused() throws {
        Random.manualSeed(22)
        let net = try Zoo.resnetCifar(depth: 8)
        net.eval()
        let x = try Tensor.randn([2, 3, 8, 8])
        let before = FusedInference.groupsRun
        var reports = 0
        _ = try Tracer.observe({ _, _, _, _ in reports += 1 }, fusingExcept: ["layer1.0.relu1"]) { try net.forward(x) }
        XCTAssertEqual(FusedInference.groupsRun, before, "gradients on: nothing fuses")
        XCTAssertGreaterThan(reports, 20, "every named module reported")
    }

    /// Evaluation-mode BatchNorm: dx = γ·invstd·dy whether or not γ, β want gradients
    /// (the sums are skipped when they do not), and γ, β still get theirs when they do.
    func testEvalBatchNormBackward() throws {
        Random.manualSeed(23)
        let bn = try BatchNorm2d(5)
        bn.runningMean = try Tensor.randn([5])
        bn.runningVar = try Tensor.rand([5]).add(try Tensor.full([5], 0.3))
        bn.weight?.value = try Tensor.randn([5])
        bn.eval()
        let x = try Tensor.randn([3, 5, 4, 4]), dy = try Tensor.randn([3, 5, 4, 4])
        let g = bn.weight!.value.toFloats(), rv = bn.runningVar.toFloats()
        var want = [Float](repeating: 0, count: dy.numel)
        let d = dy.toFloats()
        for i in 0..<want.count {
            let c = (i / 16) % 5
            want[i] = g[c] * Float(1 / (Double(rv[c]) + bn.eps).squareRoot()) * d[i] + 0
        }
        for frozen in [true, false] {
            bn.weight!.requiresGrad = !frozen; bn.bias!.requiresGrad = !frozen
            bn.zeroGrad()
            _ = try bn.forward(x)
            let dx = try bn.backward(dy)
            XCTAssertEqual(dx.toFloats(), want, "frozen \(frozen)")
            if !frozen {
                // β's gradient: Σ dy per channel
                let gb = try XCTUnwrap(bn.bias!.grad).toFloats()
                for c in 0..<5 {
                    var s = 0.0
                    for n in 0..<3 { for k in 0..<16 { s += Double(d[(n * 5 + c) * 16 + k]) } }
                    XCTAssertEqual(Double(gb[c]), s, accuracy: 1e-4)
                }
            }
        }
        bn.weight!.requiresGrad = true; bn.bias!.requiresGrad = true
    }
}
