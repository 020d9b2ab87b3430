import XCTest
@testable import Kernels
@testable import NN
@testable import Tensor

/// Inference fusion (conv + BN + ReLU + residual add in the conv's output pass) against
/// the layer-by-layer forward: the kernels' output pass on every conv path, random nets
/// with odd channel counts, ResNets with option-A and option-B shortcuts, batch 1, and
/// that nothing goes stale when weights, statistics or modes change.
final class FusedInferenceTests: XCTestCase {
    override func tearDown() { FusedInference.enabled = true }

    func maxRelDiff(_ a: Tensor, _ b: Tensor) -> Float {
        XCTAssertEqual(a.shape, b.shape)
        let x = a.toFloats(), y = b.toFloats()
        let scale = max(y.map(abs).max() ?? 0, 1e-6)
        return zip(x, y).map { abs($0 - $1) }.max().map { $0 / scale } ?? 0
    }

    // MARK: the kernels' output pass

    /// (batch, cin, hw, cout, stride, groups): im2col one image per GEMM, several images
    /// per GEMM (small planes), the tap path (≥ 64 channels, ≤ 64 positions), stride 2,
    /// groups, depthwise, 1×1; odd channel counts.
    static let shapes: [(Int, Int, Int, Int, Int, Int, Int)] = [
        (2, 16, 32, 11, 1, 1, 3), (1, 8, 32, 16, 1, 1, 3), (3, 32, 16, 23, 1, 1, 3), (2, 64, 8, 45, 1, 1, 3),
        (1, 64, 8, 45, 1, 1, 3), (5, 3, 4, 7, 1, 1, 3), (3, 23, 9, 11, 2, 1, 3), (2, 12, 7, 6, 1, 3, 3),
        (2, 6, 7, 12, 1, 6, 3), (3, 11, 5, 23, 1, 1, 1), (1, 45, 3, 45, 2, 1, 3),
    ]

    func testOutputPassMatchesSeparateSteps() throws {
        Random.manualSeed(11)
        for (n, cin, hw, cout, stride, groups, k) in Self.shapes {
            let x = try Tensor.randn([n, cin, hw, hw]), w = try Tensor.randn([cout, cin / groups, k, k])
            let bias = cin % 2 == 1 ? try Tensor.randn([cout]) : nil
            let plan = try ConvPlan(input: x, weight: w, bias: bias, stride: (stride, stride), padding: (k / 2, k / 2), groups: groups)
            let plain = try plan.forward().toFloats()
            let shape = plan.outputShape, p = shape[2] * shape[3]
            let scale = try Tensor.randn([cout]).toFloats(), shift = try Tensor.randn([cout]).toFloats()
            let res = try Tensor.randn(shape)
            for (useScale, useRes, relu) in [(true, true, true), (true, false, true), (false, false, true), (false, true, false), (true, false, false)] {
                let y = try plan.forward(scale: useScale ? scale : nil, shift: shift, residual: useRes ? res : nil, relu: relu)
                let r = res.toFloats()
                var want = [Float](repeating: 0, count: plain.count)
                for i in 0..<plain.count {
                    let c = (i / p) % cout
                    var v = plain[i] * (useScale ? scale[c] : 1) + shift[c]
                    if useRes { v += r[i] }
                    want[i] = relu ? max(v, 0) : v
                }
                // the same GEMMs, then the separate layers' arithmetic in their order: bit-equal
                XCTAssertEqual(y.toFloats(), want,
                               "n\(n) \(cin)→\(cout) \(hw)² s\(stride) g\(groups) k\(k) bias \(bias != nil) scale \(useScale) res \(useRes) relu \(relu)")
            }
        }
    }

    /// An upper bound after the ReLU (ReLU6's 6; 0.5 here, so that randn values reach it) on
    /// every path: applied as the pass writes (im2col, taps, depthwise) or by a clamp after
    /// the kernel (Winograd, direct, oneDNN): the separate steps' values either way.
    func testOutputPassUpperBound() throws {
        Random.manualSeed(12)
        for (n, cin, hw, cout, stride, groups, k) in Self.shapes {
            let x = try Tensor.randn([n, cin, hw, hw]), w = try Tensor.randn([cout, cin / groups, k, k])
            let plan = try ConvPlan(input: x, weight: w, bias: nil, stride: (stride, stride), padding: (k / 2, k / 2), groups: groups)
            let plain = try plan.forward().toFloats()
            let shape = plan.outputShape, p = shape[2] * shape[3]
            let scale = try Tensor.randn([cout]).toFloats(), shift = try Tensor.randn([cout]).toFloats()
            let y = try plan.forward(scale: scale, shift: shift, residual: nil, relu: true, upper: 0.5).toFloats()
            let want = plain.indices.map { i -> Float in
                let c = (i / p) % cout
                return min(max(plain[i] * scale[c] + shift[c], 0), 0.5)
            }
            XCTAssertEqual(y, want, "n\(n) \(cin)→\(cout) \(hw)² s\(stride) g\(groups) k\(k)")
            XCTAssertTrue(y.contains(0.5) && y.contains(0), "the bound and the ReLU both act")
        }
        var v: [Float] = [-1, 0.25, 0.5, 0.75, .nan, .infinity, -.infinity] + [Float](repeating: 9, count: 17)
        ConvEpilogue.clamp(&v, count: v.count, above: 0.5)
        XCTAssertEqual(Array(v[0..<4]), [-1, 0.25, 0.5, 0.5])
        XCTAssertTrue(v[4].isNaN, "NaN stays NaN")
        XCTAssertEqual(Array(v[5...]), [0.5, -.infinity] + [Float](repeating: 0.5, count: 17))
    }

    func testOutputPassRejectsWrongShapes() throws {
        let plan = try ConvPlan(input: try Tensor.randn([1, 3, 5, 5]), weight: try Tensor.randn([4, 3, 3, 3]), padding: (1, 1))
        XCTAssertThrowsError(try plan.forward(scale: [1, 2], shift: nil, residual: nil, relu: false))
        XCTAssertThrowsError(try plan.forward(scale: nil, shift: nil, residual: try Tensor.randn([1, 4, 5, 4]), relu: true))
    }

    /// `into:` receives the output pass's result (the same bits as a new tensor), here a row
    /// block of a larger buffer; a wrong shape, a non-contiguous view or one overlapping an
    /// operand is refused with an error, and the buffer is left as it was.
    func testOutputPassIntoAGivenTensor() throws {
        let x = try Tensor.randn([2, 3, 5, 5])
        let plan = try ConvPlan(input: x, weight: try Tensor.randn([4, 3, 3, 3]), padding: (1, 1))
        let scale: [Float] = [1, -2, 0.5, 3], shift: [Float] = [0.1, 0, -0.2, 1]
        let fresh = try plan.forward(scale: scale, shift: shift, residual: nil, relu: true)
        let buffer = try Tensor(zeros: [5, 4, 5, 5])
        let rows = try buffer.narrow(0, 2, 2)
        let y = try plan.forward(scale: scale, shift: shift, residual: nil, relu: true, into: rows)
        XCTAssertTrue(y.storage === buffer.storage && y.offset == rows.offset, "the given tensor is returned")
        XCTAssertEqual(y.toFloats(), fresh.toFloats())
        XCTAssertEqual(try buffer.narrow(0, 0, 2).toFloats().allSatisfy { $0 == 0 }, true, "rows before untouched")
        XCTAssertEqual(try buffer.narrow(0, 4, 1).toFloats().allSatisfy { $0 == 0 }, true, "rows after untouched")
        func message(_ t: Tensor) -> String {
            do { _ = try plan.forward(scale: nil, shift: nil, residual: nil, relu: false, into: t); return "" } catch { return "\(error)" }
        }
        XCTAssertTrue(message(try buffer.narrow(0, 0, 1)).contains("must be contiguous float32 of shape [2, 4, 5, 5]"))
        XCTAssertTrue(message(try Tensor(zeros: [2, 5, 5, 4]).permute([0, 3, 1, 2])).contains("must be contiguous"))
        // the input itself as the output: refused (a kernel would read what it overwrites)
        let inPlace = try ConvPlan(input: try Tensor.randn([2, 4, 5, 5]), weight: try Tensor.randn([4, 4, 3, 3]), padding: (1, 1))
        XCTAssertThrowsError(try inPlace.forward(scale: nil, shift: nil, residual: nil, relu: false, into: inPlace.input)) { e in
            XCTAssertTrue("\(e)".contains("shares memory with an operand"), "\(e)")
        }
    }

    // MARK: whole networks

    /// Fused and layer-by-layer eval forward of `net` on `x`: bit-equal.
    func compare(_ net: any Module, _ x: Tensor, groups: Int, file: StaticString = #filePath, line: UInt = #line) throws -> Tensor {
        net.eval()
        let before = FusedInference.groupsRun
        let fused = try GradMode.withoutGrad { try net.forward(x) }
        XCTAssertEqual(FusedInference.groupsRun - before, groups, "fused groups", file: file, line: line)
        FusedInference.enabled = false
        defer { FusedInference.enabled = true }
        let plain = try GradMode.withoutGrad { try net.forward(x) }
        XCTAssertEqual(fused.toFloats(), plain.toFloats(), "fused forward differs by \(maxRelDiff(fused, plain))", file: file, line: line)
        return fused
    }

    func oddNet() throws -> Sequential {
        try Sequential([
            Conv2d(3, 11, kernelSize: (3, 3), padding: (1, 1)), BatchNorm2d(11), ReLU(),
            Conv2d(11, 23, kernelSize: (3, 3), stride: (2, 2), padding: (1, 1), bias: false), BatchNorm2d(23),
            Conv2d(23, 45, kernelSize: (3, 3), padding: (1, 1)), ReLU(),
            Conv2d(45, 45, kernelSize: (3, 3), padding: (1, 1), groups: 45), BatchNorm2d(45), ReLU(),
            MaxPool2d(kernelSize: (2, 2), stride: (2, 2)),
            Conv2d(45, 64, kernelSize: (3, 3), padding: (1, 1), bias: false), BatchNorm2d(64), ReLU(),
            Conv2d(64, 45, kernelSize: (3, 3), padding: (1, 1)), BatchNorm2d(45),
            Conv2d(45, 7, kernelSize: (1, 1)), ReLU(),
        ])
    }

    func testRandomNetsOddChannels() throws {
        Random.manualSeed(3)
        let net = try oddNet()
        try randomizeBatchNorms(net)
        for n in [1, 3] { _ = try compare(net, try Tensor.randn([n, 3, 17, 17]), groups: 7) }
    }

    /// ResNet-20 with option-A and option-B shortcuts, and with odd inner widths (a pruned
    /// net), at batch 1 and 4.
    func testResNets() throws {
        Random.manualSeed(5)
        for option in [Zoo.ShortcutOption.a, .b] {
            let net = try Zoo.resnetCifar(depth: 20, option: option)
            try randomizeBatchNorms(net)
            for n in [1, 4] { _ = try compare(net, try Tensor.randn([n, 3, 32, 32]), groups: option == .a ? 19 : 21) }
        }
        let pruned = try Zoo.resnetCifar(depth: 20)
        for (i, m) in pruned.namedModules().enumerated() {
            guard let block = m.module as? Residual, let body = block.body as? Sequential,
                  let c1 = body.module(at: "conv1") as? Conv2d, let c2 = body.module(at: "conv2") as? Conv2d else { continue }
            let mid = [5, 11, 23][i % 3]
            try body.replace("conv1", with: try Conv2d(c1.inChannels, mid, kernelSize: (3, 3), stride: c1.stride, padding: (1, 1), bias: false))
            try body.replace("bn1", with: try BatchNorm2d(mid))
            try body.replace("conv2", with: try Conv2d(mid, c2.outChannels, kernelSize: (3, 3), padding: (1, 1), bias: false))
        }
        try randomizeBatchNorms(pruned)
        for n in [1, 2] { _ = try compare(pruned, try Tensor.randn([n, 3, 32, 32]), groups: 19) }
    }

    /// MobileNetV2: every Conv–BN–ReLU6 runs as one convolution whose output pass clamps at 6;
    /// the same values as the layers one by one, and as fusing only Conv–BN.
    func testMobileNetV2FusesReLU6() throws {
        Random.manualSeed(6)
        let net = try Zoo.mobilenetV2(width: 0.5)
        try randomizeBatchNorms(net)
        let x = try Tensor.randn([2, 3, 32, 32])
        let before = FusedInference.relu6Fused
        let fused = try compare(net, x, groups: 52)
        XCTAssertEqual(FusedInference.relu6Fused - before, 35, "every ReLU6 of MobileNetV2 in a convolution's pass")
        FusedInference.fusesReLU6 = false
        defer { FusedInference.fusesReLU6 = true }
        XCTAssertEqual(try GradMode.withoutGrad { try net.forward(x) }.toFloats(), fused.toFloats())
    }

    /// Nothing is cached: after a training step's weight change, new running statistics,
    /// γ edited in place or a layer replaced, the fused forward follows.
    func testFollowsChanges() throws {
        Random.manualSeed(7)
        let net = try Zoo.resnetCifar(depth: 8)
        try randomizeBatchNorms(net)
        let x = try Tensor.randn([2, 3, 16, 16])
        let before = try compare(net, x, groups: 7)
        // a training step in train mode (BN statistics move, weights change)
        net.train()
        let sgd = try SGD(lr: 0.1)
        let out = try net.forward(x)
        _ = try net.backward(try Tensor.randn(out.shape))
        try sgd.step(net.namedParameters().map(\.parameter))
        let afterStep = try compare(net, x, groups: 7)
        XCTAssertGreaterThan(maxRelDiff(afterStep, before), 1e-3)
        // in-place edits of a conv weight and a BN scale in eval mode
        let conv = try XCTUnwrap(net.module(at: "layer1.0.conv2") as? Conv2d)
        conv.weight.value.ptr[0] += 1
        let bn = try XCTUnwrap(net.module(at: "layer1.0.bn2") as? BatchNorm2d)
        bn.weight?.value.ptr[0] = -3
        bn.runningVar.ptr[1] = 9
        let afterEdit = try compare(net, x, groups: 7)
        XCTAssertGreaterThan(maxRelDiff(afterEdit, afterStep), 1e-4)
        // surgery: a block's inner width changed
        let body = try XCTUnwrap(net.module(at: "layer2.0") as? Residual).body as! Sequential
        try body.replace("conv1", with: try Conv2d(16, 5, kernelSize: (3, 3), stride: (2, 2), padding: (1, 1), bias: false))
        try body.replace("bn1", with: try BatchNorm2d(5))
        try body.replace("conv2", with: try Conv2d(5, 32, kernelSize: (3, 3), padding: (1, 1), bias: false))
        try randomizeBatchNorms(net)
        _ = try compare(net, x, groups: 7)
    }

    /// Train mode (batch statistics), gradients enabled, forward hooks and traces run
    /// layer by layer: the skipped outputs are observable there.
    func testNotFusedWhenObserved() throws {
        Random.manualSeed(9)
        let net = try oddNet()
        try randomizeBatchNorms(net)
        let x = try Tensor.randn([2, 3, 9, 9])
        // training mode without gradients: batch statistics, same as the reference
        net.train()
        let a = try GradMode.withoutGrad { try net.forward(x) }
        FusedInference.enabled = false
        let b = try GradMode.withoutGrad { try net.forward(x) }
        FusedInference.enabled = true
        XCTAssertEqual(a.toFloats(), b.toFloats())
        net.eval()
        // a hook on a BN that fusion would skip sees its output
        let bn = try XCTUnwrap(net.module(at: "1"))
        var seen = 0
        let id = ForwardHooks.add(bn) { _, _, _ in seen += 1; return nil }
        defer { _ = ForwardHooks.remove(id) }
        let fusedBefore = FusedInference.groupsRun
        _ = try GradMode.withoutGrad { try net.forward(x) }
        XCTAssertEqual(seen, 1)
        XCTAssertEqual(FusedInference.groupsRun, fusedBefore)
        // with gradients on, backward works after an eval forward (caches filled)
        _ = ForwardHooks.remove(id)
        let y = try net.forward(x)
        XCTAssertNoThrow(try net.backward(try Tensor.randn(y.shape)))
        // after a fused forward, backward fails as after any forward without gradients
        _ = try GradMode.withoutGrad { try net.forward(x) }
        XCTAssertThrowsError(try net.backward(try Tensor.randn(y.shape)))
    }
}
