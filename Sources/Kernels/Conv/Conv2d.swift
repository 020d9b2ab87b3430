import Tensor

/// 2-d convolution on contiguous NCHW float32 buffers: im2col + one SGEMM per group and
/// chunk of images, the batch split across cores (OpenBLAS single-threaded inside).
/// Depthwise convolutions go to the direct kernel in DepthwiseConv2d.swift.
///
/// Small output planes are batched: `chunk` images share one column matrix so the GEMM
/// has at least ~`targetColumns` columns.
public enum Conv2dKernel {
    /// Columns one GEMM should have at least (images are batched up to this).
    nonisolated(unsafe) public static var targetColumns = 512

    /// Images per GEMM for a geometry, given `perPart` images in a thread's share.
    @inlinable
    public static func chunk(_ g: ConvGeometry, perPart: Int) -> Int {
        max(1, min(perPart, targetColumns / max(g.outPlane, 1)))
    }

    /// y = conv(x, weight) + bias. `x` is [N, Cin, H, W], `weight` [Cout, Cin/groups, kh, kw],
    /// `y` [N, Cout, OH, OW] (fully overwritten).
    public static func forward(_ g: ConvGeometry, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                               bias: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>) throws {
        if g.isDepthwise {
            try DepthwiseConv2d.forward(g, x: x, weight: weight, bias: bias, y: y)
            return
        }
        if usesTaps(g) {
            try forwardTaps(g, x: x, weight: weight, bias: bias, y: y)
            return
        }
        let P = g.outPlane, K = g.patch, cg = g.groupOut, inImage = g.inChannels * g.inPlane
        let outImage = g.outChannels * P
        let perPart = (g.batch + ParallelBatch.parts(g.batch) - 1) / ParallelBatch.parts(g.batch)
        let nb = chunk(g, perPart: perPart)
        let direct = g.isPointwise && nb == 1
        try ParallelBatch.run(g.batch, op: "conv2d") { _, lo, hi, stop in
            Scratch.with(direct ? 1 : K * nb * P, nb > 1 ? cg * nb * P : 1) { cols, ybuf in
                var n0 = lo
                while n0 < hi {
                    if stop() { return }
                    let m = min(nb, hi - n0), ld = m * P
                    for grp in 0..<g.groups {
                        let cin0 = grp * g.groupIn
                        var b: UnsafePointer<Float>
                        if direct {
                            b = x + n0 * inImage + cin0 * g.inPlane
                        } else {
                            for j in 0..<m {
                                Im2col.im2col(g, channels: g.groupIn, x: x + (n0 + j) * inImage + cin0 * g.inPlane,
                                              cols: cols + j * P, ld: ld)
                            }
                            b = UnsafePointer(cols)
                        }
                        let w = weight + grp * cg * K
                        if m == 1 {
                            BLAS.sgemm(transA: false, transB: false, m: cg, n: P, k: K, a: w, lda: K, b: b, ldb: ld,
                                       c: y + n0 * outImage + grp * cg * P, ldc: P)
                        } else {
                            BLAS.sgemm(transA: false, transB: false, m: cg, n: ld, k: K, a: w, lda: K, b: b, ldb: ld,
                                       c: ybuf, ldc: ld)
                            for j in 0..<m {
                                for co in 0..<cg {
                                    (y + (n0 + j) * outImage + (grp * cg + co) * P)
                                        .update(from: ybuf + co * ld + j * P, count: P)
                                }
                            }
                        }
                    }
                    if let bias {
                        for j in 0..<m {
                            let yn = y + (n0 + j) * outImage
                            for c in 0..<g.outChannels {
                                let v = bias[c], row = yn + c * P
                                for q in 0..<P { row[q] += v }
                            }
                        }
                    }
                    n0 += m
                }
            }
        }
    }
}
