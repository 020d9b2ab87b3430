import Tensor

/// Batch normalisation's training passes one channel at a time: a channel's statistics
/// (or gradient sums) and then its rows of the output, while those rows are still in
/// cache. Run as two passes over the whole map (`statistics` then `affine`,
/// `gradientSums` then `combine`), the second reads every value from memory again; here
/// it reads the channel just summed — at ResNet-56's first stage and batch 128 a channel
/// is 512 KB, so from L2. Only where the statistics need nothing from other processes
/// (not a synchronised BatchNorm, whose sums are combined over the ranks in between).
/// Each value is computed by the same row functions in the same order as the two-pass
/// kernels, so the results are the same bits.
extension BatchNormKernel {
    /// Whether `BatchNorm` uses the per-channel passes where they apply (`topiary bench --ab
    /// bn-channels`); bit-equal either way.
    nonisolated(unsafe) public static var perChannelPasses = true

    /// Whether the per-channel passes run for maps of `s` values a channel and image: from
    /// 256 (16×16 planes), where a channel's rows are runs of a kilobyte and more. On VGG's
    /// small planes (a 2×2 plane's rows are 16 bytes, 2 KB apart) the strided writes lost
    /// to the contiguous pass (`bench train --ab bn-channels`, 2 threads, vgg16_bn 0.92×).
    public static func usesPerChannelPasses(s: Int) -> Bool { perChannelPasses && s >= 256 }

    /// Calls of `normalize` and `gradient` since the process started (tests check they ran).
    nonisolated(unsafe) static var perChannelRuns = 0

    /// The training forward: per channel, the mean and biased variance (into `mean` and
    /// `variance`, as `statistics`), then `affine(channel, mean, variance)` gives the
    /// channel's scale and shift and its rows of y are written as `affine` writes them
    /// (plus `residual`, then max(·, 0) with `relu`). `affine` is called once per channel,
    /// from any thread.
    public static func normalize(_ x: UnsafePointer<Float>, n: Int, c: Int, s: Int,
                                 residual: UnsafePointer<Float>? = nil, relu: Bool,
                                 mean: UnsafeMutablePointer<Double>, variance: UnsafeMutablePointer<Double>,
                                 affine: (_ channel: Int, _ mean: Double, _ variance: Double) -> (scale: Float, shift: Float),
                                 y: UnsafeMutablePointer<Float>) {
        perChannelRuns += 1
        Parallel.ranges(c, grain: channelGrain(n: n, s: s)) { lo, hi in
            for ch in lo..<hi {
                let (m, v) = channelStatistics(x, n: n, c: c, s: s, channel: ch)
                mean[ch] = m
                variance[ch] = v
                let (a, b) = affine(ch, m, v)
                for i in 0..<n {
                    let o = (i * c + ch) * s
                    affineRow(x + o, s, a, b, residual: residual.map { $0 + o }, relu: relu, y + o)
                }
            }
        }
    }

    /// The training backward: per channel, Σ dy and Σ dy·(x − center) (into `sumDy` and
    /// `sumDyX`, as `gradientSums`, of the gated gradient with a `gate`), then
    /// `coefficients(channel, Σ dy, Σ dy·(x − center))` gives k, u, v and the channel's rows
    /// of dx = k·dy + u·x + v are written as `combine` writes them. `coefficients` is called
    /// once per channel, from any thread.
    public static func gradient(_ x: UnsafePointer<Float>, dy: UnsafePointer<Float>, n: Int, c: Int, s: Int,
                                center: UnsafePointer<Float>, gate: BatchNormGate? = nil,
                                sumDy: UnsafeMutablePointer<Double>, sumDyX: UnsafeMutablePointer<Double>,
                                coefficients: (_ channel: Int, _ sumDy: Double, _ sumDyX: Double) -> (k: Float, u: Float, v: Float),
                                dx: UnsafeMutablePointer<Float>) {
        perChannelRuns += 1
        Parallel.ranges(c, grain: channelGrain(n: n, s: s)) { lo, hi in
            for ch in lo..<hi {
                let (a, b) = channelGradientSums(x, dy: dy, n: n, c: c, s: s, channel: ch, center: center[ch], gate: gate)
                sumDy[ch] = a
                sumDyX[ch] = b
                let (k, u, v) = coefficients(ch, a, b)
                let g = gate.map { ($0.scale[ch], $0.shift[ch]) }
                for i in 0..<n {
                    let o = (i * c + ch) * s
                    combineRow(x + o, dy + o, s, k, u, v, gate: g, dx + o)
                }
            }
        }
    }
}
