import XCTest
@testable import NN
@testable import Tensor

/// ACNet blocks: branch geometry, gradients, fusion in eval mode over strides, paddings
/// and biases, description (spec, counting, printing), and the whole-net conversions.
final class ACConvTests: XCTestCase {
    struct Config {
        var cin = 3, cout = 4, h = 7, w = 6, k = 3, stride = (1, 1), pad = (1, 1), bias = false
    }

    static let configs: [Config] = [
        Config(),                                   // 3x3 "same"
        Config(bias: true),                         // with conv bias
        Config(stride: (2, 2)),                     // stride 2
        Config(stride: (2, 2), bias: true),
        Config(pad: (0, 0)),                        // "valid": the 1x3 / 3x1 inputs are cropped
        Config(stride: (2, 2), pad: (0, 0), bias: true),
        Config(pad: (2, 2)),                        // wider than "same"
        Config(stride: (2, 1), pad: (1, 0)),        // mixed
        Config(cin: 2, cout: 3, h: 9, w: 8, k: 5, stride: (2, 2), pad: (1, 2), bias: true),  // 5x5, crop rows only
    ]

    func block(_ c: Config) throws -> ACConv2d {
        try ACConv2d(c.cin, c.cout, kernelSize: c.k, stride: c.stride, padding: c.pad, bias: c.bias)
    }

    /// Random running statistics and affine parameters for the three BNs.
    func randomizeNorms(_ a: ACConv2d, seed: UInt64) {
        for (i, bn) in [a.squareBN, a.verBN, a.horBN].enumerated() {
            let c = bn.numFeatures, s = seed + UInt64(10 * i)
            bn.runningMean = randn([c], seed: s, scale: 0.3)
            bn.runningVar = try! randn([c], seed: s + 1, scale: 0.5).map { 0.5 + abs($0) }
            bn.weight?.value = try! randn([c], seed: s + 2, scale: 0.5).map { 1 + $0 }
            bn.bias?.value = randn([c], seed: s + 3, scale: 0.3)
        }
    }

    /// Each thin branch equals a k×k conv (same stride and padding) whose kernel is zero
    /// except its centre row (1×k) or column (k×1): the branches sit where fusion puts them.
    func testBranchesSitOnTheCentreRowAndColumn() throws {
        for c in Self.configs {
            let a = try block(c)
            let x = randn([2, c.cin, c.h, c.w], seed: 5)
            let h = c.k / 2
            for (thin, isRow) in [(a.hor, true), (a.ver, false)] {
                let wide = try Conv2d(c.cin, c.cout, kernelSize: (c.k, c.k), stride: c.stride, padding: c.pad, bias: false)
                let wv = try Tensor(zeros: [c.cout, c.cin, c.k, c.k])
                let tw = thin.weight.value.toFloats()
                for o in 0..<c.cout { for i in 0..<c.cin { for t in 0..<c.k {
                    let (p, q) = isRow ? (h, t) : (t, h)
                    wv.ptr[((o * c.cin + i) * c.k + p) * c.k + q] = tw[(o * c.cin + i) * c.k + t]
                } } }
                wide.weight.value = wv
                let input = isRow ? try a.cropped(x, dim: 2, by: a.crop.rows) : try a.cropped(x, dim: 3, by: a.crop.cols)
                var y = try thin.forward(input)
                if let b = thin.bias { y = try y.sub(try b.value.view([1, c.cout, 1, 1])) }
                XCTAssertLessThan(maxDiff(y, try wide.forward(x)), 1e-4, "\(c) \(isRow ? "1xk" : "kx1")")
            }
        }
    }

    func testGradients() throws {
        for c in [Self.configs[1], Self.configs[3], Self.configs[5], Self.configs[8]] {
            let a = try block(c)
            try GradCheck().check(a, distinct([2, c.cin, c.h, c.w], seed: 3))
        }
    }

    /// The fused conv equals the block in eval mode, to float tolerance.
    func testFusionIsExactInEvalMode() throws {
        for (n, c) in Self.configs.enumerated() {
            let a = try block(c)
            randomizeNorms(a, seed: UInt64(100 + n))
            a.eval()
            let x = randn([3, c.cin, c.h, c.w], seed: UInt64(n))
            let y = try a.forward(x)
            let f = try a.fused()
            XCTAssertEqual(f.kernelSize.0, c.k)
            XCTAssertNotNil(f.bias)
            let yf = try f.forward(x)
            XCTAssertEqual(yf.shape, y.shape)
            let scale = max(1, y.toFloats().map(abs).max() ?? 1)
            XCTAssertLessThan(maxDiff(y, yf), 2e-5 * scale, "\(c)")
        }
    }

    func testFusionRefusesTrainingMode() throws {
        let a = try block(Config())
        XCTAssertThrowsError(try a.fused()) { e in
            XCTAssertTrue("\(e)".contains("training mode"), "\(e)")
        }
    }

    /// One flag for the block: train()/eval() reach the branch BNs.
    func testModesReachTheBranches() throws {
        let a = try block(Config())
        let net = Sequential([a, ReLU()])
        net.eval()
        XCTAssertFalse(a.squareBN.training || a.horBN.training || a.verBN.training || a.square.training)
        net.train()
        XCTAssertTrue(a.squareBN.training && a.horBN.training && a.verBN.training)
        // Training mode uses batch statistics and updates the running ones.
        _ = try a.forward(randn([4, 3, 7, 6], seed: 2))
        XCTAssertNotEqual(a.horBN.runningMean.toFloats(), [Float](repeating: 0, count: 4))
    }

    func testStateDescriptionAndCounting() throws {
        let a = try ACConv2d(3, 8, padding: (1, 1))
        XCTAssertEqual(a.stateDict().map(\.key).prefix(9), [
            "square_conv.weight", "square_bn.weight", "square_bn.bias", "ver_conv.weight", "hor_conv.weight",
            "ver_bn.weight", "ver_bn.bias", "hor_bn.weight", "hor_bn.bias"])
        XCTAssertTrue(a.stateDict().contains { $0.key == "hor_bn.running_var" })
        XCTAssertEqual(a.description, "ACConv2d(3, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))")
        XCTAssertEqual(a.parameterCount, 8 * 3 * (9 + 3 + 3) + 6 * 8)
        let count = try a.count(inputShape: [1, 3, 10, 10])
        XCTAssertEqual(count.macs, 8 * 100 * 3 * 15)
        // The spec rebuilds it with the same state (a stride-2 block with bias).
        let b = try ACConv2d(4, 6, kernelSize: 5, stride: (2, 2), padding: (2, 1), bias: true, momentum: nil)
        randomizeNorms(b, seed: 1)
        let copy = try ModelSpec.decode(try ModelSpec.encode(Sequential([b])))
        try copy.loadStateDict(Sequential([b]).stateDict())
        let x = randn([2, 4, 9, 9], seed: 4)
        b.eval(); copy.eval()
        XCTAssertEqual(try copy.forward(x).toFloats(), try b.forward(x).toFloats())
        let rebuilt = try XCTUnwrap(copy.module(at: "0") as? ACConv2d)
        XCTAssertNil(rebuilt.squareBN.momentum)
        XCTAssertEqual(rebuilt.kernel, 5)
        // Buffers are reached by their prefixed names (state-dict loading, surgery).
        XCTAssertTrue(a.setBuffer("ver_bn.running_mean", try Tensor(zeros: [8])))
        XCTAssertFalse(a.setBuffer("ver_bn.nothing", try Tensor(zeros: [8])))
        XCTAssertFalse(a.setBuffer("running_mean", try Tensor(zeros: [8])))
    }

    func testBadConstruction() {
        XCTAssertThrowsError(try ACConv2d(3, 4, kernelSize: 2))
        XCTAssertThrowsError(try ACConv2d(3, 4, kernelSize: 1))
        XCTAssertThrowsError(try ACConv2d(3, 4, padding: (-1, 0)))
        XCTAssertThrowsError(try ACConv2d(0, 4))
        XCTAssertThrowsError(try ACConv2d(3, 4, stride: (0, 1)))
        // An input smaller than the kernel, or with the wrong channels, is an error.
        let a = try? ACConv2d(3, 4)
        XCTAssertThrowsError(try a?.forward(try Tensor(zeros: [1, 3, 2, 5])))
        XCTAssertThrowsError(try a?.forward(try Tensor(zeros: [1, 2, 5, 5])))
        XCTAssertThrowsError(try a?.forward(try Tensor(zeros: [3, 5, 5])))
    }

    /// acnet keeps the function (γ = 0 on the new branches), fuse(acnet(net)) is a net
    /// of plain convs computing the same, on VGG and ResNet.
    func testAcnetAndFuseOnZooModels() throws {
        for (name, options) in [("vgg11", [String: ZooOption]()), ("resnet20", [:]), ("resnet18", [:])] {
            let net = try Zoo.make(name, options: options)
            let convs = net.namedModules().filter { ($0.module as? Conv2d).map(ACConv2d.canConvert) ?? false }.map(\.name)
            net.eval()
            let x = randn([2, 3, 32, 32], seed: 9)
            let y0 = try net.forward(x)
            let (converted, paths) = try ACNet.convert(net)
            XCTAssertTrue(converted === net)
            XCTAssertEqual(paths, convs, name)
            XCTAssertFalse(paths.isEmpty)
            XCTAssertEqual(net.namedModules().filter { $0.module is ACConv2d }.map(\.name), convs)
            let y1 = try net.forward(x)
            let scale = max(1, y0.toFloats().map(abs).max()!)
            XCTAssertLessThan(maxDiff(y0, y1), 1e-3 * scale, name)
            // New branches get trained: give them weight, then fuse.
            for (_, m) in net.namedModules() { if let a = m as? ACConv2d { randomizeNorms(a, seed: 3) } }
            let y2 = try net.forward(x)
            let (_, fusedPaths) = try ACNet.fuse(net)
            XCTAssertEqual(fusedPaths, convs)
            XCTAssertFalse(net.namedModules().contains { $0.module is ACConv2d })
            let y3 = try net.forward(x)
            XCTAssertLessThan(maxDiff(y2, y3), 1e-4 * max(1, y2.toFloats().map(abs).max()!), name)
        }
    }

    func testFuseIsAllOrNothing() throws {
        let net = Sequential([try ACConv2d(3, 4, padding: (1, 1)), ReLU(), try ACConv2d(4, 4, padding: (1, 1))])
        net.eval()
        (net.module(at: "2") as? ACConv2d)?.train()
        XCTAssertThrowsError(try ACNet.fuse(net)) { e in XCTAssertTrue("\(e)".contains("at 2:"), "\(e)") }
        XCTAssertTrue(net.module(at: "0") is ACConv2d)
        // A bare block is returned fused; a bare conv converted.
        let a = try ACConv2d(3, 4, padding: (1, 1))
        a.eval()
        XCTAssertTrue(try ACNet.fuse(a).net is Conv2d)
        XCTAssertTrue(try ACNet.convert(try Conv2d(3, 4, kernelSize: (3, 3))).net is ACConv2d)
        // Convs acnet leaves alone: 1x1, grouped, dilated, non-square.
        let keep = Sequential([try Conv2d(4, 4, kernelSize: (1, 1)), try Conv2d(4, 4, kernelSize: (3, 3), groups: 2),
                               try Conv2d(4, 4, kernelSize: (3, 3), dilation: (2, 2)), try Conv2d(4, 4, kernelSize: (3, 1))])
        XCTAssertEqual(try ACNet.convert(keep).converted, [])
    }

    func maxDiff(_ a: Tensor, _ b: Tensor) -> Float {
        zip(a.toFloats(), b.toFloats()).map { abs($0 - $1) }.max() ?? .infinity
    }
}
