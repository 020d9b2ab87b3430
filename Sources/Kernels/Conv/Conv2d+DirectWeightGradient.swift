import CAVX512
import Tensor

/// ∂L/∂weight of a 3×3 stride-1 convolution with few channels, directly (see
/// `forwardDirect`): with the input in zero-bordered planes of width wp and dy in the same
/// "virtual" layout (rows wp apart, the two extra columns zero),
/// dW[o, c, i, j] = Σ_q dy[o, q] · x[c, q + i·wp + j] is a dot product over contiguous runs.
/// A register tile of 4 output channels × the 3 taps of one kernel row (12 accumulators)
/// takes 4 dy loads and 3 input loads per 12 FMAs. Each thread sums its images into its own
/// [Cout, Cin, 9] block; the blocks are added in a fixed order, so the result does not
/// depend on timing.
extension Conv2dKernel {
    /// dw += ∂L/∂weight; `g` must satisfy `directApplies`.
    public static func weightGradientDirect(_ g: ConvGeometry, x: UnsafePointer<Float>, dy: UnsafePointer<Float>,
                                            dw: UnsafeMutablePointer<Float>) throws {
        guard directApplies(g) else {
            throw TensorError("conv2d: the direct path takes 3×3 stride-1 convolutions only")
        }
        let C = g.inChannels, K = g.outChannels, pl = DirectPlane(g), B = DirectPlane.block
        let blocks = (K + B - 1) / B, wSize = K * C * 9, parts = ParallelBatch.parts(g.batch)
        let rows = DirectPlane(stride: pl.computed, like: pl)   // dy: the plane without the reading slack
        let runs = DirectRuns(g, pl), wide = CPU.useAVX512
        // with whole pairs of blocks over output rows of 8-multiples, the 16-float tiles read
        // dy's own rows (no copy); else dy in x's layout (rows `dyRow` apart, blocks `dyLd`)
        let own = wide && K % (2 * B) == 0 && g.outWidth % 8 == 0
        let (dyLd, dyRow) = own ? (g.outPlane, g.outWidth) : (pl.computed, runs.rowStride)
        try Scratch.with(parts * wSize, zeroed: true) { local in
            try ParallelBatch.run(g.batch, op: "conv2d backward") { part, lo, hi, stop in
                Scratch.with(C * pl.stride, blocks * B * pl.computed, 12 * 16, zeroed: true) { xp, dyv, acc in
                    let mine = local + part * wSize
                    for n in lo..<hi {
                        if stop() { return }
                        directPlanes(x + n * C * g.inPlane, channels: C, height: g.height, width: g.width,
                                     top: g.padH, left: g.padW, pl, into: xp)
                        let dyn = dy + n * K * g.outPlane, dyb = own ? dyn : UnsafePointer(dyv)
                        if !own {
                            directPlanes(dyn, channels: K, height: g.outHeight, width: g.outWidth, top: 0, left: 0, rows, into: dyv)
                        }
                        // The next image's x and dy, over this image's tiles.
                        let more = n + 1 < hi, steps = blocks * C * 3
                        var nextX = more ? PrefetchStream(x + (n + 1) * C * g.inPlane, bytes: C * g.inPlane * 4,
                                                          steps: steps) : .none
                        var nextDy = more ? PrefetchStream(dy + (n + 1) * K * g.outPlane, bytes: K * g.outPlane * 4,
                                                           steps: steps) : .none
                        var b = 0
                        while b < blocks {
                            // with AVX-512, two blocks at a time (16-float vectors, the same bits)
                            let pair = wide && b + 1 < blocks
                            for c in 0..<C {
                                for i in 0..<3 {
                                    nextX.step(); nextDy.step()
                                    let xr = xp + c * pl.stride + i * pl.wp
                                    if pair {
                                        directWeightTiles16(dyb + b * B * dyLd, dyb + (b + 1) * B * dyLd,
                                                            ld: dyLd, dyRowStride: dyRow, x: xr, runs: runs, out: mine,
                                                            outChannels: (B, min(B, K - (b + 1) * B)),
                                                            at: ((b * B * C + c) * 9 + i * 3, ((b + 1) * B * C + c) * 9 + i * 3),
                                                            step: C * 9, acc: acc)
                                    } else {
                                        directWeightTile(dyv + b * B * pl.computed, ld: pl.computed, x: xr, runs: runs,
                                                         out: mine, outChannels: min(B, K - b * B),
                                                         at: (b * B * C + c) * 9 + i * 3, step: C * 9)
                                    }
                                }
                            }
                            b += pair ? 2 : 1
                        }
                    }
                }
            }
            sumParts(local, parts: parts, size: wSize)
            addInto(dw, local, count: wSize)
        }
    }

    /// The positions a weight-gradient tile sums over: `rows` runs of `vectors` × 8
    /// positions, `rowStride` apart. When the output width is a multiple of 8 these are the
    /// output rows themselves (64 positions for an 8×8 plane, not 96); otherwise the whole
    /// virtual plane is one run (its dropped columns and tail are zero in dy).
    struct DirectRuns {
        let rows: Int, vectors: Int, rowStride: Int
        init(_ g: ConvGeometry, _ pl: DirectPlane) {
            if g.outWidth % 8 == 0 {
                (rows, vectors, rowStride) = (g.outHeight, g.outWidth / 8, pl.wp)
            } else {
                (rows, vectors, rowStride) = (1, pl.computed / 8, 0)
            }
        }
    }

    /// `directWeightTile` for the blocks at `dya` and `dyb` (rows `dyRowStride` apart) at once, by
    /// `topiary_direct_dw_tiles_avx512` into `acc` (12 × 16 floats), each half reduced as
    /// the 8-lane tile reduces its sums.
    @inline(__always)
    static func directWeightTiles16(_ dya: UnsafePointer<Float>, _ dyb: UnsafePointer<Float>, ld: Int, dyRowStride: Int,
                                    x: UnsafePointer<Float>,
                                    runs: DirectRuns, out: UnsafeMutablePointer<Float>, outChannels: (Int, Int),
                                    at: (Int, Int), step: Int, acc: UnsafeMutablePointer<Float>) {
        topiary_direct_dw_tiles_avx512(dya, dyb, ld, x, runs.rows, runs.vectors, runs.rowStride, dyRowStride, acc)
        let a = UnsafeRawPointer(acc)
        for k in 0..<4 {
            for j in 0..<3 {
                let v = a.loadUnaligned(fromByteOffset: (3 * k + j) * 64, as: SIMD16<Float>.self)
                if k < outChannels.0 { out[at.0 + k * step + j] += v.lowHalf.sum() }
                if k < outChannels.1 { out[at.1 + k * step + j] += v.highHalf.sum() }
            }
        }
    }

    /// out[at + k·step + j] += Σ_q dy[k·ld + q] · x[q + j] over the positions q of `runs`,
    /// for k < 4 (the first `outChannels` stored; dy rows past them are zero), j < 3.
    @inline(__always)
    static func directWeightTile(_ dy: UnsafePointer<Float>, ld: Int, x: UnsafePointer<Float>, runs: DirectRuns,
                                 out: UnsafeMutablePointer<Float>, outChannels: Int, at: Int, step: Int) {
        typealias V = SIMD8<Float>
        @inline(__always) func load(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }
        var a00 = V(), a01 = V(), a02 = V(), a10 = V(), a11 = V(), a12 = V()
        var a20 = V(), a21 = V(), a22 = V(), a30 = V(), a31 = V(), a32 = V()
        for r in 0..<runs.rows {
            var q = r * runs.rowStride
            for _ in 0..<runs.vectors {
                let x0 = load(x + q), x1 = load(x + q + 1), x2 = load(x + q + 2)
                let d0 = load(dy + q), d1 = load(dy + ld + q), d2 = load(dy + 2 * ld + q), d3 = load(dy + 3 * ld + q)
                a00 = a00.addingProduct(d0, x0); a01 = a01.addingProduct(d0, x1); a02 = a02.addingProduct(d0, x2)
                a10 = a10.addingProduct(d1, x0); a11 = a11.addingProduct(d1, x1); a12 = a12.addingProduct(d1, x2)
                a20 = a20.addingProduct(d2, x0); a21 = a21.addingProduct(d2, x1); a22 = a22.addingProduct(d2, x2)
                a30 = a30.addingProduct(d3, x0); a31 = a31.addingProduct(d3, x1); a32 = a32.addingProduct(d3, x2)
                q += 8
            }
        }
        @inline(__always) func add(_ k: Int, _ a: V, _ b: V, _ c: V) {
            guard k < outChannels else { return }
            let o = out + at + k * step
            o[0] += a.sum(); o[1] += b.sum(); o[2] += c.sum()
        }
        add(0, a00, a01, a02); add(1, a10, a11, a12); add(2, a20, a21, a22); add(3, a30, a31, a32)
    }
}
