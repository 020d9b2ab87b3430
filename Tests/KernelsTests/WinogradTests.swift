import XCTest
@testable import Kernels
@testable import Tensor

/// The Winograd F(4×4, 3×3) path against a direct convolution summed in double.
///
/// Tolerance: F(4,3) multiplies the rounding error of each product by the growth of its
/// transforms (Bᵀ's rows sum to ≤ 10 in magnitude, Aᵀ's to ≤ 19, so up to ~10²·19² ≈ 4·10⁴
/// ulp of a tile's inputs in the worst case; random data reaches 10⁻⁵–10⁻⁴ of max |y|).
/// The error scales with the magnitude of the whole tile, not with the single output, so
/// it is bounded relative to max |y| of the case: 5·10⁻⁴·max |y|. A wrong transform,
/// tile offset or border gives errors of order max |y|.
final class WinogradTests: XCTestCase, Conv3x3Checks {
    static let relTolerance = 5e-4

    typealias Case = Conv3x3Case

    /// Both ways of running the chunk products: `WinogradProducts` and OpenBLAS.
    func testForwardMatchesDirectReference() throws {
        let before = Conv2dKernel.winogradOwnMaxChannels
        defer { Conv2dKernel.winogradOwnMaxChannels = before }
        for own in [64, 0] {
            Conv2dKernel.winogradOwnMaxChannels = own
            var worst = 0.0
            for (i, c) in cases(40, seed: 11).enumerated() {
                let g = try geometry(c)
                XCTAssertTrue(Conv2dKernel.winogradApplies(g))
                XCTAssertEqual(Conv2dKernel.ownWinogradProducts(g), own > 0)
                let x = random(c.n * c.c * c.h * c.w, seed: UInt64(i)), w = random(c.k * c.c * 9, seed: 1000 + UInt64(i))
                var y = [Float](repeating: .nan, count: c.n * c.k * g.outPlane)
                try Conv2dKernel.forwardWinograd(g, x: x, weight: w, epilogue: ConvEpilogue(), y: &y)
                let err = relError(y, reference(g, x, w))
                worst = max(worst, err)
                XCTAssertLessThan(err, Self.relTolerance, "own products \(own > 0), case \(i) \(c)")
            }
            print("winograd forward (own products \(own > 0)): worst error \(worst) of max |y|")
        }
    }

    /// `WinogradProducts.multiply` is, element by element, the fused multiply-adds over
    /// ascending input channels: bit-equal to that scalar loop, for output channel counts
    /// that fill and do not fill the 4-row tile and column counts with and without the
    /// 8-wide remainder (rows `ld` apart, wider than the columns computed; points a skewed
    /// stride apart, as `Winograd.pointStride` sets them). Both the 8-float tile and, where the
    /// CPU has AVX-512, the 16-float one (64-, 16- and 8-column parts: 88 = 64 + 16 + 8).
    func testOwnProductsBitEqualToScalarLoop() {
        let before = CPU.useAVX512
        defer { CPU.useAVX512 = before }
        if !CPU.hasAVX512 { print("no AVX-512 on this CPU: the 16-float tile is not tested here") }
        for wide in CPU.hasAVX512 ? [false, true] : [false] {
        CPU.useAVX512 = wide
        for (K, C, columns) in [(4, 1, 24), (5, 3, 8), (16, 16, 128), (23, 11, 40), (3, 45, 56), (8, 8, 16),
                                (6, 7, 88), (12, 5, 200), (2, 128, 64)] {
            let ld = columns + 8, vs = C * ld + 16, ms = K * ld + 16
            let u = random(36 * K * C, seed: UInt64(K * 100 + C)), v = random(36 * vs, seed: UInt64(columns))
            var up = [Float](repeating: .nan, count: WinogradProducts.packedCount(outChannels: K, inChannels: C))
            WinogradProducts.pack(u, outChannels: K, inChannels: C, into: &up)
            var m = [Float](repeating: .nan, count: 36 * ms)
            WinogradProducts.multiply(up, v, outChannels: K, inChannels: C, columns: columns, ld: ld, vStride: vs,
                                      into: &m, mStride: ms)
            var wrong = 0
            for xi in 0..<36 {
                for k in 0..<K {
                    for t in 0..<columns {
                        var want: Float = 0
                        for c in 0..<C { want = want.addingProduct(u[(xi * K + k) * C + c], v[xi * vs + c * ld + t]) }
                        if m[xi * ms + k * ld + t].bitPattern != want.bitPattern { wrong += 1 }
                    }
                    for t in columns..<ld where !m[xi * ms + k * ld + t].isNaN { wrong += 1 }   // never written
                }
            }
            XCTAssertEqual(wrong, 0, "AVX-512 \(wide): K \(K) C \(C) columns \(columns)")
        }
        }
    }

    /// U = G·w·Gᵀ in double by the factored G, four channels per vector: bit-equal to the
    /// same operations for one filter at a time (channel counts 1–9 and 70 cover full and
    /// partial vectors and a second block of `weightBlock` channels), and within half a
    /// float ulp of the plain matrix products G·w·Gᵀ.
    func testWeightTransformExact() {
        let g = Winograd.g
        func factored(_ x0: Double, _ x1: Double, _ x2: Double) -> [Double] {
            let p = x0 + x2, q = x0 * (1.0 / 24) + x2 * (1.0 / 6), r = x1 * (1.0 / 12)
            return [x0 * 0.25, (p + x1) * (-1.0 / 6), (p - x1) * (-1.0 / 6), q + r, q - r, x2]
        }
        var worst = 0.0
        for (K, C) in [(1, 1), (3, 4), (2, 5), (5, 9), (4, 8), (2, 70)] {
            let w = random(K * C * 9, seed: UInt64(K * 10 + C))
            var u = [Float](repeating: .nan, count: 36 * K * C)
            Winograd.transformWeights(w, outChannels: K, inChannels: C, into: &u)
            for o in 0..<K {
                for c in 0..<C {
                    let f = (0..<9).map { Double(w[(o * C + c) * 9 + $0]) }
                    let cols = (0..<3).map { j in factored(f[j], f[3 + j], f[6 + j]) }   // cols[j][i] = (G·f)[i][j]
                    for i in 0..<6 {
                        let row = factored(cols[0][i], cols[1][i], cols[2][i])
                        for j in 0..<6 {
                            let xi = i * 6 + j, got = u[(xi * K + o) * C + c]
                            XCTAssertEqual(got.bitPattern, Float(row[j]).bitPattern, "K \(K) C \(C) o \(o) c \(c) ξ \(xi)")
                            var exact = 0.0
                            for a in 0..<3 { for b in 0..<3 { exact += g[i][a] * f[a * 3 + b] * g[j][b] } }
                            worst = max(worst, abs(Double(got) - exact) / Double(Float(exact).ulp))
                        }
                    }
                }
            }
        }
        // rounded once from double: at most half a float ulp (and a hair) from G·w·Gᵀ
        XCTAssertLessThanOrEqual(worst, 0.5 + 1e-6, "largest deviation from G·w·Gᵀ in float ulps")
        XCTAssertGreaterThan(worst, 0.1, "float roundings are expected")
    }

    /// Each output-pass feature alone and all together, against the pass applied in double
    /// to the reference; and the fused pass is bit-equal to the pass applied afterwards.
    func testEpilogue() throws {
        let c = Case(n: 2, c: 11, k: 23, h: 9, w: 14, pad: 1)
        let g = try geometry(c), P = g.outPlane, count = c.n * c.k * P
        let x = random(c.n * c.c * c.h * c.w, seed: 1), w = random(c.k * c.c * 9, seed: 2)
        let bias = random(c.k, seed: 3), scale = random(c.k, seed: 4), shift = random(c.k, seed: 5)
        let res = random(count, seed: 6)
        let raw = reference(g, x, w)
        for feature in 0..<6 {
            let on = { (f: Int) in feature == f || feature == 5 }
            var plain = [Float](repeating: 0, count: count), fused = plain
            try withEpilogue(bias: bias, scale: scale, shift: shift, residual: res, on) { e in
                try Conv2dKernel.forwardWinograd(g, x: x, weight: w, epilogue: e, y: &fused)
                try Conv2dKernel.forwardWinograd(g, x: x, weight: w, epilogue: ConvEpilogue(), y: &plain)
                plain.withUnsafeMutableBufferPointer { e.apply(images: 0, c.n, channels: c.k, plane: P, y: $0.baseAddress!) }
            }
            XCTAssertEqual(fused, plain, "feature \(feature): fused pass bit-equal to the separate one")
            var want = raw
            for n in 0..<c.n { for o in 0..<c.k { for q in 0..<P {
                let at = (n * c.k + o) * P + q
                var v = raw[at]
                if on(0) { v += Double(bias[o]) }
                if on(1) { v *= Double(scale[o]) }
                if on(2) { v += Double(shift[o]) }
                if on(3) { v += Double(res[at]) }
                want[at] = on(4) ? max(v, 0) : v
            } } }
            XCTAssertLessThan(relError(fused, want), Self.relTolerance, "feature \(feature)")
            if on(4) { XCTAssertTrue(fused.allSatisfy { $0 >= 0 }) }
        }
    }

    /// Where the CPU has AVX-512, the forward (16-tile transforms, 16-float products) gives
    /// the bits of the 8-lane kernels: random shapes (partial tiles, odd channel counts, tile
    /// counts with and without a last group of 8), the output pass fused (bias, BN, residual,
    /// ReLU), own and OpenBLAS products; and ∂L/∂w, whose input transform is the same. The
    /// wide transforms run both ways for groups of four runs of four tiles (where a row of
    /// tiles is 16 outputs wide): through 16×16 transposes, and by the kernels that take the
    /// runs' rows as they lie (`winogradInputRuns`, `winogradOutputRuns`), and groups of four
    /// 8×8 planes both through the tile buffer and straight into y (`winogradOutputPlanes8`).
    func testAVX512BitEqual() throws {
        guard CPU.hasAVX512 else { throw XCTSkip("no AVX-512 on this CPU") }
        let (before, own) = (CPU.useAVX512, Conv2dKernel.winogradOwnMaxChannels)
        let (inputRuns, outputRuns) = (Conv2dKernel.winogradInputRuns, Conv2dKernel.winogradOutputRuns)
        let (interleaved, direct) = (Conv2dKernel.interleavedRuns, Conv2dKernel.winogradDirectInput)
        let planes8 = Conv2dKernel.winogradOutputPlanes8
        defer {
            Conv2dKernel.winogradOutputPlanes8 = planes8
            CPU.useAVX512 = before; Conv2dKernel.winogradOwnMaxChannels = own
            Conv2dKernel.winogradInputRuns = inputRuns; Conv2dKernel.winogradOutputRuns = outputRuns
            Conv2dKernel.interleavedRuns = interleaved; Conv2dKernel.winogradDirectInput = direct
        }
        let (interleavedBefore, directBefore) = (Conv2dKernel.interleavedChunks, Conv2dKernel.directInputPasses)
        let planes8Before = Conv2dKernel.planes8Passes
        var groups = Set<Int>()
        // whole groups of 16 tiles with four tiles side by side (32×32, 16×16), two (8×8) and
        // rows of three tiles (12×12): the stores of `topiary_winograd_store16_avx512`
        let whole = [Conv3x3Case(n: 2, c: 16, k: 16, h: 32, w: 32, pad: 1), Conv3x3Case(n: 4, c: 8, k: 11, h: 16, w: 16, pad: 1),
                     Conv3x3Case(n: 8, c: 16, k: 23, h: 8, w: 8, pad: 1), Conv3x3Case(n: 4, c: 11, k: 8, h: 12, w: 12, pad: 1),
                     // runs read straight from x (`winogradDirectInput`) with no padding, two rows and
                     // columns of it, one image
                     Conv3x3Case(n: 2, c: 5, k: 8, h: 18, w: 18, pad: 0), Conv3x3Case(n: 1, c: 9, k: 8, h: 14, w: 30, pad: 2),
                     Conv3x3Case(n: 1, c: 8, k: 8, h: 32, w: 32, pad: 1)]
        for (i, c) in (cases(30, seed: 71) + whole + whole).enumerated() {
            let g = try geometry(c), count = c.n * c.k * g.outPlane
            Conv2dKernel.winogradOwnMaxChannels = i % 3 == 0 ? 0 : 128
            groups.insert(Conv2dKernel.WinogradTiling(g).perImage * c.n % 16 == 0 ? 0 : 1)
            let x = random(c.n * c.c * c.h * c.w, seed: 300 + UInt64(i)), w = random(c.k * c.c * 9, seed: 400 + UInt64(i))
            let bias = random(c.k, seed: 5), scale = random(c.k, seed: 6), shift = random(c.k, seed: 9), res = random(count, seed: 7)
            let dy = random(count, seed: 8)
            // a ReLU's output as the input's gate (dx's gated ∂L/∂y): negatives, zeros and NaNs gate to 0
            var gate = random(x.count, seed: 500 + UInt64(i))
            for q in stride(from: 0, to: gate.count, by: 7) { gate[q] = q % 2 == 0 ? 0 : .nan }
            var got: [[Float]] = [], grads: [[Float]] = [], gated: [[Float]] = []
            let configs = [(false, false, false, false), (true, false, false, false), (true, true, false, false),
                           (true, true, true, false), (true, true, false, true), (true, true, true, true)]
            for (wide, runs, lanes, straight) in configs {
                CPU.useAVX512 = wide
                Conv2dKernel.winogradInputRuns = runs
                Conv2dKernel.winogradOutputRuns = runs
                Conv2dKernel.winogradOutputPlanes8 = runs
                Conv2dKernel.interleavedRuns = lanes
                Conv2dKernel.winogradDirectInput = straight
                var y = [Float](repeating: .nan, count: count)
                // bias, scale, shift, residual, ReLU by the case's number; every 7th no output pass (plain stores)
                let pass = [i % 5 != 4, i % 2 == 0, i % 3 == 1, i % 2 == 1, i % 4 < 2].map { $0 && i % 7 != 3 }
                try withEpilogue(bias: bias, scale: scale, shift: shift, residual: res, { pass[$0] }) { e in
                    try Conv2dKernel.forwardWinograd(g, x: x, weight: w, epilogue: e, y: &y)
                }
                got.append(y)
                var dw = [Float](repeating: 0, count: c.k * c.c * 9)
                try Conv2dKernel.weightGradientWinograd(g, x: x, dy: dy, dw: &dw)
                grads.append(dw)
                var yg = [Float](repeating: .nan, count: count)
                try Conv2dKernel.forwardWinograd(g, x: x, inputGate: gate, weight: w, epilogue: ConvEpilogue(), y: &yg)
                gated.append(yg)
            }
            for v in 1..<configs.count {
                XCTAssertEqual(zip(got[0], got[v]).filter { $0.bitPattern != $1.bitPattern }.count, 0, "forward \(v), case \(i) \(c)")
                XCTAssertEqual(zip(grads[0], grads[v]).filter { $0.bitPattern != $1.bitPattern }.count, 0, "dw \(v), case \(i) \(c)")
                XCTAssertEqual(zip(gated[0], gated[v]).filter { $0.bitPattern != $1.bitPattern }.count, 0, "gated \(v), case \(i) \(c)")
            }
        }
        XCTAssertEqual(groups, [0, 1])
        XCTAssertGreaterThan(Conv2dKernel.interleavedChunks, interleavedBefore, "the interleaved order ran")
        XCTAssertGreaterThan(Conv2dKernel.directInputPasses, directBefore, "the input was read straight from x")
        XCTAssertGreaterThan(Conv2dKernel.planes8Passes, planes8Before, "8×8 planes were stored straight into y")
    }

    /// Groups of 16 tiles are four runs of four side by side where a row of tiles is a
    /// multiple of four tiles (32×32, 16×16 outputs), not on 8×8 or 12×12 planes, nor in
    /// the last group of a chunk whose lanes past the last tile repeat a corner.
    func testFourRunsOfTiles() throws {
        func runs(_ c: Conv3x3Case) throws -> [Bool] {
            let tl = Conv2dKernel.WinogradTiling(try geometry(c)), tiles = c.n * tl.perImage, ld = (tiles + 15) & ~15
            return Conv2dKernel.fourRuns(tl.corners(tiles: tiles, count: ld, plane: tl.hp * tl.wp, rowStride: tl.wp), ld)
        }
        XCTAssertEqual(try runs(Conv3x3Case(n: 2, c: 1, k: 1, h: 32, w: 32, pad: 1)), [Bool](repeating: true, count: 8))
        XCTAssertEqual(try runs(Conv3x3Case(n: 2, c: 1, k: 1, h: 16, w: 16, pad: 1)), [true, true])
        XCTAssertEqual(try runs(Conv3x3Case(n: 8, c: 1, k: 1, h: 8, w: 8, pad: 1)), [false, false])
        XCTAssertEqual(try runs(Conv3x3Case(n: 4, c: 1, k: 1, h: 12, w: 12, pad: 1)), [false, false, false])
        // 18×18 outputs: rows of five tiles, no group is four runs of four
        XCTAssertEqual(try runs(Conv3x3Case(n: 1, c: 1, k: 1, h: 18, w: 18, pad: 1)), [false, false])
        // 8×16 outputs, 8 tiles an image, 3 images: the second group's lanes past tile 24
        // repeat a corner
        XCTAssertEqual(try runs(Conv3x3Case(n: 3, c: 1, k: 1, h: 8, w: 16, pad: 1)), [true, false])
    }

    /// dx through the dispatch (a Winograd forward pass of the transposed convolution),
    /// also where the input has fewer than 16 channels (col2im before).
    func testInputGradientMatchesReference() throws {
        let (before, direct) = (Conv2dKernel.winogradMinChannels, Conv2dKernel.directEnabled)
        defer { Conv2dKernel.winogradMinChannels = before; Conv2dKernel.directEnabled = direct }
        Conv2dKernel.winogradMinChannels = 1
        Conv2dKernel.directEnabled = false
        for (i, c) in [Case(n: 2, c: 3, k: 11, h: 7, w: 10, pad: 1), Case(n: 1, c: 23, k: 8, h: 16, w: 16, pad: 1),
                       Case(n: 3, c: 11, k: 45, h: 9, w: 9, pad: 0), Case(n: 2, c: 8, k: 16, h: 5, w: 4, pad: 2)].enumerated() {
            let g = try geometry(c)
            let tg = try XCTUnwrap(Conv2dKernel.transposedForInput(g), "case \(i)")
            XCTAssertTrue(Conv2dKernel.usesWinograd(tg), "case \(i)")
            let x = random(c.n * c.c * c.h * c.w, seed: 50 + UInt64(i)), w = random(c.k * c.c * 9, seed: 60 + UInt64(i))
            let dy = random(c.n * c.k * g.outPlane, seed: 70 + UInt64(i))
            var dx = [Float](repeating: .nan, count: x.count)
            try Conv2dKernel.backward(g, x: x, weight: w, dy: dy, dx: &dx, dw: nil, db: nil)
            let want = inputGradientReference(g, dy, w)
            XCTAssertLessThan(relError(dx, want), Self.relTolerance, "case \(i) \(c)")
        }
    }

    /// The dispatch: shapes it takes and refuses, and the switch that turns it off.
    func testDispatch() throws {
        let resnet = try ConvGeometry(batch: 128, inChannels: 32, height: 16, width: 16, outChannels: 32,
                                      kernel: (3, 3), padding: (1, 1))
        func shape(_ n: Int, _ c: Int, _ k: Int, _ hw: Int) throws -> ConvGeometry {
            try ConvGeometry(batch: n, inChannels: c, height: hw, width: hw, outChannels: k, kernel: (3, 3), padding: (1, 1))
        }
        let own = Conv2dKernel.winogradOwnMaxChannels
        defer { Conv2dKernel.winogradOwnMaxChannels = own }
        Conv2dKernel.winogradOwnMaxChannels = 64
        XCTAssertTrue(Conv2dKernel.usesWinograd(try shape(128, 64, 45, 8)))
        XCTAssertTrue(Conv2dKernel.usesWinograd(try shape(128, 64, 64, 32)))
        XCTAssertTrue(Conv2dKernel.usesWinograd(try shape(128, 16, 16, 32)))
        XCTAssertTrue(Conv2dKernel.usesWinograd(try shape(128, 512, 512, 4)))   // VGG's 4×4 planes: one tile an image
        // measured slower: 3 input channels, 2×2 planes, batch 1 at 16×16; and 16 channels at
        // 32×32 when OpenBLAS runs the products
        for g in [try shape(128, 3, 16, 32), try shape(128, 512, 512, 2), try shape(1, 32, 32, 16)] {
            XCTAssertTrue(Conv2dKernel.winogradApplies(g))
            XCTAssertFalse(Conv2dKernel.usesWinograd(g), "\(g)")
        }
        Conv2dKernel.winogradOwnMaxChannels = 0
        XCTAssertFalse(Conv2dKernel.usesWinograd(try shape(128, 16, 16, 32)))
        XCTAssertTrue(Conv2dKernel.usesWinograd(try shape(128, 64, 64, 32)))
        Conv2dKernel.winogradOwnMaxChannels = 64
        let strided = try ConvGeometry(batch: 128, inChannels: 16, height: 32, width: 32, outChannels: 16,
                                       kernel: (3, 3), stride: (2, 2), padding: (1, 1))
        let grouped = try ConvGeometry(batch: 8, inChannels: 16, height: 8, width: 8, outChannels: 16,
                                       kernel: (3, 3), padding: (1, 1), groups: 2)
        let dilated = try ConvGeometry(batch: 8, inChannels: 16, height: 8, width: 8, outChannels: 16,
                                       kernel: (3, 3), padding: (2, 2), dilation: (2, 2))
        XCTAssertTrue(Conv2dKernel.usesWinograd(resnet))
        for g in [strided, grouped, dilated] {
            XCTAssertFalse(Conv2dKernel.winogradApplies(g))
            XCTAssertFalse(Conv2dKernel.usesWinograd(g))
        }
        let before = Conv2dKernel.winogradEnabled
        defer { Conv2dKernel.winogradEnabled = before }
        Conv2dKernel.winogradEnabled = false
        XCTAssertFalse(Conv2dKernel.usesWinograd(resnet))
    }

    /// One partition per thread count; each image's result must not depend on the chunk
    /// it shares GEMMs with beyond rounding.
    func testThreadCounts() throws {
        let c = Case(n: 7, c: 16, k: 11, h: 13, w: 8, pad: 1), g = try geometry(c)
        let x = random(c.n * c.c * c.h * c.w, seed: 9), w = random(c.k * c.c * 9, seed: 10)
        let before = Parallel.threads
        defer { Parallel.threads = before }
        var ys: [[Float]] = []
        for t in [1, 2, 2] {
            Parallel.threads = t
            var y = [Float](repeating: 0, count: c.n * c.k * g.outPlane)
            try Conv2dKernel.forwardWinograd(g, x: x, weight: w, epilogue: ConvEpilogue(), y: &y)
            ys.append(y)
        }
        XCTAssertEqual(ys[1], ys[2], "same partition, same result")
        XCTAssertLessThan(relError(ys[0], ys[1].map(Double.init)), 1e-5)
    }

    /// VGG's 4×4 planes (one tile an image) go to Winograd by the real dispatch, forward
    /// and ∂L/∂x, and match the reference; 2×2 planes do not.
    func testFourByFourPlanesByDispatch() throws {
        let before = Parallel.threads
        defer { Parallel.threads = before }
        Parallel.threads = 1
        let c = Case(n: 64, c: 16, k: 24, h: 4, w: 4, pad: 1), g = try geometry(c)
        XCTAssertTrue(Conv2dKernel.usesWinograd(g))
        XCTAssertTrue(Conv2dKernel.usesWinograd(try XCTUnwrap(Conv2dKernel.transposedForInput(g))))
        XCTAssertFalse(Conv2dKernel.usesWinograd(try geometry(Case(n: 64, c: 16, k: 24, h: 2, w: 2, pad: 1))))
        let x = random(c.n * c.c * 16, seed: 81), w = random(c.k * c.c * 9, seed: 82), dy = random(c.n * c.k * 16, seed: 83)
        var y = [Float](repeating: .nan, count: c.n * c.k * 16), dx = [Float](repeating: .nan, count: x.count)
        try Conv2dKernel.forward(g, x: x, weight: w, bias: nil, y: &y)
        try Conv2dKernel.backward(g, x: x, weight: w, dy: dy, dx: &dx, dw: nil, db: nil)
        XCTAssertLessThan(relError(y, reference(g, x, w)), Self.relTolerance)
        XCTAssertLessThan(relError(dx, inputGradientReference(g, dy, w)), Self.relTolerance)
    }
}
