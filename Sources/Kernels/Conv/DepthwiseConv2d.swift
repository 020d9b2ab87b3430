import Tensor

/// Direct depthwise convolution (groups == in_channels, out_channels = multiplier ·
/// in_channels), where im2col + GEMM would multiply 1-row matrices. Output channel
/// `oc` reads input channel `oc / multiplier`. Work is split by planes.
public enum DepthwiseConv2d {
    public static func forward(_ g: ConvGeometry, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                               bias: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>) throws {
        let mult = g.outChannels / g.inChannels, taps = g.kernelH * g.kernelW
        let layout = paddedLayout(g), offsets = columnOffsets(g, layout)
        // by input plane: its zero-bordered copy serves the `mult` output planes that read it
        try offsets.withUnsafeBufferPointer { offsets in try ParallelBatch.run(g.batch * g.inChannels, op: "conv2d") { _, lo, hi, stop in
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: layout.rows * layout.rowLength)
            scratch.initialize(repeating: 0, count: layout.rows * layout.rowLength)   // the border stays zero
            defer { scratch.deallocate() }
            for plane in lo..<hi {
                if plane & 63 == 0 && stop() { return }
                let n = plane / g.inChannels, c = plane % g.inChannels
                fillPadded(g, x + plane * g.inPlane, scratch, layout)
                for k in 0..<mult {
                    let oc = c * mult + k
                    forwardPlane(g, scratch, layout, offsets: offsets, weight: weight + oc * taps, bias: bias?[oc] ?? 0,
                                 y: y + (n * g.outChannels + oc) * g.outPlane)
                }
            }
        } }
    }

    /// `dx` overwritten; `dw`, `db` accumulated (+=).
    public static func backward(_ g: ConvGeometry, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>?,
                                dw: UnsafeMutablePointer<Float>?, db: UnsafeMutablePointer<Float>?) throws {
        let mult = g.outChannels / g.inChannels, taps = g.kernelH * g.kernelW
        let P = g.outPlane, ow = g.outWidth
        if let dx, let t = transposedGeometry(g) {
            try inputGradient(t, weight: weight, dy: dy, dx: dx)
        } else if let dx {
            try ParallelBatch.run(g.batch * g.inChannels, op: "conv2d backward") { _, lo, hi, stop in
                for plane in lo..<hi {
                    if plane & 63 == 0 && stop() { return }
                    let n = plane / g.inChannels, c = plane % g.inChannels
                    let xo = dx + plane * g.inPlane
                    xo.update(repeating: 0, count: g.inPlane)
                    for k in 0..<mult {
                        let oc = c * mult + k
                        let dyo = dy + (n * g.outChannels + oc) * P
                        g.forEachTap { i, j, tapH, tapW, hLo, hHi, wLo, wHi in
                            guard hHi > hLo && wHi > wLo else { return }
                            let wv = weight[oc * taps + i * g.kernelW + j]
                            for r in hLo..<hHi {
                                addScaled(wv, dyo + r * ow, 1, xo + (r * g.strideH + tapH) * g.width + tapW, g.strideW, wLo, wHi)
                            }
                        }
                    }
                }
            }
        }
        if let dw {
            let layout = paddedLayout(g), offsets = columnOffsets(g, layout)
            try offsets.withUnsafeBufferPointer { offsets in try ParallelBatch.run(g.outChannels, op: "conv2d backward") { _, lo, hi, stop in
                let scratch = UnsafeMutablePointer<Float>.allocate(capacity: layout.rows * layout.rowLength)
                scratch.initialize(repeating: 0, count: layout.rows * layout.rowLength)
                defer { scratch.deallocate() }
                var acc = [Double](repeating: 0, count: taps)
                for oc in lo..<hi {
                    if stop() { return }
                    for t in 0..<taps { acc[t] = 0 }
                    acc.withUnsafeMutableBufferPointer {
                        weightGradient(g, oc: oc, x: x, dy: dy, scratch: scratch, layout, offsets: offsets, into: $0.baseAddress!)
                    }
                    for t in 0..<taps { dw[oc * taps + t] += Float(acc[t]) }
                }
            } }
        }
        if let db {
            var sums = [Double](repeating: 0, count: g.outChannels)
            Conv2dKernel.planeSums(dy, batch: g.batch, channels: g.outChannels, plane: P, into: &sums)
            for c in 0..<g.outChannels { db[c] += Float(sums[c]) }
        }
    }

    /// Σ a[q]·b[q] for q in 0..<n, in eight lanes (then summed lane by lane): a float sum
    /// the compiler would otherwise keep in one scalar chain, in its written order.
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = SIMD8<Float>(repeating: 0)
        var q = 0
        while q + 8 <= n {
            acc.addProduct(UnsafeRawPointer(a + q).loadUnaligned(as: SIMD8<Float>.self),
                           UnsafeRawPointer(b + q).loadUnaligned(as: SIMD8<Float>.self))
            q += 8
        }
        var s = acc.sum()
        while q < n { s += a[q] * b[q]; q += 1 }
        return s
    }

    /// dst[q·ds] += wv·src[q·ss] for q in lo..<hi: one tap's row, gathered (forward: the
    /// input at the stride) or scattered (backward: the input gradient at the stride).
    @inline(__always)
    static func addScaled(_ wv: Float, _ src: UnsafePointer<Float>, _ ss: Int, _ dst: UnsafeMutablePointer<Float>,
                          _ ds: Int, _ lo: Int, _ hi: Int) {
        if ss == 1 && ds == 1 {
            for q in lo..<hi { dst[q] += wv * src[q] }
        } else {
            for q in lo..<hi { dst[q * ds] += wv * src[q * ss] }
        }
    }
}
