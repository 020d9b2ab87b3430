import XCTest
@testable import Kernels
@testable import Tensor

/// The direct 3×3 stride-1 kernels (forward, dx as a forward pass of the transposed
/// convolution, dw) against the convolution summed in double. They sum in float with at
/// most 45·9 products per output, so 1e-5 of max |y| is ample; a wrong tap offset, border,
/// block remainder or dropped column gives errors of order max |y|.
final class DirectConvTests: XCTestCase, Conv3x3Checks {
    typealias Case = Conv3x3Case
    static let relTolerance = 1e-5

    /// Every shape the kernel computes goes to it while `body` runs (Winograd off).
    func everyShapeDirect(_ body: () throws -> Void) rethrows {
        let (maxC, on, wino) = (Conv2dKernel.directMaxChannels, Conv2dKernel.directEnabled, Conv2dKernel.winogradEnabled)
        defer { Conv2dKernel.directMaxChannels = maxC; Conv2dKernel.directEnabled = on; Conv2dKernel.winogradEnabled = wino }
        Conv2dKernel.directMaxChannels = 1 << 20
        Conv2dKernel.directEnabled = true
        Conv2dKernel.winogradEnabled = false
        try body()
    }

    func testForwardMatchesReference() throws {
        for (i, c) in cases(40, seed: 21).enumerated() {
            let g = try geometry(c)
            let x = random(c.n * c.c * c.h * c.w, seed: UInt64(i)), w = random(c.k * c.c * 9, seed: 500 + UInt64(i))
            var y = [Float](repeating: .nan, count: c.n * c.k * g.outPlane)
            try Conv2dKernel.forwardDirect(g, x: x, weight: w, epilogue: ConvEpilogue(), y: &y)
            XCTAssertLessThan(relError(y, reference(g, x, w)), Self.relTolerance, "case \(i) \(c)")
        }
    }

    /// Where the CPU has AVX-512, the tiles run two at a time on 16-float vectors: the same
    /// bits as the 8-float tile, on random shapes (odd and even tile counts, widths that are
    /// and are not row-tiled, batch 1–3), forward; and ∂L/∂w's tiles two blocks of 4 output
    /// channels at a time (even and odd block counts, a last block of 1–3 channels).
    func testAVX512TilesBitEqual() throws {
        guard CPU.hasAVX512 else { throw XCTSkip("no AVX-512 on this CPU") }
        let before = CPU.useAVX512
        defer { CPU.useAVX512 = before }
        var tiles = Set<Int>(), blocks = Set<Int>()
        // and ∂L/∂w reading dy's own rows (whole pairs of blocks, output widths of 8-multiples)
        let ownRows = [Case(n: 2, c: 3, k: 16, h: 32, w: 32, pad: 1), Case(n: 3, c: 5, k: 8, h: 8, w: 8, pad: 1),
                       Case(n: 1, c: 11, k: 24, h: 18, w: 18, pad: 0), Case(n: 2, c: 4, k: 16, h: 1, w: 16, pad: 1)]
        for (i, c) in (cases(40, seed: 61) + ownRows).enumerated() {
            let g = try geometry(c)
            tiles.insert(Conv2dKernel.DirectPlane(g).computed / Conv2dKernel.DirectPlane.tile % 2)
            let x = random(c.n * c.c * c.h * c.w, seed: 900 + UInt64(i)), w = random(c.k * c.c * 9, seed: 950 + UInt64(i))
            let dy = random(c.n * c.k * g.outPlane, seed: 980 + UInt64(i))
            blocks.insert((c.k + 3) / 4 % 2 * 4 + c.k % 4)
            var got: [[Float]] = [], grads: [[Float]] = []
            for wide in [false, true] {
                CPU.useAVX512 = wide
                var y = [Float](repeating: .nan, count: c.n * c.k * g.outPlane)
                try Conv2dKernel.forwardDirect(g, x: x, weight: w, epilogue: ConvEpilogue(), y: &y)
                got.append(y)
                var dw = [Float](repeating: 0.5, count: w.count)
                try Conv2dKernel.weightGradientDirect(g, x: x, dy: dy, dw: &dw)
                grads.append(dw)
            }
            XCTAssertEqual(zip(got[0], got[1]).filter { $0.bitPattern != $1.bitPattern }.count, 0, "case \(i) \(c)")
            XCTAssertEqual(zip(grads[0], grads[1]).filter { $0.bitPattern != $1.bitPattern }.count, 0, "dw, case \(i) \(c)")
            XCTAssertGreaterThan(grads[1].map { abs($0 - 0.5) }.max() ?? 0, 0, "dw, case \(i)")
        }
        XCTAssertEqual(tiles, [0, 1])   // both an even and an odd number of tiles were run
        // dw: odd and even block counts, with full and partial last blocks
        XCTAssertTrue(blocks.contains { $0 >= 4 } && blocks.contains { $0 < 4 } && blocks.contains { $0 % 4 != 0 }, "\(blocks)")
    }

    /// Outputs whose rows are a multiple of 16 wide are written in place as runs of 16
    /// (`directOutputRows`): the same bits as the virtual-plane tiles copied out, for every
    /// remainder of the 4-run groups (5, 6, 7 runs), a last block of 1–3 output channels,
    /// paddings 0–2, batch 1–3, and each output pass (bias, BatchNorm, residual, ReLU) applied
    /// in place; the output beyond the tensor is never written.
    func testOutputRowsBitEqual() throws {
        guard CPU.hasAVX512 else { throw XCTSkip("no AVX-512 on this CPU") }
        let (before, rows) = (CPU.useAVX512, Conv2dKernel.directOutputRows)
        defer { CPU.useAVX512 = before; Conv2dKernel.directOutputRows = rows }
        CPU.useAVX512 = true
        let shapes = [Case(n: 2, c: 3, k: 16, h: 32, w: 32, pad: 1), Case(n: 1, c: 3, k: 11, h: 7, w: 18, pad: 0),
                      Case(n: 3, c: 1, k: 5, h: 6, w: 16, pad: 1), Case(n: 2, c: 5, k: 23, h: 5, w: 14, pad: 2),
                      Case(n: 1, c: 16, k: 6, h: 16, w: 16, pad: 1), Case(n: 2, c: 8, k: 3, h: 3, w: 48, pad: 1)]
        var runs = Set<Int>()
        try everyShapeDirect {
            for (i, c) in shapes.enumerated() {
                let g = try geometry(c), P = g.outPlane, count = c.n * c.k * P
                XCTAssertEqual(g.outWidth % 16, 0, "case \(i)")
                runs.insert(P / 16 % 4)
                let x = random(c.n * c.c * c.h * c.w, seed: 700 + UInt64(i)), w = random(c.k * c.c * 9, seed: 750 + UInt64(i))
                let bias = random(c.k, seed: 3), scale = random(c.k, seed: 4), shift = random(c.k, seed: 5)
                let res = random(count, seed: 6)
                for feature in [-1, 0, 1, 2, 3, 4, 5] {
                    let on = { (f: Int) in feature == f || feature == 5 }
                    var got: [[Float]] = []
                    for inPlace in [false, true] {
                        Conv2dKernel.directOutputRows = inPlace
                        XCTAssertEqual(Conv2dKernel.writesOutputRows(g), inPlace)
                        // one float past the end, to catch a write beyond the last block's channels
                        var y = [Float](repeating: .nan, count: count + 1)
                        try withEpilogue(bias: bias, scale: scale, shift: shift, residual: res, on) { e in
                            try Conv2dKernel.forwardDirect(g, x: x, weight: w, epilogue: e, y: &y)
                        }
                        XCTAssertTrue(y[count].isNaN, "case \(i): written past the output")
                        got.append(Array(y[..<count]))
                    }
                    XCTAssertEqual(zip(got[0], got[1]).filter { $0.bitPattern != $1.bitPattern }.count, 0,
                                   "case \(i) \(c) pass \(feature)")
                    if feature == -1 {
                        XCTAssertLessThan(relError(got[1], reference(g, x, w)), Self.relTolerance, "case \(i) \(c)")
                    }
                }
            }
        }
        XCTAssertEqual(runs, [0, 1, 2, 3])
    }

    /// Outputs 8 wide take row tiles (3 rows × 8 columns), and dw sums row by row over
    /// outputs whose width is a multiple of 8: every height (a last tile with 1, 2 or 3 real
    /// rows), every padding, odd channel counts, forward, dx and dw against the reference.
    func testRowTiledPlanes() throws {
        var rng = Xoshiro256(seed: 77)
        var shapes: [Case] = []
        for pad in 0...2 {
            for oh in 1...10 {
                let channels = [1, 3, 11, 16, 23, 45, 64]
                shapes.append(Case(n: 1 + rng.nextInt(3), c: channels[rng.nextInt(channels.count)],
                                   k: channels[rng.nextInt(channels.count)], h: oh + 2 - 2 * pad, w: 10 - 2 * pad, pad: pad))
            }
        }
        shapes += [Case(n: 2, c: 11, k: 5, h: 16, w: 16, pad: 1), Case(n: 1, c: 3, k: 23, h: 34, w: 34, pad: 0),
                   Case(n: 3, c: 8, k: 8, h: 5, w: 24, pad: 1)]
        try everyShapeDirect {
            for (i, c) in shapes.enumerated() where c.h >= 1 {
                let g = try geometry(c)
                XCTAssertEqual(Conv2dKernel.DirectPlane(g).rowTiled, g.outWidth == 8, "case \(i)")
                let x = random(c.n * c.c * c.h * c.w, seed: 300 + UInt64(i)), w = random(c.k * c.c * 9, seed: 400 + UInt64(i))
                let dy = random(c.n * c.k * g.outPlane, seed: 600 + UInt64(i))
                var y = [Float](repeating: .nan, count: c.n * c.k * g.outPlane)
                try Conv2dKernel.forwardDirect(g, x: x, weight: w, epilogue: ConvEpilogue(), y: &y)
                XCTAssertLessThan(relError(y, reference(g, x, w)), Self.relTolerance, "case \(i) \(c) forward")
                var dx = [Float](repeating: .nan, count: x.count), dw = [Float](repeating: 0, count: w.count)
                try Conv2dKernel.backward(g, x: x, weight: w, dy: dy, dx: &dx, dw: nil, db: nil)
                XCTAssertLessThan(relError(dx, inputGradientReference(g, dy, w)), Self.relTolerance, "case \(i) \(c) dx")
                try Conv2dKernel.weightGradientDirect(g, x: x, dy: dy, dw: &dw)
                XCTAssertLessThan(relError(dw, weightGradientReference(g, x, dy)), Self.relTolerance, "case \(i) \(c) dw")
            }
        }
    }

    /// The fused output pass is bit-equal to the plain result with the pass applied after.
    func testEpilogueBitEqual() throws {
        let c = Case(n: 2, c: 11, k: 23, h: 9, w: 14, pad: 1)
        let g = try geometry(c), P = g.outPlane, count = c.n * c.k * P
        let x = random(c.n * c.c * c.h * c.w, seed: 1), w = random(c.k * c.c * 9, seed: 2)
        let bias = random(c.k, seed: 3), scale = random(c.k, seed: 4), shift = random(c.k, seed: 5)
        let res = random(count, seed: 6)
        for feature in 0..<6 {
            let on = { (f: Int) in feature == f || feature == 5 }
            var plain = [Float](repeating: 0, count: count), fused = plain
            try withEpilogue(bias: bias, scale: scale, shift: shift, residual: res, on) { e in
                try Conv2dKernel.forwardDirect(g, x: x, weight: w, epilogue: e, y: &fused)
                try Conv2dKernel.forwardDirect(g, x: x, weight: w, epilogue: ConvEpilogue(), y: &plain)
                plain.withUnsafeMutableBufferPointer { e.apply(images: 0, c.n, channels: c.k, plane: P, y: $0.baseAddress!) }
            }
            XCTAssertEqual(fused, plain, "feature \(feature)")
        }
    }

    /// dx through the dispatch: the transposed convolution runs directly, also with fewer
    /// than 16 input channels (col2im before).
    func testInputGradientMatchesReference() throws {
        try everyShapeDirect {
            for (i, c) in cases(16, seed: 31).enumerated() {
                let g = try geometry(c)
                let x = random(c.n * c.c * c.h * c.w, seed: 50 + UInt64(i)), w = random(c.k * c.c * 9, seed: 60 + UInt64(i))
                let dy = random(c.n * c.k * g.outPlane, seed: 70 + UInt64(i))
                if let tg = Conv2dKernel.transposedForInput(g) {
                    XCTAssertTrue(Conv2dKernel.usesDirect(tg), "case \(i)")
                } else {
                    XCTAssertGreaterThan(c.pad, 2, "case \(i): only padding > 2 has no transposed convolution")
                }
                var dx = [Float](repeating: .nan, count: x.count)
                try Conv2dKernel.backward(g, x: x, weight: w, dy: dy, dx: &dx, dw: nil, db: nil)
                XCTAssertLessThan(relError(dx, inputGradientReference(g, dy, w)), Self.relTolerance, "case \(i) \(c)")
            }
        }
    }

    /// dw is ADDED to what the buffer holds (gradient accumulation), directly and through
    /// the dispatch (with and without dx in the same call).
    func testWeightGradientMatchesReference() throws {
        try everyShapeDirect {
            for (i, c) in cases(24, seed: 41).enumerated() {
                let g = try geometry(c)
                let x = random(c.n * c.c * c.h * c.w, seed: 80 + UInt64(i)), w = random(c.k * c.c * 9, seed: 90 + UInt64(i))
                let dy = random(c.n * c.k * g.outPlane, seed: 100 + UInt64(i))
                let want = weightGradientReference(g, x, dy).map { $0 + 1 }
                var dw = [Float](repeating: 1, count: w.count)
                try Conv2dKernel.weightGradientDirect(g, x: x, dy: dy, dw: &dw)
                XCTAssertLessThan(relError(dw, want), Self.relTolerance, "case \(i) \(c)")
                var dw2 = [Float](repeating: 1, count: w.count), dx = [Float](repeating: 0, count: x.count)
                var db = [Float](repeating: 0, count: c.k)
                try Conv2dKernel.backward(g, x: x, weight: w, dy: dy, dx: &dx, dw: &dw2, db: &db)
                XCTAssertLessThan(relError(dw2, want), Self.relTolerance, "case \(i) \(c) through backward")
                let db0 = (0..<c.k).map { o in (0..<c.n).reduce(0.0) { s, n in
                    s + dy[(n * c.k + o) * g.outPlane ..< (n * c.k + o + 1) * g.outPlane].reduce(0.0) { $0 + Double($1) } } }
                XCTAssertLessThan(relError(db, db0), Self.relTolerance, "case \(i) bias gradient")
            }
        }
    }

    /// The dispatch: the small-channel shapes it was measured to win on, the ones it leaves
    /// to Winograd / im2col, and the switch.
    func testDispatch() throws {
        let over = Conv2dKernel.winogradOverDirect
        defer { Conv2dKernel.winogradOverDirect = over }
        Conv2dKernel.winogradOverDirect = false   // TOPIARY_WINOGRAD_FIRST=0: direct keeps its shapes
        func shape(_ n: Int, _ c: Int, _ k: Int, _ hw: Int, stride: Int = 1, groups: Int = 1, dilation: Int = 1) throws -> ConvGeometry {
            try ConvGeometry(batch: n, inChannels: c, height: hw, width: hw, outChannels: k, kernel: (3, 3),
                             stride: (stride, stride), padding: (dilation, dilation), dilation: (dilation, dilation), groups: groups)
        }
        for g in [try shape(128, 16, 16, 32), try shape(128, 3, 16, 32), try shape(128, 8, 16, 32), try shape(128, 16, 11, 32),
                  try shape(128, 32, 23, 16), try shape(1, 32, 32, 16), try shape(128, 3, 64, 32), try shape(8, 1, 64, 28)] {
            XCTAssertTrue(Conv2dKernel.usesDirect(g), "\(g)")
        }
        for g in [try shape(128, 64, 64, 8), try shape(128, 64, 45, 8), try shape(128, 64, 64, 32), try shape(128, 8, 64, 32),
                  try shape(128, 3, 65, 32)] {
            XCTAssertTrue(Conv2dKernel.directApplies(g))
            XCTAssertFalse(Conv2dKernel.usesDirect(g), "\(g)")
        }
        for g in [try shape(8, 16, 16, 8, stride: 2), try shape(8, 16, 16, 8, groups: 2), try shape(8, 16, 16, 8, dilation: 2)] {
            XCTAssertFalse(Conv2dKernel.directApplies(g))
            XCTAssertFalse(Conv2dKernel.usesDirect(g))
            var y = [Float](repeating: 0, count: g.batch * g.outChannels * g.outPlane)
            let x = [Float](repeating: 1, count: g.batch * g.inChannels * g.inPlane), w = [Float](repeating: 1, count: 16 * g.groupIn * 9)
            XCTAssertThrowsError(try Conv2dKernel.forwardDirect(g, x: x, weight: w, epilogue: ConvEpilogue(), y: &y))
        }
        // The default: Winograd runs forward and dx on planes up to 16×16,
        // and on 32×32 planes where its products run on `WinogradProducts`; ∂L/∂w stays
        // direct; shapes Winograd does not take stay direct.
        Conv2dKernel.winogradOverDirect = true
        let own = Conv2dKernel.winogradOwnMaxChannels
        defer { Conv2dKernel.winogradOwnMaxChannels = own }
        Conv2dKernel.winogradOwnMaxChannels = 64
        for g in [try shape(128, 32, 32, 16), try shape(128, 16, 32, 16), try shape(128, 32, 23, 16), try shape(128, 32, 32, 8),
                  try shape(128, 16, 16, 32), try shape(128, 16, 8, 32), try shape(128, 32, 32, 32)] {
            XCTAssertFalse(Conv2dKernel.usesDirect(g), "\(g)")
            XCTAssertTrue(Conv2dKernel.usesWinograd(g), "\(g)")
            XCTAssertTrue(Conv2dKernel.directWeightGradient(g), "\(g)")
        }
        for g in [try shape(128, 3, 64, 32), try shape(1, 32, 32, 16)] {
            XCTAssertTrue(Conv2dKernel.usesDirect(g), "\(g)")
        }
        // with OpenBLAS running Winograd's products, 32×32 planes stay direct
        Conv2dKernel.winogradOwnMaxChannels = 0
        XCTAssertTrue(Conv2dKernel.usesDirect(try shape(128, 16, 16, 32)))
        XCTAssertFalse(Conv2dKernel.usesDirect(try shape(128, 32, 32, 16)))
        Conv2dKernel.winogradOverDirect = false
        let before = Conv2dKernel.directEnabled
        defer { Conv2dKernel.directEnabled = before }
        Conv2dKernel.directEnabled = false
        XCTAssertFalse(Conv2dKernel.usesDirect(try shape(128, 16, 16, 32)))
        XCTAssertFalse(Conv2dKernel.directWeightGradient(try shape(128, 16, 16, 32)))
    }

    /// ∂L/∂w runs directly up to 32 channels, and up to 64 on planes of 32×32 and more
    /// (VGG's 64c32), where the forward stays with im2col or Winograd.
    func testWeightGradientTakesWiderLayersOnLargePlanes() throws {
        func shape(_ n: Int, _ c: Int, _ k: Int, _ hw: Int) throws -> ConvGeometry {
            try ConvGeometry(batch: n, inChannels: c, height: hw, width: hw, outChannels: k, kernel: (3, 3), padding: (1, 1))
        }
        let (maxC, on, first) = (Conv2dKernel.directMaxChannels, Conv2dKernel.directEnabled, Conv2dKernel.winogradOverDirect)
        defer { Conv2dKernel.directMaxChannels = maxC; Conv2dKernel.directEnabled = on; Conv2dKernel.winogradOverDirect = first }
        (Conv2dKernel.directMaxChannels, Conv2dKernel.directEnabled, Conv2dKernel.winogradOverDirect) = (32, true, false)
        XCTAssertTrue(Conv2dKernel.directWeightGradient(try shape(128, 64, 64, 32)))
        XCTAssertTrue(Conv2dKernel.directWeightGradient(try shape(128, 64, 45, 32)))
        XCTAssertFalse(Conv2dKernel.usesDirect(try shape(128, 64, 64, 32)))
        XCTAssertFalse(Conv2dKernel.directWeightGradient(try shape(128, 65, 64, 32)))
        XCTAssertFalse(Conv2dKernel.directWeightGradient(try shape(128, 64, 64, 16)))
        XCTAssertFalse(Conv2dKernel.directWeightGradient(try shape(128, 128, 128, 16)))
        XCTAssertFalse(Conv2dKernel.directWeightGradient(try shape(128, 64, 64, 8)))
        XCTAssertTrue(Conv2dKernel.directWeightGradient(try shape(128, 32, 32, 8)))
    }

    /// The processor's identity for benchmark records: the first processor's block only.
    func testCPUIdentityFromCPUInfo() {
        let info = "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\nmodel\t\t: 1\nmodel name\t: AMD EPYC\n\n"
            + "processor\t: 1\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 85\n"
        XCTAssertEqual(CPU.identity(cpuinfo: info), "AuthenticAMD family 25 model 1 (AMD EPYC)")
        XCTAssertEqual(CPU.identity(cpuinfo: "vendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 85\n"), "GenuineIntel family 6 model 85")
        XCTAssertNil(CPU.identity(cpuinfo: "processor\t: 0\nmodel name\t: something\n"))
        XCTAssertNil(CPU.identity(cpuinfo: ""))
    }

    /// The forward sums each output in one order whatever the batch split: bit-equal at 1
    /// and 2 threads. dw adds per-thread sums: equal for the same partition, close otherwise.
    func testThreadCounts() throws {
        let c = Case(n: 7, c: 16, k: 11, h: 13, w: 8, pad: 1), g = try geometry(c)
        let x = random(c.n * c.c * c.h * c.w, seed: 9), w = random(c.k * c.c * 9, seed: 10)
        let dy = random(c.n * c.k * g.outPlane, seed: 11)
        let before = Parallel.threads
        defer { Parallel.threads = before }
        var ys: [[Float]] = [], dws: [[Float]] = []
        for t in [1, 2, 2] {
            Parallel.threads = t
            var y = [Float](repeating: 0, count: c.n * c.k * g.outPlane), dw = [Float](repeating: 0, count: w.count)
            try Conv2dKernel.forwardDirect(g, x: x, weight: w, epilogue: ConvEpilogue(), y: &y)
            try Conv2dKernel.weightGradientDirect(g, x: x, dy: dy, dw: &dw)
            ys.append(y)
            dws.append(dw)
        }
        XCTAssertEqual(ys[0], ys[1])
        XCTAssertEqual(ys[1], ys[2])
        XCTAssertEqual(dws[1], dws[2], "same partition, same result")
        XCTAssertLessThan(relError(dws[0], dws[1].map(Double.init)), 1e-5)
    }
}
