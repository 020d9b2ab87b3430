import XCTest
@testable import Kernels
import Tensor

/// The oneDNN convolution path against our own kernels (the reference path, forced with
/// mode .off) on random shapes: odd channel counts, strides 1 and 2, padding, dilation,
/// groups, batch 1; forward with every output-pass part, ∂L/∂x, ∂L/∂w and ∂L/∂b.
final class DNNLConvTests: XCTestCase {
    /// (batch, cin, cout, h, w, kernel, stride, pad, dilation, groups)
    static let shapes: [(Int, Int, Int, Int, Int, Int, Int, Int, Int, Int)] = [
        (1, 3, 16, 9, 9, 3, 1, 1, 1, 1),      // batch 1, a first layer
        (4, 11, 23, 8, 8, 3, 2, 1, 1, 1),     // odd channels, stride 2
        (3, 16, 16, 10, 10, 3, 1, 1, 1, 1),   // ResNet-like
        (2, 23, 45, 7, 7, 3, 1, 0, 1, 1),     // no padding
        (2, 45, 11, 6, 5, 3, 2, 1, 1, 1),     // non-square plane, stride 2
        (2, 8, 12, 6, 6, 1, 1, 0, 1, 1),      // pointwise
        (2, 8, 12, 7, 7, 1, 2, 0, 1, 1),      // strided 1×1 (option B shortcut)
        (2, 6, 4, 7, 7, 3, 1, 2, 2, 2),       // dilated, grouped
        (1, 64, 45, 8, 8, 3, 1, 1, 1, 1),     // pruned 64→45, batch 1
    ]

    func geometry(_ s: (Int, Int, Int, Int, Int, Int, Int, Int, Int, Int)) throws -> ConvGeometry {
        try ConvGeometry(batch: s.0, inChannels: s.1, height: s.3, width: s.4, outChannels: s.2, kernel: (s.5, s.5),
                         stride: (s.6, s.6), padding: (s.7, s.7), dilation: (s.8, s.8), groups: s.9)
    }

    /// Runs `body` with our kernels only (the reference), restoring the mode.
    func reference<R>(_ body: () throws -> R) rethrows -> R {
        let before = DNNLConv.mode
        DNNLConv.mode = .off
        defer { DNNLConv.mode = before }
        return try body()
    }

    /// Relative closeness: every |a − b| ≤ tol · max(1, max |b|).
    func assertClose(_ a: Tensor, _ b: Tensor, _ what: String, tol: Float = 1e-4) throws {
        let x = a.toFloats(), y = b.toFloats()
        XCTAssertEqual(x.count, y.count)
        let scale = max(1, y.map(abs).max() ?? 0)
        let worst = zip(x, y).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThanOrEqual(worst, tol * scale, "\(what): max |Δ| \(worst) at scale \(scale)")
    }

    func testForwardMatchesOurKernels() throws {
        Random.manualSeed(11)
        for s in Self.shapes {
            let g = try geometry(s)
            XCTAssertTrue(DNNLConv.supports(g), "\(s)")
            let x = try Tensor.randn([g.batch, g.inChannels, g.height, g.width])
            let w = try Tensor.randn([g.outChannels, g.groupIn, g.kernelH, g.kernelW])
            let b = try Tensor.randn([g.outChannels])
            let out = [g.batch, g.outChannels, g.outHeight, g.outWidth]
            let y = try Tensor(zeros: out), ref = try Tensor(zeros: out)
            try DNNLConv.forward(g, x: x.ptr, weight: w.ptr, epilogue: ConvEpilogue(bias: b.ptr), y: y.ptr)
            try reference { try Conv2dKernel.forward(g, x: x.ptr, weight: w.ptr, bias: b.ptr, y: ref.ptr) }
            try assertClose(y, ref, "forward \(s)")
        }
    }

    func testOutputPassMatchesConvEpilogue() throws {
        Random.manualSeed(12)
        for s in [Self.shapes[1], Self.shapes[2], Self.shapes[8]] {
            let g = try geometry(s)
            let out = [g.batch, g.outChannels, g.outHeight, g.outWidth]
            let x = try Tensor.randn([g.batch, g.inChannels, g.height, g.width])
            let w = try Tensor.randn([g.outChannels, g.groupIn, g.kernelH, g.kernelW])
            let b = try Tensor.randn([g.outChannels]), a = try Tensor.randn([g.outChannels])
            let t = try Tensor.randn([g.outChannels]), r = try Tensor.randn(out)
            // every combination of bias, scale, shift, residual and ReLU
            for bits in 0..<32 {
                let e = ConvEpilogue(bias: bits & 1 != 0 ? UnsafePointer(b.ptr) : nil, scale: bits & 2 != 0 ? UnsafePointer(a.ptr) : nil,
                                     shift: bits & 4 != 0 ? UnsafePointer(t.ptr) : nil,
                                     residual: bits & 8 != 0 ? UnsafePointer(r.ptr) : nil, relu: bits & 16 != 0)
                let y = try Tensor(zeros: out), ref = try Tensor(zeros: out)
                try DNNLConv.forward(g, x: x.ptr, weight: w.ptr, epilogue: e, y: y.ptr)
                try reference { try Conv2dKernel.forward(g, x: x.ptr, weight: w.ptr, epilogue: e, y: ref.ptr) }
                try assertClose(y, ref, "output pass \(bits) \(s)")
                if bits & 16 != 0 { XCTAssertGreaterThanOrEqual(y.toFloats().min() ?? -1, 0) }
                // the post-ops keep oneDNN on a JIT kernel, not its slow reference one
                let sig = DNNLConv.signature(DNNLConv.split(e).0)
                let f = try XCTUnwrap(DNNLConv.cache[DNNLConv.Key(g, pass: 0, signature: sig)] as? DNNLConv.Forward)
                XCTAssertTrue(DNNL.implementation(f.pd).hasPrefix("jit"), "\(DNNL.implementation(f.pd)) for output pass \(bits)")
            }
        }
    }

    func testGradientsMatchOurKernels() throws {
        Random.manualSeed(13)
        for s in Self.shapes {
            let g = try geometry(s)
            let x = try Tensor.randn([g.batch, g.inChannels, g.height, g.width])
            let w = try Tensor.randn([g.outChannels, g.groupIn, g.kernelH, g.kernelW])
            let dy = try Tensor.randn([g.batch, g.outChannels, g.outHeight, g.outWidth])
            // dx is overwritten (start from garbage), dw and db accumulate (start from ones)
            let dx = try Tensor.randn(x.shape), dw = try Tensor.ones(w.shape), db = try Tensor.ones([g.outChannels])
            let rdx = try Tensor(zeros: x.shape), rdw = try Tensor.ones(w.shape), rdb = try Tensor.ones([g.outChannels])
            try DNNLConv.backward(g, x: x.ptr, weight: w.ptr, dy: dy.ptr, dx: dx.ptr, dw: dw.ptr, db: db.ptr)
            try reference {
                try Conv2dKernel.backward(g, x: x.ptr, weight: w.ptr, dy: dy.ptr, dx: rdx.ptr, dw: rdw.ptr, db: rdb.ptr)
            }
            try assertClose(dx, rdx, "dx \(s)")
            try assertClose(dw, rdw, "dw \(s)")
            try assertClose(db, rdb, "db \(s)")
            // one gradient at a time (dw alone reorders dy itself)
            let dw2 = try Tensor.ones(w.shape), dx2 = try Tensor(zeros: x.shape)
            try DNNLConv.backward(g, x: x.ptr, weight: w.ptr, dy: dy.ptr, dx: nil, dw: dw2.ptr, db: nil)
            try DNNLConv.backward(g, x: x.ptr, weight: w.ptr, dy: dy.ptr, dx: dx2.ptr, dw: nil, db: nil)
            try assertClose(dw2, rdw, "dw alone \(s)")
            try assertClose(dx2, rdx, "dx alone \(s)")
        }
    }

    /// The mode switch routes `Conv2dKernel` itself: with .on a geometry's primitives are
    /// created (and cached) by the dispatch, with .off never.
    func testDispatchFollowsTheMode() throws {
        let g = try ConvGeometry(batch: 2, inChannels: 5, height: 6, width: 6, outChannels: 7, kernel: (3, 3), padding: (1, 1))
        let x = try Tensor.randn([2, 5, 6, 6]), w = try Tensor.randn([7, 5, 3, 3]), y = try Tensor(zeros: [2, 7, 6, 6])
        let before = DNNLConv.mode
        defer { DNNLConv.mode = before }
        let key = DNNLConv.Key(g, pass: 0)
        DNNLConv.cache[key] = nil
        DNNLConv.mode = .off
        XCTAssertFalse(DNNLConv.chosen(g, .forward))
        try Conv2dKernel.forward(g, x: x.ptr, weight: w.ptr, bias: nil, y: y.ptr)
        XCTAssertNil(DNNLConv.cache[key])
        DNNLConv.mode = .on
        XCTAssertTrue(DNNLConv.chosen(g, .forward))
        try Conv2dKernel.forward(g, x: x.ptr, weight: w.ptr, bias: nil, y: y.ptr)
        XCTAssertNotNil(DNNLConv.cache[key])
    }

    /// A geometry oneDNN refuses (PyTorch's floor rounding leaves a negative right padding)
    /// is not chosen, and calling the path directly throws instead of crashing.
    func testUnsupportedGeometryIsNotChosenAndThrows() throws {
        let g = try ConvGeometry(batch: 1, inChannels: 2, height: 8, width: 8, outChannels: 2, kernel: (1, 1), stride: (2, 2))
        XCTAssertFalse(DNNLConv.supports(g))
        let before = DNNLConv.mode
        defer { DNNLConv.mode = before }
        DNNLConv.mode = .on
        XCTAssertFalse(DNNLConv.chosen(g, .forward))
        let x = try Tensor.randn([1, 2, 8, 8]), w = try Tensor.randn([2, 2, 1, 1]), y = try Tensor(zeros: [1, 2, 4, 4])
        XCTAssertThrowsError(try DNNLConv.forward(g, x: x.ptr, weight: w.ptr, epilogue: ConvEpilogue(), y: y.ptr)) {
            XCTAssertTrue($0 is DNNLError, "\($0)")
        }
    }
}
