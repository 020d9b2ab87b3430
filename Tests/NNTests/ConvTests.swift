import XCTest
@testable import Kernels
@testable import NN
@testable import Tensor

/// Conv2d against a direct 7-loop reference (double sums), and gradient checks over
/// strides, padding, dilation, groups, depthwise (with a channel multiplier) and bias.
final class ConvTests: XCTestCase {
    struct Config {
        var n = 2, cin = 3, h = 7, w = 6, cout = 4, k = (3, 3), stride = (1, 1), pad = (1, 1)
        var dilation = (1, 1), groups = 1, bias = true
    }

    static let configs: [Config] = [
        Config(),                                                        // 3x3 same, bias
        Config(stride: (2, 2), bias: false),                             // stride 2
        Config(k: (3, 2), stride: (2, 1), pad: (0, 1)),                  // non-square
        Config(dilation: (2, 2), bias: false),                           // dilation
        Config(cin: 4, cout: 6, groups: 2),                              // groups
        Config(cin: 4, cout: 4, groups: 4),                              // depthwise
        Config(cin: 3, cout: 6, stride: (2, 2), groups: 3),              // depthwise ×2 multiplier, stride
        Config(cin: 5, cout: 3, k: (1, 1), pad: (0, 0), bias: false),    // pointwise
        Config(cin: 4, cout: 2, k: (1, 1), stride: (2, 2), pad: (0, 0)), // strided 1x1 (option B)
        Config(n: 5, cin: 2, h: 3, w: 3, cout: 3),                       // small planes: chunked images
        Config(pad: (2, 2), dilation: (2, 2)),                           // "same" size, dilated
        Config(h: 4, w: 3, k: (5, 5), pad: (2, 2), bias: false),         // "same", taps wider than the plane
        Config(k: (1, 3), pad: (0, 1)),                                  // "same", non-square
        Config(n: 3, h: 5, w: 1),                                        // "same", width-1 planes
        Config(cin: 16, h: 5, w: 5, cout: 4),                            // dx as a transposed conv
        Config(cin: 16, h: 6, w: 6, cout: 3, pad: (0, 0)),               // … of a "valid" conv
        Config(cin: 32, h: 6, w: 5, cout: 8, pad: (2, 2), dilation: (2, 2), groups: 2),  // … grouped, dilated
        Config(cin: 32, h: 4, w: 4, cout: 2, groups: 2),                 // … into a depthwise-shaped conv
    ]

    func layer(_ c: Config) throws -> Conv2d {
        try Conv2d(c.cin, c.cout, kernelSize: c.k, stride: c.stride, padding: c.pad, dilation: c.dilation,
                   groups: c.groups, bias: c.bias)
    }

    /// y[n, o, i, j] = b[o] + Σ_c,p,q w[o, c, p, q] · x[n, g·cg + c, i·s − pad + p·d, j·s − pad + q·d]
    func reference(_ c: Config, _ x: Tensor, _ w: Tensor, _ b: Tensor?) -> (Tensor, [Int]) {
        let oh = (c.h + 2 * c.pad.0 - c.dilation.0 * (c.k.0 - 1) - 1) / c.stride.0 + 1
        let ow = (c.w + 2 * c.pad.1 - c.dilation.1 * (c.k.1 - 1) - 1) / c.stride.1 + 1
        let cg = c.cin / c.groups, og = c.cout / c.groups
        let y = try! Tensor(zeros: [c.n, c.cout, oh, ow])
        for n in 0..<c.n { for o in 0..<c.cout { for i in 0..<oh { for j in 0..<ow {
            var s = Double(b?.ptr[o] ?? 0)
            let g = o / og
            for ci in 0..<cg { for p in 0..<c.k.0 { for q in 0..<c.k.1 {
                let hi = i * c.stride.0 - c.pad.0 + p * c.dilation.0, wi = j * c.stride.1 - c.pad.1 + q * c.dilation.1
                if hi < 0 || hi >= c.h || wi < 0 || wi >= c.w { continue }
                s += Double(w.ptr[((o * cg + ci) * c.k.0 + p) * c.k.1 + q])
                    * Double(x.ptr[((n * c.cin + g * cg + ci) * c.h + hi) * c.w + wi])
            } } }
            y.ptr[((n * c.cout + o) * oh + i) * ow + j] = Float(s)
        } } } }
        return (y, [oh, ow])
    }

    /// Runs `body` once with the default kernels, once with the direct 3×3 kernel for every
    /// config it computes, then (direct off) with the per-tap path enabled for every
    /// stride-1 config (thresholds lowered), with Winograd off, with Winograd for every 3×3
    /// stride-1 config, with the im2col ∂L/∂w GEMM posed the other way, and with oneDNN
    /// on every config it supports.
    func bothPaths(_ body: () throws -> Void) rethrows {
        try body()
        let (c, p) = (Conv2dKernel.tapMinChannels, Conv2dKernel.tapMaxPlane)
        let (wm, we) = (Conv2dKernel.winogradMinChannels, Conv2dKernel.winogradEnabled)
        let (dm, de) = (Conv2dKernel.directMaxChannels, Conv2dKernel.directEnabled)
        let mode = DNNLConv.mode, transB = Conv2dKernel.weightGradientTransposedB
        let over = Conv2dKernel.winogradOverDirect
        defer {
            Conv2dKernel.winogradOverDirect = over
            Conv2dKernel.weightGradientTransposedB = transB
            Conv2dKernel.tapMinChannels = c; Conv2dKernel.tapMaxPlane = p
            Conv2dKernel.winogradMinChannels = wm; Conv2dKernel.winogradEnabled = we
            Conv2dKernel.directMaxChannels = dm; Conv2dKernel.directEnabled = de
            DNNLConv.mode = mode
        }
        Conv2dKernel.winogradOverDirect.toggle()   // the other CPU family's choice between direct and Winograd
        try body()
        Conv2dKernel.winogradOverDirect = false
        Conv2dKernel.directMaxChannels = 1 << 20
        try body()
        Conv2dKernel.winogradOverDirect = over
        Conv2dKernel.directMaxChannels = dm; Conv2dKernel.directEnabled = false
        Conv2dKernel.winogradEnabled = false
        Conv2dKernel.tapMinChannels = 1; Conv2dKernel.tapMaxPlane = 1 << 20
        try body()
        Conv2dKernel.tapMinChannels = c; Conv2dKernel.tapMaxPlane = p
        try body()
        Conv2dKernel.weightGradientTransposedB.toggle()   // the im2col ∂L/∂w GEMM posed the other way
        try body()
        Conv2dKernel.weightGradientTransposedB = transB
        Conv2dKernel.winogradEnabled = true; Conv2dKernel.winogradMinChannels = 1
        try body()
        Conv2dKernel.winogradMinChannels = wm
        DNNLConv.mode = .on
        try body()
    }

    func testForwardMatchesDirectReference() throws { try bothPaths(forwardMatchesDirectReference) }
    func testBackwardMatchesReference() throws { try bothPaths(backwardMatchesReference) }
    func testGradientsFiniteDifference() throws { try bothPaths(gradientsFiniteDifference) }

    func forwardMatchesDirectReference() throws {
        for (i, c) in Self.configs.enumerated() {
            let conv = try layer(c)
            let x = randn([c.n, c.cin, c.h, c.w], seed: UInt64(i))
            let y = try conv.forward(x)
            let (ref, _) = reference(c, x, conv.weight.value, conv.bias?.value)
            XCTAssertEqual(y.shape, ref.shape, "config \(i)")
            for k in 0..<ref.numel {
                XCTAssertEqual(y.ptr[k], ref.ptr[k], accuracy: 1e-4, "config \(i) element \(k)")
            }
        }
    }

    /// dx and dw by scattering every output gradient through every tap (double sums).
    func referenceBackward(_ c: Config, _ x: Tensor, _ w: Tensor, _ dy: Tensor, _ out: [Int]) -> ([Double], [Double]) {
        let (oh, ow) = (out[0], out[1]), cg = c.cin / c.groups, og = c.cout / c.groups
        var dx = [Double](repeating: 0, count: x.numel), dw = [Double](repeating: 0, count: w.numel)
        for n in 0..<c.n { for o in 0..<c.cout { for i in 0..<oh { for j in 0..<ow {
            let g = Double(dy.ptr[((n * c.cout + o) * oh + i) * ow + j]), grp = o / og
            for ci in 0..<cg { for p in 0..<c.k.0 { for q in 0..<c.k.1 {
                let hi = i * c.stride.0 - c.pad.0 + p * c.dilation.0, wi = j * c.stride.1 - c.pad.1 + q * c.dilation.1
                if hi < 0 || hi >= c.h || wi < 0 || wi >= c.w { continue }
                let xi = ((n * c.cin + grp * cg + ci) * c.h + hi) * c.w + wi, wk = ((o * cg + ci) * c.k.0 + p) * c.k.1 + q
                dx[xi] += g * Double(w.ptr[wk])
                dw[wk] += g * Double(x.ptr[xi])
            } } }
        } } } }
        return (dx, dw)
    }

    func backwardMatchesReference() throws {
        for (i, c) in Self.configs.enumerated() {
            let conv = try layer(c)
            let x = randn([c.n, c.cin, c.h, c.w], seed: 200 + UInt64(i))
            let y = try conv.forward(x)
            let dy = randn(y.shape, seed: 300 + UInt64(i))
            let dx = try conv.backward(dy)
            let (rx, rw) = referenceBackward(c, x, conv.weight.value, dy, Array(y.shape[2...]))
            let ex = zip(dx.toFloats(), rx).map { abs(Double($0) - $1) }.max() ?? 0
            let ew = zip(conv.weight.grad!.toFloats(), rw).map { abs(Double($0) - $1) }.max() ?? 0
            XCTAssertLessThan(ex, 1e-3, "config \(i) dx")
            XCTAssertLessThan(ew, 1e-3, "config \(i) dw")
        }
    }

    func testForwardDeterministicPerThreadCount() throws {
        let c = Config(n: 7, cin: 6, h: 5, w: 5, cout: 8, groups: 2)
        let conv = try layer(c)
        let x = randn([c.n, c.cin, c.h, c.w], seed: 3)
        let before = Parallel.threads
        defer { Parallel.threads = before }
        Parallel.threads = 1
        let a = try conv.forward(x).toFloats()
        Parallel.threads = 2
        let b = try conv.forward(x).toFloats(), b2 = try conv.forward(x).toFloats()
        XCTAssertTrue(b == b2, "same partition, same result")
        XCTAssertLessThan(zip(a, b).map { abs($0 - $1) }.max() ?? 0, 1e-5)
    }

    func gradientsFiniteDifference() throws {
        for (i, c) in Self.configs.enumerated() {
            let conv = try layer(c)
            try GradCheck().check(conv, randn([c.n, c.cin, c.h, c.w], seed: 100 + UInt64(i)))
        }
    }

    func testWeightGradientAccumulates() throws {
        let conv = try Conv2d(2, 3, kernelSize: (3, 3), padding: (1, 1))
        let x = randn([2, 2, 4, 4], seed: 1)
        let g = randn([2, 3, 4, 4], seed: 2)
        _ = try conv.forward(x)
        _ = try conv.backward(g)
        let once = conv.weight.grad!.toFloats()
        _ = try conv.backward(g)
        let twice = conv.weight.grad!.toFloats()
        for (a, b) in zip(once, twice) { XCTAssertEqual(2 * a, b, accuracy: 1e-4) }
    }

    func testSkippingTheInputGradientKeepsWeightGradients() throws {
        let conv = try Conv2d(3, 4, kernelSize: (3, 3), padding: (1, 1))
        let x = randn([2, 3, 5, 5], seed: 8), g = randn([2, 4, 5, 5], seed: 9)
        _ = try conv.forward(x)
        _ = try conv.backward(g)
        let full = conv.weight.grad!.toFloats(), fullBias = conv.bias!.grad!.toFloats()
        conv.zeroGrad()
        conv.computeInputGradient = false
        _ = try conv.forward(x)
        let dx = try conv.backward(g)
        XCTAssertEqual(conv.weight.grad!.toFloats(), full)
        XCTAssertEqual(conv.bias!.grad!.toFloats(), fullBias)
        XCTAssertTrue(dx.toFloats().allSatisfy { $0 == 0 })
    }

    func testInputErrors() throws {
        let conv = try Conv2d(1, 4, kernelSize: (3, 3))
        XCTAssertThrowsError(try conv.forward(try Tensor(zeros: [1, 3, 8, 8]))) {
            XCTAssertEqual(($0 as? TensorError)?.message, "conv2d: input has 3 channels, layer expects 1")
        }
        XCTAssertThrowsError(try conv.forward(try Tensor(zeros: [3, 8, 8]))) {
            XCTAssertTrue(($0 as? TensorError)?.message.contains("expected a 4-d input") ?? false)
        }
        XCTAssertThrowsError(try conv.forward(try Tensor(zeros: [1, 1, 2, 2])))
        XCTAssertThrowsError(try Conv2d(3, 4, kernelSize: (3, 3), groups: 2))
        XCTAssertThrowsError(try conv.backward(try Tensor(zeros: [1, 4, 6, 6])))
    }

    /// A window larger than the input by less than one stride: PyTorch refuses it; the
    /// old formula truncated −1/2 to 0 and ran a 1×1 output.
    func testWindowLargerThanInputIsRefused() throws {
        let conv = try Conv2d(1, 1, kernelSize: (3, 3), stride: (2, 2))
        XCTAssertThrowsError(try conv.forward(try Tensor(zeros: [1, 1, 2, 2]))) {
            XCTAssertTrue(($0 as? TensorError)?.message.contains("too small for kernel 3x3") ?? false)
        }
        XCTAssertEqual(Window2d(kernel: (3, 3), stride: (2, 2)).outHeight(2), 0)
        XCTAssertEqual(Window2d(kernel: (3, 3), stride: (2, 2)).outHeight(3), 1)
        XCTAssertEqual(Window2d(kernel: (2, 2), stride: (2, 2)).outWidth(5, ceil: true), 3)
        XCTAssertEqual(Window2d(kernel: (2, 2), stride: (2, 2)).outWidth(5), 2)
    }

    /// ConvPlan (the tensor-level convolution NN.Conv2d runs through) on a
    /// non-contiguous input and weight, against the layer on contiguous copies.
    func testConvPlanOnViews() throws {
        let conv = try Conv2d(3, 4, kernelSize: (3, 3), padding: (1, 1))
        let x = try Tensor.randn([2, 5, 6, 3]).permute([0, 3, 1, 2])          // (2, 3, 5, 6), strided
        let w = try conv.weight.value.permute([0, 1, 3, 2]).contiguous().permute([0, 1, 3, 2])
        let plan = try ConvPlan(input: x, weight: w, bias: conv.bias!.value, padding: (1, 1))
        XCTAssertEqual(plan.outputShape, [2, 4, 5, 6])
        XCTAssertEqual(try plan.forward().toFloats(), try conv.forward(try x.contiguous()).toFloats())
        let dy = try Tensor.randn([2, 4, 5, 6])
        let dw = try Tensor(zeros: w.shape), db = try Tensor(zeros: [4])
        let dx = try plan.backward(dy, weightGrad: dw, biasGrad: db)
        _ = try conv.backward(dy)
        XCTAssertEqual(dw.toFloats(), conv.weight.grad!.toFloats())
        XCTAssertEqual(db.toFloats(), conv.bias!.grad!.toFloats())
        XCTAssertEqual(dx.shape, [2, 3, 5, 6])
        XCTAssertThrowsError(try ConvPlan(input: x, weight: w, bias: try Tensor(zeros: [3])))
        XCTAssertThrowsError(try plan.backward(try Tensor(zeros: [2, 4, 5, 5])))
        XCTAssertThrowsError(try plan.backward(dy, weightGrad: try Tensor(zeros: [4])))
    }

    /// ConvGeometry.forEachTap visits every tap once, in order, with the in-image ranges.
    func testForEachTap() throws {
        let g = try ConvGeometry(batch: 1, inChannels: 1, height: 4, width: 5, outChannels: 1, kernel: (2, 3),
                                 stride: (2, 1), padding: (1, 1), dilation: (1, 2))
        var seen: [[Int]] = []
        g.forEachTap { i, j, tapH, tapW, hLo, hHi, wLo, wHi in
            seen.append([i, j, tapH, tapW])
            for r in 0..<g.outHeight {
                for q in 0..<g.outWidth {
                    let inside = (0..<g.height).contains(r * g.strideH + tapH) && (0..<g.width).contains(q * g.strideW + tapW)
                    XCTAssertEqual(inside, (hLo..<hHi).contains(r) && (wLo..<wHi).contains(q), "tap \(i) \(j) at \(r) \(q)")
                }
            }
        }
        XCTAssertEqual(seen, [[0, 0, -1, -1], [0, 1, -1, 1], [0, 2, -1, 3], [1, 0, 0, -1], [1, 1, 0, 1], [1, 2, 0, 3]])
    }

    func testDescriptionLikePyTorch() throws {
        XCTAssertEqual(try Conv2d(3, 16, kernelSize: (3, 3), padding: (1, 1), bias: false).description,
                       "Conv2d(3, 16, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), bias=False)")
        XCTAssertEqual(try Conv2d(8, 8, kernelSize: (3, 3), stride: (2, 2), groups: 8).description,
                       "Conv2d(8, 8, kernel_size=(3, 3), stride=(2, 2), groups=8)")
    }
}
