import Foundation
import CAVX512
import Tensor

/// 3×3, stride-1, undilated, ungrouped convolution by Winograd F(4×4, 3×3) (see
/// `Winograd`): 36 GEMMs of [Cout, Cin]·[Cin, tiles] instead of one of [Cout, 9·Cin]·
/// [9·Cin, plane], 2.25× fewer multiplies than im2col's 9 per output and channel pair
/// (4× on whole tiles), and no im2col matrix. A chunk of images shares the GEMMs so they
/// have ~`winogradTiles` columns; the cores take the chunks in turn (`ParallelBatch.runChunks`).
///
/// Per chunk and input channel the images are copied into a zero-bordered plane (any
/// padding, partial tiles at odd sizes; where the chunk's tiles are all runs of four on
/// AVX-512 they are read straight from x instead, `winogradInputDirect`), the 6×6 tiles are
/// transformed 8 at a time (one SIMD lane per tile) into V[ξ][c][tile]; after the GEMMs
/// M[ξ] = U[ξ]·V[ξ] the output transform writes the 4×4 tiles (clipped at the border) and the
/// output pass (`ConvEpilogue`) runs on the chunk's images while they are in cache.
extension Conv2dKernel {
    /// `TOPIARY_WINOGRAD=0` turns the Winograd path off (to compare with im2col / taps).
    nonisolated(unsafe) public static var winogradEnabled =
        ProcessInfo.processInfo.environment["TOPIARY_WINOGRAD"] != "0"
    /// Whether, where `CPU.useAVX512`, the input and output transforms take 16 tiles at a
    /// time on 512-bit vectors (CAVX512's `topiary_winograd_input16_avx512` /
    /// `…_output16_avx512`; the same bits as the 8-lane code, which takes the rest). Zen 5
    /// (family 26 model 2), `topiary bench conv --ab wide-transforms`, 5 alternating rounds, 1
    /// | 2 threads: forward 16c32 1.11× | 1.11×, 32c16 1.11× | 1.08×, 16→8 c32 1.12× | 1.12×,
    /// 64c8 1.05× | 0.87× (noisy VM); ∂L/∂w 16c32 1.02× | 1.04×. The arithmetic halved, but
    /// the tiles' 4-float stores through the output pass were then a quarter of pruned
    /// ResNet-56 inference (perf). Groups of 16 whole tiles are now stored by
    /// `topiary_winograd_store16_avx512` too: four tiles side by side make one 16-float row,
    /// the output pass runs on it in registers. `bench train --ab wide-transforms` (A: all 8
    /// lanes), 4 alternating rounds, 1 | 2 threads: infer/resnet56 1.19× | 1.17×,
    /// resnet56_pruned50 1.22× | 1.19×, vgg16_bn 1.06× | 1.04× (the store alone: pruned
    /// inference 59.6 → 49.0 ms at one thread).
    nonisolated(unsafe) public static var wideTransforms = true
    /// Whether 16 tiles that make four runs of four side by side (rows of tiles from 16
    /// outputs wide: ResNet's 32×32 and 16×16 planes) take the wide input transform that
    /// deinterleaves each run's rows (`topiary_winograd_input16_runs_avx512`, the same bits)
    /// instead of transposing 16 rows (`topiary bench --ab input-runs`). Zen 5 (family 26
    /// model 2), the C kernels alone on one 32×32 chunk in L1, best of 200, three rounds: 45,
    /// 59, 61 → 36, 45, 45 ns per 16 tiles. In the layers that is ~4 % of a 16c32 forward;
    /// `--ab` on a loaded host, 8–10 rounds, could not tell it from noise (0.95–1.05×), and
    /// infer/resnet56_pruned50 at one thread, 12 rounds: 1.05×.
    nonisolated(unsafe) public static var winogradInputRuns = true
    /// Whether 16 whole output tiles in four runs of four are transformed and stored in one
    /// call (`topiary_winograd_output_runs16_avx512`, the same bits) instead of transposed
    /// into a tile buffer first (`topiary bench --ab output-runs`). Measured as
    /// `winogradInputRuns`: 49, 48, 51 → 45, 43, 43 ns per 16 tiles (with ReLU).
    nonisolated(unsafe) public static var winogradOutputRuns = true
    /// Whether 16 whole output tiles that make four 8×8 planes (ResNet's last stage on CIFAR)
    /// are transformed and stored in one call (`topiary_winograd_output_planes8_avx512`, the
    /// same bits: two rows a 16-float store) instead of through a tile buffer and 4-float
    /// stores (`topiary bench --ab output-planes8`).
    nonisolated(unsafe) public static var winogradOutputPlanes8 = true
    /// Output passes that took their groups as 8×8 planes (tests check it ran; a plain counter).
    nonisolated(unsafe) static var planes8Passes = 0
    /// Whether a forward chunk's groups of 16 tiles that both passes take as four runs of four
    /// keep their tiles in the order the in-lane transposes leave them (tile t of run k in
    /// lane 4t + k of V and M, `WinogradChunkTables.interleaved`): the input kernel needs no permutes
    /// and the output kernel no transpose of 128-bit lanes (`topiary bench --ab interleave`).
    /// Each tile's values are the same bits in either order where the products are our own
    /// (`WinogradProducts` treats every column alike; OpenBLAS's sgemm does not always give a
    /// column the same bits at another position, so its chunks keep the plain order), and
    /// ∂L/∂w, which sums over the tiles, keeps the plain order too.
    nonisolated(unsafe) public static var interleavedRuns = true
    /// Forward chunks that had a group in the interleaved order (tests check it ran; a plain
    /// counter, not exact when threads race on it).
    nonisolated(unsafe) static var interleavedChunks = 0
    /// Tiles (GEMM columns) per chunk of images: 128, or `TOPIARY_WINOGRAD_TILES` (64…4096,
    /// for measuring another CPU's caches).
    nonisolated(unsafe) public static var winogradTiles: Int = {
        guard let s = ProcessInfo.processInfo.environment["TOPIARY_WINOGRAD_TILES"], let t = Int(s) else { return 128 }
        return min(max(t, 64), 4096)
    }()

    /// The tiles of a geometry: tiles per row and column, the zero-bordered input plane
    /// (Hp × Wp) every tile of which lies inside.
    struct WinogradTiling {
        let tilesH: Int, tilesW: Int, perImage: Int, hp: Int, wp: Int
        init(_ g: ConvGeometry) {
            tilesH = (g.outHeight + 3) / 4
            tilesW = (g.outWidth + 3) / 4
            perImage = tilesH * tilesW
            hp = 4 * tilesH + 2
            wp = 4 * tilesW + 2
        }

        /// The offset of each tile's top-left corner (t = image·perImage + row·tilesW +
        /// column, t < `tiles`) in a chunk's planes, `plane` floats an image with rows
        /// `rowStride` apart; the entries up to `count` hold `rest`.
        func corners(tiles: Int, count: Int, plane: Int, rowStride: Int, rest: Int = 0) -> [Int] {
            var offs = [Int](repeating: rest, count: max(count, tiles))
            for t in 0..<tiles {
                let j = t / perImage, r = t % perImage
                offs[t] = j * plane + 4 * (r / tilesW) * rowStride + 4 * (r % tilesW)
            }
            return offs
        }
    }

    /// How the Winograd passes cut a batch into chunks: images per chunk (about
    /// `winogradTiles` tiles, never more than one core's share of the batch), the GEMM
    /// columns of a full chunk (a multiple of 8), and the floats between the point blocks of
    /// its matrices with C rows (V) and K rows (M, Fˆ).
    struct WinogradChunks {
        let tiling: WinogradTiling, images: Int, columns: Int, inStride: Int, outStride: Int
        init(_ g: ConvGeometry) throws {
            guard winogradApplies(g) else {
                throw TensorError("conv2d: the Winograd path takes 3×3 stride-1 convolutions only")
            }
            tiling = WinogradTiling(g)
            let parts = ParallelBatch.parts(g.batch)
            images = max(1, min((g.batch + parts - 1) / parts, winogradTiles / tiling.perImage))
            columns = (images * tiling.perImage + 7) & ~7
            inStride = Winograd.pointStride(rows: g.inChannels, ld: columns)
            outStride = Winograd.pointStride(rows: g.outChannels, ld: columns)
        }
    }

    /// Whether the geometry is one the Winograd kernel computes (3×3, stride 1, dilation 1,
    /// one group); `usesWinograd` decides whether it is the fastest.
    public static func winogradApplies(_ g: ConvGeometry) -> Bool {
        g.kernelH == 3 && g.kernelW == 3 && g.strideH == 1 && g.strideW == 1
            && g.dilationH == 1 && g.dilationW == 1 && g.groups == 1
    }

    /// y = epilogue(conv(x, weight)) by F(4×4, 3×3); `g` must satisfy `winogradApplies`.
    /// The weights' transform comes from `WinogradWeightCache` (`weightKey`: see there).
    /// With `inputGate` (x's shape), the input is x where the gate is positive and 0
    /// elsewhere (`ReLUGate`), applied as the input planes are copied. With `flipped` (∂L/∂x
    /// of that forward convolution), `weight` is ignored: the weights are `flipped`'s, made
    /// only when the cache has not their transform.
    public static func forwardWinograd(_ g: ConvGeometry, x: UnsafePointer<Float>, inputGate: UnsafePointer<Float>? = nil,
                                       weight: UnsafePointer<Float>, weightKey: UInt? = nil,
                                       flipped: FlippedWeights? = nil, epilogue e: ConvEpilogue,
                                       y: UnsafeMutablePointer<Float>) throws {
        let ch = try WinogradChunks(g)
        let C = g.inChannels, K = g.outChannels, tl = ch.tiling, nb = ch.images, vs = ch.inStride, ms = ch.outStride
        let own = ownWinogradProducts(g)
        // u: U for OpenBLAS's products, U packed for our own
        func transformed(_ body: (UnsafePointer<Float>) throws -> Void) throws {
            guard let f = flipped else {
                return try WinogradWeightCache.with(weight, key: weightKey, outChannels: K, inChannels: C, packed: own, body)
            }
            try WinogradWeightCache.with(source: f.weight, scale: f.scale, scaleCount: f.g.outChannels,
                                         key: weightKey ?? UInt(bitPattern: f.weight), outChannels: K, inChannels: C,
                                         packed: own, make: { transposeWeights(f.g, f.weight, scale: f.scale, into: $0) }, body)
        }
        try transformed { u in
            try ParallelBatch.runChunks(g.batch, chunk: nb, op: "conv2d") { next in
                Scratch.with(36 * vs, 36 * ms) { v, mb in
                    // tmp: 76 vectors of transform temporaries; pad: 8 floats of slack for the
                    // last tile's 8-wide row reads
                    Scratch.with(80 * 8, nb * tl.hp * tl.wp + 8, zeroed: true) { tmp, pad in
                        var tables: WinogradChunkTables?   // made once per chunk size, not per chunk
                        while let images = next() {
                            let n0 = images.lowerBound, m = images.count, cols = (m * tl.perImage + 7) & ~7
                            if tables?.m != m { tables = WinogradChunkTables(g, tl, m: m, ld: cols, interleave: own) }
                            let t = tables!
                            if t.interleaved.contains(true) { interleavedChunks &+= 1 }
                            winogradInput(g, tl, x: x, gate: inputGate, n0: n0, m: m, pad: pad, v: v, ld: cols,
                                          pointStride: vs, tmp: tmp, tables: t)
                            if own {
                                WinogradProducts.multiply(u, v, outChannels: K, inChannels: C, columns: cols, ld: cols,
                                                          vStride: vs, into: mb, mStride: ms)
                            } else {
                                for xi in 0..<36 {
                                    BLAS.sgemm(transA: false, transB: false, m: K, n: cols, k: C, a: u + xi * K * C,
                                               lda: C, b: v + xi * vs, ldb: cols, c: mb + xi * ms, ldc: cols)
                                }
                            }
                            winogradOutput(g, tl, mb: mb, ld: cols, pointStride: ms, n0: n0, m: m, y: y, tmp: tmp,
                                           epilogue: e, tables: t)
                        }
                    }
                }
            }
        }
    }
}
