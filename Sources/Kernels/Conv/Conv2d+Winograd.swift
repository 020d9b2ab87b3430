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

    /// V[ξ][c][t] for the tiles t of images n0 ..< n0 + m (t = image·perImage + row·tilesW
    /// + column; lanes past the last tile read the plane's corner and are never used), of x
    /// gated by `gate` when given (`ReLUGate`, as the planes are copied).
    /// Each tile row is read as one 8-wide vector (2 columns past the tile, into the next
    /// row or the pad buffer's slack) and 8 tiles' rows are transposed into one vector per
    /// tile position: 24 shuffles per row instead of 48 single-float inserts. The rows are
    /// transformed straight from the transpose's registers (V = Bᵀ·(d·B)), so only one
    /// intermediate 6×6 block goes through memory: 36 stores and loads fewer per 8 tiles
    /// (Zen 1, pruned ResNet-56 inference at one thread: this pass 23 → 22 % of the time,
    /// within noise overall). Tried and dropped: 128-bit loads of two tiles' rows into one
    /// vector and in-lane 4×4 transposes instead of the 8×8 one (no vperm2f128), here and
    /// in the output pass: 4 % slower on Zen 1.
    static func winogradInput(_ g: ConvGeometry, _ tl: WinogradTiling, x: UnsafePointer<Float>,
                              gate: UnsafePointer<Float>? = nil, n0: Int, m: Int,
                              pad: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>, ld: Int,
                              pointStride vs: Int, tmp: UnsafeMutablePointer<Float>, tables: WinogradChunkTables? = nil) {
        let C = g.inChannels, H = g.height, W = g.width, wp = tl.wp, plane = tl.hp * tl.wp
        let (offs, runs) = tables.map { ($0.inputOffs, $0.inputRuns) } ?? inputGroups(tl, m: m, ld: ld)
        let interleaved = tables?.interleaved ?? []
        let wide = CPU.useAVX512 && wideTransforms
        let tv = UnsafeMutableRawPointer(tmp)
        if wide, let direct = tables?.direct, !direct.isEmpty {
            winogradInputDirect(g, x: x, gate: gate, n0: n0, m: m, v: v, ld: ld, pointStride: vs, runs: direct,
                                interleaved: interleaved)
            return
        }
        offs.withUnsafeBufferPointer { ob in
            let o = ob.baseAddress!
            for c in 0..<C {
                for j in 0..<m {
                    let at = ((n0 + j) * C + c) * H * W, src = x + at, dst = pad + j * plane + g.padH * wp + g.padW
                    if let gate {
                        for r in 0..<H { ReLUGate.apply(src + r * W, gate: gate + at + r * W, count: W, into: dst + r * wp) }
                    } else {
                        for r in 0..<H { copyRow(src + r * W, to: dst + r * wp, count: W) }
                    }
                }
                // The next channel's planes (one per image), over this channel's tiles.
                var next = PrefetchStream.channelPlanes(x, channel: c + 1, of: C, plane: H * W, n0: n0, m: m, steps: ld / 8)
                var nextGate = PrefetchStream.channelPlanes(gate, channel: c + 1, of: C, plane: H * W, n0: n0, m: m,
                                                            steps: ld / 8)
                var t0 = 0
                if wide {   // 16 tiles at a time, one 512-bit lane each (the same bits)
                    while t0 + 16 <= ld {
                        next.step(); next.step(); nextGate.step(); nextGate.step()
                        if !runs.isEmpty && runs[t0 / 16] {
                            let lanes: Int32 = !interleaved.isEmpty && interleaved[t0 / 16] ? 1 : 0
                            topiary_winograd_input16_runs_avx512(pad, o + t0, wp, v + c * ld + t0, vs, lanes)
                        } else {
                            topiary_winograd_input16_avx512(pad, o + t0, wp, v + c * ld + t0, vs)
                        }
                        t0 += 16
                    }
                }
                while t0 < ld {
                    next.step(); nextGate.step()
                    let p0 = pad + o[t0], p1 = pad + o[t0 + 1], p2 = pad + o[t0 + 2], p3 = pad + o[t0 + 3]
                    let p4 = pad + o[t0 + 4], p5 = pad + o[t0 + 5], p6 = pad + o[t0 + 6], p7 = pad + o[t0 + 7]
                    // each row r of the 8 tiles (8 columns read, 6 used) turned into one vector
                    // per column and transformed at once: (d·B)[r][j] at tv[6r + j]
                    for r in 0..<6 {
                        @inline(__always) func row(_ p: UnsafeMutablePointer<Float>) -> SIMD8<Float> {
                            UnsafeRawPointer(p + r * wp).loadUnaligned(as: SIMD8<Float>.self)
                        }
                        let d = Transpose8x8.transposed(row(p0), row(p1), row(p2), row(p3), row(p4), row(p5), row(p6), row(p7))
                        let q = Winograd.input(d.0, d.1, d.2, d.3, d.4, d.5)
                        Winograd.store(q, at: tv + r * 6 * 32, stride: 32)
                    }
                    // columns: Bᵀ·(d·B), into V[6i + j][c][t0 ..< t0 + 8]
                    for j in 0..<6 {
                        @inline(__always) func ld8(_ r: Int) -> SIMD8<Float> {
                            tv.load(fromByteOffset: (r * 6 + j) * 32, as: SIMD8<Float>.self)
                        }
                        let q = Winograd.input(ld8(0), ld8(1), ld8(2), ld8(3), ld8(4), ld8(5))
                        let out = UnsafeMutableRawPointer(v + j * vs + c * ld + t0), step = 6 * vs * 4
                        Winograd.store(q, at: out, stride: step)
                    }
                    t0 += 8
                }
            }
        }
    }
}

extension Conv2dKernel {
    /// The input pass's tile corners in a chunk of `m` images' zero-bordered planes (`ld`
    /// entries) and, with the wide transforms, which groups of 16 it takes as four runs.
    static func inputGroups(_ tl: WinogradTiling, m: Int, ld: Int) -> (offs: [Int], runs: [Bool]) {
        let offs = tl.corners(tiles: m * tl.perImage, count: ld, plane: tl.hp * tl.wp, rowStride: tl.wp)
        let wide = CPU.useAVX512 && wideTransforms
        return (offs, wide && winogradInputRuns ? fourRuns(offs, ld) : [])
    }

    /// The tile tables of a forward chunk of `m` images (`ld` columns): the input and output
    /// passes' (`inputGroups`, `outputGroups`), and for each group of 16 tiles whether both
    /// passes take it as four runs of four, so its lanes go in the interleaved order
    /// (`interleavedRuns`; only with `interleave`, i.e. our own products). A chunk size's
    /// tables are made once per pass and thread, not per chunk.
    struct WinogradChunkTables {
        let m: Int
        let inputOffs: [Int], inputRuns: [Bool]
        let outputOffs: [Int], shape: [Int], whole16: [Bool], outputRuns: [Bool]
        let interleaved: [Bool]
        /// Where every group is four runs (`winogradDirectInput`): for run k of group q, the
        /// offset of its first tile's input corner from image n0's plane of a channel, its row
        /// and its column (12 entries a group, `topiary_winograd_input16_runs_direct_avx512`);
        /// empty where the planes are copied.
        let direct: [Int]
        /// `outputs: false` (∂L/∂w, which has no output pass) makes the input tables only.
        init(_ g: ConvGeometry, _ tl: WinogradTiling, m: Int, ld: Int, interleave: Bool, outputs: Bool = true) {
            self.m = m
            (inputOffs, inputRuns) = Conv2dKernel.inputGroups(tl, m: m, ld: ld)
            (outputOffs, shape, whole16, outputRuns) = outputs
                ? Conv2dKernel.outputGroups(g, tl, tiles: m * tl.perImage) : ([], [], [], [])
            let (input, output) = (inputRuns, outputRuns)
            interleaved = interleave && interleavedRuns && !input.isEmpty && !output.isEmpty
                ? output.indices.map { $0 < input.count && input[$0] && output[$0] } : []
            direct = winogradDirectInput && 16 * input.count == ld && input.allSatisfy { $0 }
                ? Conv2dKernel.directRuns(g, tl, groups: input.count) : []
        }
    }

    /// For each whole group of 16 tiles in `offs` (tile corners, `ld` of them), whether
    /// it is four runs of four tiles side by side (offs[4k + t] = offs[4k] + 4t), the
    /// layout `topiary_winograd_input16_runs_avx512` takes.
    static func fourRuns(_ offs: [Int], _ ld: Int) -> [Bool] {
        (0..<(ld / 16)).map { group in
            (0..<4).allSatisfy { k in
                let first = offs[16 * group + 4 * k]
                return (1..<4).allSatisfy { offs[16 * group + 4 * k + $0] == first + 4 * $0 }
            }
        }
    }
}

extension Conv2dKernel {
    /// Fewest input and output channels for the Winograd path; 1 or less (tests) sends
    /// every shape the kernel computes to it.
    nonisolated(unsafe) public static var winogradMinChannels = 8

    /// Smallest output height and width for the Winograd path (see `usesWinograd`;
    /// `topiary bench --ab winograd-4x4` sets 8 for A).
    nonisolated(unsafe) public static var winogradMinPlane = 4

    /// Whether Winograd takes a forward (and dx) the direct kernel could run: for output
    /// planes up to 16×16, and on 32×32 where its products run on `WinogradProducts`
    /// (`ownWinogradProducts`; with OpenBLAS's products direct won there, 16c32 16.8 / 36 ms
    /// on Zen 1). Its ∂L/∂w has its own choice (`usesWinogradWeightGradient`).
    /// Batch 128, direct / Winograd:
    /// - "AMD EPYC" Zen 1 (family 23 model 1, 256-bit FMAs split in two), one thread,
    ///   forward: 32c16 16.3 / 9.4 ms, 32→23 c16 12.7 / 7.7, 16→32 c16 15.5 / 7.3, 32→16 c16
    ///   10.9 / 7.8, 32c8 4.8 / 3.1, 16c16 6.2–8.0 / 5.2–6.1, 8→16 c16 4.7 / 4.0; dx 32c16
    ///   17.4 / 9.4; 32×32 planes, forward / forward + backward: 16c32 17.4 / 11.4,
    ///   34 / 28.7 ms; 16→11 13.1 / 8.7; 11→16 12.0 / 8.7; 32c32 68 / 30, 133 / 96; 16→8
    ///   9.1 / 7.8; 8→16 and 8c32 even (8.8 / 8.5, 4.8 / 4.9).
    /// - "AMD EPYC" Zen 3 (family 25 model 1, full-width FMAs), `topiary bench conv --ab
    ///   winograd-first`, 4 alternating rounds, 1 | 2 threads: forward 16c32 7.9 / 5.5 |
    ///   4.3 / 3.0, 32c16 8.0 / 3.7 | 5.2 / 3.2, 16→11 c32 6.7 / 4.6 | 3.9 / 2.6, 32→23 c16
    ///   7.6 / 4.0 | 5.6 / 2.5; dx 16c32 9.7 / 7.4 | 5.1 / 4.0, 32c16 9.8 / 4.9 | 5.1 / 3.1;
    ///   the other pruned shapes even to 1.4× (`bench train --ab winograd-first`:
    ///   infer/resnet56 1.34× | 1.40×, train step 1.17× | 1.23×). Until 2026-12-02 only CPUs
    ///   that split FMAs took Winograd here (measured on Zen 3 with OpenBLAS's products,
    ///   before `WinogradProducts`); CPUs with 512-bit FMAs are not measured.
    public static func prefersWinograd(_ g: ConvGeometry) -> Bool {
        winogradOverDirect && usesWinograd(g) && (g.outPlane <= 256 || ownWinogradProducts(g))
    }

    /// Channels up to which a Winograd chunk's 36 products run on `WinogradProducts`
    /// instead of OpenBLAS; `TOPIARY_WINOGRAD_OWN_MAX` sets it, 0 turns it off (tests run
    /// both). "AMD EPYC" Zen 1, batch 128, one thread, 2–3 alternating rounds, forward with
    /// OpenBLAS / own products: 32c16 13.3 / 8.4 ms, 16→32 c16 7.0 / 5.4, 32→16 c16 9.2 /
    /// 6.4, 32→23 c16 12.6 / 8.5, 32c8 3.2 / 2.7, 64→45 c8 5.5 / 5.0, 32→64 c8 4.5 / 3.8,
    /// 64c8 7.2 / 7.1, VGG 64c32 110 / 96; 128c16 even. Zen 4 (OpenBLAS's AVX-512
    /// "Cooperlake" kernels), `topiary bench conv --ab own-128` (limit 128 against 64), 4
    /// alternating rounds, 1 | 2 threads: VGG 128c16 forward 1.07× | 1.11×, dx 1.11× |
    /// 1.02×; so up to 128 channels.
    nonisolated(unsafe) public static var winogradOwnMaxChannels = configuredOwnMaxChannels

    /// `winogradOwnMaxChannels`' value at start: `TOPIARY_WINOGRAD_OWN_MAX`, else 128.
    public static let configuredOwnMaxChannels =
        Int(ProcessInfo.processInfo.environment["TOPIARY_WINOGRAD_OWN_MAX"] ?? "") ?? 128

    /// Whether the chunk products of `forwardWinograd` run on `WinogradProducts`.
    static func ownWinogradProducts(_ g: ConvGeometry) -> Bool {
        max(g.inChannels, g.outChannels) <= winogradOwnMaxChannels
    }

    /// `prefersWinograd`'s switch: on unless `TOPIARY_WINOGRAD_FIRST=0` (the direct
    /// kernel then keeps the small-channel forwards and dx, to compare).
    nonisolated(unsafe) public static var winogradOverDirect =
        ProcessInfo.processInfo.environment["TOPIARY_WINOGRAD_FIRST"] != "0"

    /// The one place that chooses Winograd over im2col / taps for a forward pass (and for
    /// dx, which runs as a forward pass of the transposed convolution).
    ///
    /// A/B against the im2col / taps paths, alternating in one process, one thread, on a
    /// loaded 2-core AMD EPYC (AVX2; noisy, relative only: im2col time / Winograd time,
    /// forward and dx, batch 128):
    /// - 3 input channels (first layers 3→16, 3→64 at 32×32): 0.2–0.5×, so ≥ 8 channels;
    /// - 32×32 planes with 8–16 channels (16c32, 16→8, 8→16, 8→8): 0.7–1.3×, about even,
    ///   so 32×32 planes take Winograd from 32 channels (64c32: 1.2–1.9×), or where
    ///   `WinogradProducts` runs the products (see `prefersWinograd` for its figures);
    /// - 16×16 and 8×8 planes: 32c16 1.2–2.7×, 64c8 1.0–1.5×, 32→23 c16 1.4–3×,
    ///   64→45 c8 1.2–1.8×, 128c16 1.6–2.1×, 256c8 1.2–1.6×;
    /// - 2×2 planes (VGG 512c2 0.2×: 36 products an image against 16 taps inside it): never;
    ///   4×4 planes (one tile an image, 36 products against the ~100 the taps inside the
    ///   image take): measured 0.6–1.0× in the first days, against the per-tap GEMMs
    ///   (`usesTaps`) on Zen 4 in 2026-12 (`topiary bench conv --ab winograd-4x4`, 4
    ///   alternating rounds, 1 | 2 threads) forward 512c4 2.38× | 2.08×, dx 1.29× | 1.07×
    ///   (its weights transformed at every call), so from 4×4 up (`winogradMinPlane`);
    /// - batch 1 (16 tiles of 16×16, 4 of 8×8 per GEMM): 0.1–0.45×; 64 tiles (64c32): 1.0×,
    ///   so a GEMM needs ≥ 64 tiles.
    /// Chunks of 128 tiles beat 64, 256 and 512.
    public static func usesWinograd(_ g: ConvGeometry) -> Bool {
        guard winogradEnabled, winogradApplies(g) else { return false }
        let channels = min(g.inChannels, g.outChannels), tl = WinogradTiling(g)
        let parts = ParallelBatch.parts(g.batch), perPart = (g.batch + parts - 1) / parts
        let tiles = min(perPart * tl.perImage, winogradTiles)
        if winogradMinChannels <= 1 { return true }   // tests: every shape it computes
        return channels >= winogradMinChannels && g.outHeight >= winogradMinPlane && g.outWidth >= winogradMinPlane
            && tiles >= 64
            && (g.outPlane <= 512 || channels >= 32 || ownWinogradProducts(g))
    }
}
