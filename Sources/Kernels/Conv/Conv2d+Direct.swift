import Foundation
import CAVX512
import Tensor

/// 3×3, stride-1, undilated, ungrouped convolution with few channels, computed directly:
/// no im2col matrix and no GEMM call, whose [Cout, 9·Cin]·[9·Cin, plane] shape is skinny
/// when Cout is 8–32 (ResNet-56's stages, and every pruned layer below them).
///
/// Each image is copied into a zero-bordered plane per channel of width wp = OW + 2, so
/// the input under output (oh, ow) and tap (i, j) is at (oh + i)·wp + ow + j: over the
/// "virtual" output positions q = oh·wp + ow (two columns per row are computed and
/// dropped) every tap is one contiguous run, q + i·wp + j. A register tile of 4 output
/// channels × 24 positions (12 AVX accumulators) runs over input channels and the 9 taps:
/// per tap 3 vector loads and 4 broadcasts feed 12 FMAs. Output channels are taken 4 at a
/// time (weights zero-padded to a multiple of 4, so 11 or 23 channels cost 12 or 24, not a
/// cliff); the block's rows are then written out through the output pass (`ConvEpilogue`).
/// Every output is summed in the same order (channel, then tap) whatever the batch split —
/// and whatever the vector width: where `CPU.useAVX512`, two tiles at a time run as three
/// 16-float vectors (CAVX512's `topiary_direct_tiles_avx512`), with the same bits.
extension Conv2dKernel {
    /// `TOPIARY_DIRECT=0` turns the direct path off (to compare with im2col / Winograd).
    nonisolated(unsafe) public static var directEnabled =
        ProcessInfo.processInfo.environment["TOPIARY_DIRECT"] != "0"
    /// Most input or output channels the direct path takes (`TOPIARY_DIRECT_MAX`; tests set
    /// a large value to send every shape it computes to it).
    nonisolated(unsafe) public static var directMaxChannels =
        Int(ProcessInfo.processInfo.environment["TOPIARY_DIRECT_MAX"] ?? "") ?? 32

    /// The virtual plane of a geometry: padded row width, positions computed (a whole
    /// number of tiles), floats per padded input channel (the last tile's reads included).
    ///
    /// A tile is 3 vectors of 8 positions, `step` apart: consecutive (q, q + 8, q + 16) on
    /// planes of any width, or the same columns of 3 consecutive rows (q, q + wp, q + 2·wp)
    /// when the output is 8 wide (`rowTiled`), where 24 consecutive positions would compute
    /// the two dropped columns of every row and a padded tail (96 positions for 64 outputs;
    /// row tiles compute 72).
    struct DirectPlane {
        static let tile = 24, block = 4
        let wp: Int, computed: Int, stride: Int
        /// Distance between a tile's three vectors, and from one tile to the next.
        let step: Int, advance: Int, rowTiled: Bool
        init(_ g: ConvGeometry) {
            wp = g.outWidth + 2
            rowTiled = g.outWidth == 8
            if rowTiled {
                step = wp
                advance = 3 * wp
                computed = (g.outHeight + 2) / 3 * advance
            } else {
                step = 8
                advance = Self.tile
                computed = (g.outHeight * wp + Self.tile - 1) / Self.tile * Self.tile
            }
            // The last tile reads up to 2·wp + 2 past its last vector's start.
            stride = (computed + 2 * wp + 2 + 7) & ~7
        }
        /// `pl`'s rows with planes `stride` apart (dy's planes need no reading past the end).
        init(stride: Int, like pl: DirectPlane) {
            wp = pl.wp
            computed = pl.computed
            step = pl.step
            advance = pl.advance
            rowTiled = pl.rowTiled
            self.stride = stride
        }
    }

    /// Whether the direct kernel computes this geometry (as `winogradApplies`).
    public static func directApplies(_ g: ConvGeometry) -> Bool { winogradApplies(g) }

    /// The one place that chooses the direct kernel, for a forward pass and for dx (a
    /// forward pass of the transposed convolution); the weight gradient follows it
    /// (`weightGradientDirect`). `topiary bench conv --ab direct`, 2 threads, batch 128,
    /// 3 alternating rounds, "AMD EPYC" (Zen 3, AVX2), time without / with:
    /// - ≤ 32 channels: forward 16c32 1.8×, 16→8 2.4–2.6×, 8→16 1.8×, 16→11 2.9×,
    ///   3→16 2.9×, 32c16 1.3×, 32→23 c16 1.5×; dx 1.2–2.6× (32→23: 0.96×);
    ///   dw 1.5–2.7×;
    /// - 64 channels (`TOPIARY_DIRECT_MAX=64`): 64c8 forward 1.05×, dw 0.48× (at 8×8 a
    ///   third of the 24-wide tiles is padding), 64→45 c8 0.6–0.8×, VGG 64c32 forward 0.8×,
    ///   dx 0.76×, dw 1.2×: Winograd's 2.25× fewer multiplies win from 64 channels.
    /// The tile loop alone runs at ~80 % of the FMA peak (74 of 91 GFLOP/s, one core, 16c32).
    /// - Stems (≤ `stemMaxInChannels` input channels) run directly up to twice as many
    ///   output channels: VGG's 3→64 c32 on "AMD EPYC" Zen 1 (family 23), batch 128, time
    ///   im2col / direct: forward 18.7 / 13.7 ms (1 thread), 9.8 / 7.5 (2 threads); dw
    ///   19.9 / 13.8, 10.9 / 7.4 — with 27 rows, im2col's GEMM is a pass over the output
    ///   that OpenBLAS first zeroes (sgemm_beta, 20 % of it).
    /// - Where `prefersWinograd` says so, the forward and dx go to Winograd and only dw
    ///   stays direct (`directWeightGradient`), unless Winograd's own ∂L/∂w takes it.
    public static func usesDirect(_ g: ConvGeometry) -> Bool {
        directTakes(g, maxChannels: directMaxChannels) && !prefersWinograd(g)
    }

    /// Whether, where `CPU.useAVX512`, the forward's tiles over outputs whose rows are a
    /// multiple of 16 wide (ResNet's and VGG's 32×32 and 16×16 planes) are runs of 16 outputs
    /// of one row, written straight into the output (`topiary_direct_rows_avx512`, the same
    /// bits), instead of 24-position tiles of the virtual plane copied out row by row
    /// (`topiary bench --ab direct-rows`). With 27 products per output (3 input channels),
    /// the copy out was 40 % of the kernel's time in VGG's 3→64 c32 forward (perf, two
    /// threads). Intel Xeon family 6 model 207, batch 128, 4 alternating rounds, paired, 1 |
    /// 2 threads: ResNet's stem 3→16 c32 1.38× | 1.38×, VGG's 3→64 c32 1.26× | 1.40×.
    /// Non-temporal stores of the runs were 1.4–1.7× slower.
    nonisolated(unsafe) public static var directOutputRows = true

    /// Whether `forwardDirect` takes `directOutputRows`' path for this geometry.
    static func writesOutputRows(_ g: ConvGeometry) -> Bool {
        directOutputRows && CPU.useAVX512 && g.outWidth % 16 == 0
    }

    /// Whether ∂L/∂w runs directly (`weightGradientDirect`), whichever kernel runs the
    /// forward: the channel limits above, and up to twice as many channels on planes of
    /// 32×32 and more (`directWeightGradientWidePlane`), where each 4-channel tile sums
    /// over long runs. VGG's 64c32 ∂L/∂w on "AMD EPYC" Zen 1 (family 23), batch 128, two
    /// alternating rounds, im2col / direct: 438 / 307, 424 / 274 ms at one thread, 220 /
    /// 168, 222 / 142 at two (torch: 188–192 at two); on Zen 3 1.2× (see above). Not at
    /// 128c16 (1 thread 1.1×, 2 threads 0.9×) nor 64c8 (0.8×). Where Winograd applies,
    /// `usesWinogradWeightGradient` decides first (it takes ≥ 8 channels, batch 128, here).
    public static func directWeightGradient(_ g: ConvGeometry) -> Bool {
        directTakes(g, maxChannels: directMaxChannels)
            || (g.outPlane >= directWeightGradientWidePlane && directTakes(g, maxChannels: 2 * directMaxChannels))
    }

    /// Output planes (positions) from which ∂L/∂w runs directly with twice the channels.
    static let directWeightGradientWidePlane = 32 * 32

    /// The channel limits of the direct kernel for `maxChannels` (stems: twice as many
    /// output channels).
    private static func directTakes(_ g: ConvGeometry, maxChannels: Int) -> Bool {
        guard directEnabled && directApplies(g) else { return false }
        let maxOut = g.inChannels <= stemMaxInChannels ? 2 * maxChannels : maxChannels
        return g.inChannels <= maxChannels && g.outChannels <= maxOut
    }

    /// Input channels up to which a convolution counts as a network's stem (RGB, grey).
    static let stemMaxInChannels = 4

    /// y = epilogue(conv(x, weight)), directly; `g` must satisfy `directApplies`.
    public static func forwardDirect(_ g: ConvGeometry, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                     epilogue e: ConvEpilogue, y: UnsafeMutablePointer<Float>) throws {
        guard directApplies(g) else {
            throw TensorError("conv2d: the direct path takes 3×3 stride-1 convolutions only")
        }
        let C = g.inChannels, K = g.outChannels, pl = DirectPlane(g), B = DirectPlane.block
        let blocks = (K + B - 1) / B, OH = g.outHeight, OW = g.outWidth, P = g.outPlane
        let outputRows = writesOutputRows(g)
        try Scratch.with(blocks * C * 9 * B, zeroed: true) { wk in
            packDirectWeights(weight, outChannels: K, inChannels: C, into: wk)
            try ParallelBatch.run(g.batch, op: "conv2d") { _, lo, hi, stop in
                // The borders of `xp` are never written, so they stay zero for every image.
                Scratch.with(C * pl.stride, outputRows ? 0 : B * pl.computed, zeroed: true) { xp, ys in
                    // prefetch steps a block: one per group of four 16-output runs, or per tile of the virtual plane
                    let steps = outputRows ? (P / 16 + 3) / 4 : pl.computed / pl.advance
                    let imageBytes = C * g.inPlane * MemoryLayout<Float>.size
                    for n in lo..<hi {
                        if stop() { return }
                        directPlanes(x + n * C * g.inPlane, channels: C, height: g.height, width: g.width,
                                     top: g.padH, left: g.padW, pl, into: xp)
                        // The next image's input, over all of this image's tiles.
                        var nextX = n + 1 < hi
                            ? PrefetchStream(x + (n + 1) * C * g.inPlane, bytes: imageBytes, steps: blocks * steps) : .none
                        for b in 0..<blocks {
                            let wb = wk + b * C * 9 * B, kc = min(B, K - b * B)
                            // This block's output rows, before the tiles (or the copy out of `ys`) write them.
                            var rows = PrefetchStream(y + (n * K + b * B) * P, bytes: kc * P * 4, steps: steps, write: true)
                            if outputRows {   // up to 4 runs of 16 outputs a call, stored in place
                                let yb = y + (n * K + b * B) * P, runs = P / 16
                                var v = 0
                                while v < runs {
                                    let count = min(4, runs - v)
                                    topiary_direct_rows_avx512(xp, pl.stride, C, pl.wp, wb, yb, P, OW, v, count, kc)
                                    nextX.step(); rows.step()
                                    v += count
                                }
                                if !e.isIdentity {
                                    for k in 0..<kc {
                                        let at = (n * K + b * B + k) * P
                                        e.apply(y + at, to: y + at, count: P, channel: b * B + k, at: at)
                                    }
                                }
                                continue
                            }
                            var q = 0
                            if pl.rowTiled {
                                while q < pl.computed {
                                    directTile(xp + q, stride: pl.stride, channels: C, wp: pl.wp, step: pl.step,
                                               weights: wb, out: ys + q, ld: pl.computed)
                                    nextX.step(); rows.step()
                                    q += pl.advance
                                }
                            } else if CPU.useAVX512 {   // two tiles a call, 16-float vectors (same bits)
                                while q < pl.computed {
                                    let count = min(2, (pl.computed - q) / DirectPlane.tile)
                                    topiary_direct_tiles_avx512(xp + q, pl.stride, C, pl.wp, wb, ys + q, pl.computed, count)
                                    for _ in 0..<count { nextX.step(); rows.step() }
                                    q += count * DirectPlane.tile
                                }
                            } else {   // the common case with its offsets as constants (8, 16)
                                while q < pl.computed {
                                    directTile(xp + q, stride: pl.stride, channels: C, wp: pl.wp, step: 8,
                                               weights: wb, out: ys + q, ld: pl.computed)
                                    nextX.step(); rows.step()
                                    q += DirectPlane.tile
                                }
                            }
                            for k in 0..<kc {
                                let o = b * B + k
                                for oh in 0..<OH {
                                    let src = ys + k * pl.computed + oh * pl.wp, at = (n * K + o) * P + oh * OW
                                    if e.isIdentity {
                                        copyRow(src, to: y + at, count: OW)
                                    } else {
                                        e.apply(src, to: y + at, count: OW, channel: o, at: at)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Copies one image's channels ([channels, height, width]) into planes `pl.stride` apart
    /// with rows `pl.wp` apart, at row `top` and column `left`; the rest is left as it is
    /// (zero: the borders and the dropped columns are never written).
    @inline(__always)
    static func directPlanes(_ src: UnsafePointer<Float>, channels: Int, height: Int, width: Int, top: Int, left: Int,
                             _ pl: DirectPlane, into dst: UnsafeMutablePointer<Float>) {
        for c in 0..<channels {
            for h in 0..<height {
                copyRow(src + (c * height + h) * width, to: dst + c * pl.stride + (h + top) * pl.wp + left, count: width)
            }
        }
    }

    /// dst[0 ..< count] = src[0 ..< count], inline (rows of 8–32 floats: a memmove call
    /// per row costs as much as the copy). The direct and Winograd paths' plane copies.
    @inline(__always)
    static func copyRow(_ src: UnsafePointer<Float>, to dst: UnsafeMutablePointer<Float>, count: Int) {
        typealias V = SIMD8<Float>
        var i = 0
        while i + 8 <= count {
            UnsafeMutableRawPointer(dst + i).storeBytes(of: UnsafeRawPointer(src + i).loadUnaligned(as: V.self), as: V.self)
            i += 8
        }
        while i < count { dst[i] = src[i]; i += 1 }
    }

    /// [Cout, Cin, 3, 3] → [Cout/4 blocks][Cin][tap][4] (`into` zeroed: the last block's
    /// missing channels stay zero).
    static func packDirectWeights(_ w: UnsafePointer<Float>, outChannels K: Int, inChannels C: Int,
                                  into wk: UnsafeMutablePointer<Float>) {
        let B = DirectPlane.block
        for o in 0..<K {
            for c in 0..<C {
                for t in 0..<9 { wk[((o / B * C + c) * 9 + t) * B + o % B] = w[(o * C + c) * 9 + t] }
            }
        }
    }

    /// One register tile: 4 output channels × 3 vectors of 8 virtual positions (at `xp`'s
    /// position and `step`, 2·`step` after it), summed over `channels` input planes (`stride`
    /// apart) and the 9 taps, stored to `out` (rows `ld` apart) at the same offsets.
    @inline(__always)
    static func directTile(_ xp: UnsafePointer<Float>, stride: Int, channels: Int, wp: Int, step: Int,
                           weights: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, ld: Int) {
        typealias V = SIMD8<Float>
        @inline(__always) func load(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }
        var a00 = V(), a01 = V(), a02 = V(), a10 = V(), a11 = V(), a12 = V()
        var a20 = V(), a21 = V(), a22 = V(), a30 = V(), a31 = V(), a32 = V()
        var plane = xp, w = weights
        for _ in 0..<channels {
            var row = plane
            for _ in 0..<3 {
                for j in 0..<3 {
                    let x0 = load(row + j), x1 = load(row + j + step), x2 = load(row + j + 2 * step)
                    let w0 = V(repeating: w[0]), w1 = V(repeating: w[1]), w2 = V(repeating: w[2]), w3 = V(repeating: w[3])
                    a00 = a00.addingProduct(w0, x0); a01 = a01.addingProduct(w0, x1); a02 = a02.addingProduct(w0, x2)
                    a10 = a10.addingProduct(w1, x0); a11 = a11.addingProduct(w1, x1); a12 = a12.addingProduct(w1, x2)
                    a20 = a20.addingProduct(w2, x0); a21 = a21.addingProduct(w2, x1); a22 = a22.addingProduct(w2, x2)
                    a30 = a30.addingProduct(w3, x0); a31 = a31.addingProduct(w3, x1); a32 = a32.addingProduct(w3, x2)
                    w += 4
                }
                row += wp
            }
            plane += stride
        }
        @inline(__always) func store(_ r: Int, _ a: V, _ b: V, _ c: V) {
            let p = UnsafeMutableRawPointer(out + r * ld)
            p.storeBytes(of: a, as: V.self)
            p.storeBytes(of: b, toByteOffset: 4 * step, as: V.self)
            p.storeBytes(of: c, toByteOffset: 8 * step, as: V.self)
        }
        store(0, a00, a01, a02); store(1, a10, a11, a12); store(2, a20, a21, a22); store(3, a30, a31, a32)
    }
}
