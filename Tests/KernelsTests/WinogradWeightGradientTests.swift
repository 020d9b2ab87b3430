import XCTest
@testable import Kernels
@testable import Tensor

/// ∂L/∂w by Winograd F(4×4, 3×3) (`Conv2dKernel.weightGradientWinograd`) against the
/// weight gradient summed in double. Tolerance as in `WinogradTests`, relative to max |dw|:
/// the transforms' growth is the forward's (A in place of Aᵀ, G in place of Gᵀ), and a
/// wrong transform, tile order, border or lane gives errors of order max |dw|.
final class WinogradWeightGradientTests: XCTestCase, Conv3x3Checks {
    static let relTolerance = WinogradTests.relTolerance

    typealias Case = Conv3x3Case

    /// `Winograd.gradient` (A) is the transpose of `Winograd.output` (Aᵀ): for any f and m,
    /// f·(Aᵀm) = (Af)·m. The identity the whole kernel rests on, checked lane by lane.
    func testGradientTransformIsTransposeOfOutputTransform() {
        var rng = Xoshiro256(seed: 5)
        for _ in 0..<20 {
            let f = (0..<4).map { _ in SIMD8<Float>((0..<8).map { _ in rng.nextNormal() }) }
            let m = (0..<6).map { _ in SIMD8<Float>((0..<8).map { _ in rng.nextNormal() }) }
            let o = Winograd.output(m[0], m[1], m[2], m[3], m[4], m[5])
            let a = Winograd.gradient(f[0], f[1], f[2], f[3])
            for l in 0..<8 {
                let lhs = Double(f[0][l]) * Double(o.0[l]) + Double(f[1][l]) * Double(o.1[l])
                    + Double(f[2][l]) * Double(o.2[l]) + Double(f[3][l]) * Double(o.3[l])
                let av = [a.0, a.1, a.2, a.3, a.4, a.5]
                let rhs = (0..<6).reduce(0.0) { $0 + Double(av[$1][l]) * Double(m[$1][l]) }
                XCTAssertEqual(lhs, rhs, accuracy: 1e-4 * max(1, abs(lhs)))
            }
        }
    }

    /// The AVX-512 chunk products (4 × 4 channels a tile, two 8-lane sums a vector) add the
    /// same bits to M as the 8-lane Swift tile, for channel counts that leave every remainder
    /// of the tile (rows and channels 1–3 short), one vector of tiles or many, a padded
    /// leading dimension, and an M that already holds sums (they are added to).
    func testAVX512GradientProductsBitEqual() throws {
        guard CPU.hasAVX512 else { throw XCTSkip("no AVX-512 on this CPU") }
        let (use, wide) = (CPU.useAVX512, WinogradGradientProducts.wide)
        defer { CPU.useAVX512 = use; WinogradGradientProducts.wide = wide }
        CPU.useAVX512 = true
        var seed: UInt64 = 900
        for (k, c) in [(1, 1), (3, 5), (4, 4), (5, 2), (8, 11), (13, 9), (16, 16), (23, 7), (32, 32)] {
            for (columns, ld) in [(8, 8), (24, 32), (136, 136)] {
                seed += 1
                let fs = k * ld + 5, vs = c * ld + 3
                let f = random(36 * fs, seed: seed), v = random(36 * vs, seed: seed + 500)
                let start = random(36 * k * c, seed: seed + 1000)
                var got: [[UInt32]] = []
                for on in [false, true] {
                    WinogradGradientProducts.wide = on
                    var m = start
                    WinogradGradientProducts.accumulate(f, v, outChannels: k, inChannels: c, columns: columns, ld: ld,
                                                        fStride: fs, vStride: vs, into: &m)
                    got.append(m.map(\.bitPattern))
                }
                XCTAssertEqual(got[0], got[1], "K \(k), C \(c), \(columns) columns, ld \(ld)")
                XCTAssertNotEqual(got[0], start.map(\.bitPattern), "nothing was added")
            }
        }
    }

    /// Random shapes (channels 1–45, planes 1–33, padding 0–2, partial tiles, batch 1–3),
    /// dw ADDED to what the buffer holds; products by `WinogradGradientProducts` (channel
    /// counts that do and do not fill its 4 × 2 tile) and by OpenBLAS.
    func testMatchesReference() throws {
        let before = Conv2dKernel.winogradOwnMaxChannels
        defer { Conv2dKernel.winogradOwnMaxChannels = before }
        for own in [64, 0] {
            Conv2dKernel.winogradOwnMaxChannels = own
            var worst = 0.0
            for (i, c) in cases(40, seed: 23).enumerated() {
                let g = try geometry(c)
                XCTAssertEqual(Conv2dKernel.ownWinogradGradientProducts(g), own > 0 && max(c.c, c.k) <= 32)
                let x = random(c.n * c.c * c.h * c.w, seed: 700 + UInt64(i)), dy = random(c.n * c.k * g.outPlane, seed: 800 + UInt64(i))
                let want = weightGradientReference(g, x, dy)
                var dw = [Float](repeating: 1, count: c.k * c.c * 9)
                try Conv2dKernel.weightGradientWinograd(g, x: x, dy: dy, dw: &dw)
                let err = relError(dw.map { $0 - 1 }, want)
                worst = max(worst, err)
                XCTAssertLessThan(err, Self.relTolerance, "own products \(own > 0), case \(i) \(c)")
            }
            print("winograd dw (own products \(own > 0)): worst error \(worst) of max |dw|")
        }
    }

    /// Through `backward`'s dispatch, with dx and db in the same call; batches that span
    /// several chunks of tiles (16×16 planes: 16 tiles an image, 8 images a chunk) and a
    /// last chunk that is partly filled.
    func testThroughBackward() throws {
        for (i, c) in [Case(n: 19, c: 16, k: 8, h: 16, w: 16, pad: 1), Case(n: 40, c: 11, k: 23, h: 8, w: 8, pad: 1),
                       Case(n: 9, c: 8, k: 16, h: 14, w: 14, pad: 1)].enumerated() {
            let g = try geometry(c)
            XCTAssertTrue(Conv2dKernel.usesWinogradWeightGradient(g), "case \(i) \(c)")
            let x = random(c.n * c.c * c.h * c.w, seed: 900 + UInt64(i)), w = random(c.k * c.c * 9, seed: 910 + UInt64(i))
            let dy = random(c.n * c.k * g.outPlane, seed: 920 + UInt64(i))
            var dw = [Float](repeating: 0, count: w.count), dx = [Float](repeating: .nan, count: x.count)
            var db = [Float](repeating: 0, count: c.k)
            try Conv2dKernel.backward(g, x: x, weight: w, dy: dy, dx: &dx, dw: &dw, db: &db)
            XCTAssertLessThan(relError(dw, weightGradientReference(g, x, dy)), Self.relTolerance, "case \(i) dw")
            XCTAssertLessThan(relError(dx, inputGradientReference(g, dy, w)), Self.relTolerance, "case \(i) dx")
            for o in 0..<c.k {
                let want = (0..<c.n).reduce(0.0) { s, n in
                    s + (0..<g.outPlane).reduce(0.0) { $0 + Double(dy[(n * c.k + o) * g.outPlane + $1]) }
                }
                XCTAssertEqual(Double(db[o]), want, accuracy: 1e-3 * max(1, abs(want)), "case \(i) db[\(o)]")
            }
        }
    }

    /// Each thread sums its own images: the same partition gives the same bits, another
    /// one the same gradient within rounding.
    func testThreadCounts() throws {
        let c = Case(n: 21, c: 16, k: 11, h: 13, w: 8, pad: 1), g = try geometry(c)
        let x = random(c.n * c.c * c.h * c.w, seed: 19), dy = random(c.n * c.k * g.outPlane, seed: 20)
        let before = Parallel.threads
        defer { Parallel.threads = before }
        var dws: [[Float]] = []
        for t in [1, 2, 2] {
            Parallel.threads = t
            var dw = [Float](repeating: 0, count: c.k * c.c * 9)
            try Conv2dKernel.weightGradientWinograd(g, x: x, dy: dy, dw: &dw)
            dws.append(dw)
        }
        XCTAssertEqual(dws[1], dws[2], "same partition, same result")
        XCTAssertLessThan(relError(dws[0], dws[1].map(Double.init)), 1e-5)
    }

    /// The dispatch: what it takes, what it leaves, and the switch that turns it off.
    func testDispatch() throws {
        func shape(_ n: Int, _ c: Int, _ k: Int, _ hw: Int, stride: Int = 1) throws -> ConvGeometry {
            try ConvGeometry(batch: n, inChannels: c, height: hw, width: hw, outChannels: k, kernel: (3, 3),
                             stride: (stride, stride), padding: (1, 1))
        }
        for g in [try shape(128, 64, 64, 8), try shape(128, 128, 128, 16), try shape(128, 64, 45, 8),
                  try shape(128, 64, 64, 32), try shape(128, 32, 32, 16), try shape(128, 16, 16, 32),
                  try shape(128, 16, 8, 32)] {
            XCTAssertTrue(Conv2dKernel.usesWinogradWeightGradient(g), "\(g)")
        }
        // 3 input channels (a stem), 4×4 planes, one small image, a stride
        for g in [try shape(128, 3, 16, 32), try shape(128, 512, 512, 4), try shape(1, 32, 32, 8),
                  try shape(128, 16, 32, 32, stride: 2)] {
            XCTAssertFalse(Conv2dKernel.usesWinogradWeightGradient(g), "\(g)")
        }
        let before = Conv2dKernel.winogradWeightGradientEnabled
        defer { Conv2dKernel.winogradWeightGradientEnabled = before }
        Conv2dKernel.winogradWeightGradientEnabled = false
        XCTAssertFalse(Conv2dKernel.usesWinogradWeightGradient(try shape(128, 64, 64, 8)))
        var dw = [Float](repeating: 0, count: 4 * 4 * 9)
        XCTAssertThrowsError(try Conv2dKernel.weightGradientWinograd(try shape(2, 4, 4, 8, stride: 2), x: [0], dy: [0], dw: &dw))
    }
}
