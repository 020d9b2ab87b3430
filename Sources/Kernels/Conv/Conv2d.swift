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
        try forward(g, x: x, weight: weight, epilogue: ConvEpilogue(bias: bias), y: y)
    }

    /// y = epilogue(conv(x, weight)): the output pass of `epilogue` (bias, folded
    /// BatchNorm, residual add, ReLU) applied as each output block is written.
    /// `weightKey` names weights made for this call (see `WinogradWeightCache`).
    /// With `inputGate` (x's shape), the convolution is of x where the gate is positive and
    /// 0 elsewhere (`ReLUGate`: an input gradient that starts behind a ReLU): Winograd
    /// gates the planes as it copies them, the other paths take a gated copy first.
    public static func forward(_ g: ConvGeometry, x: UnsafePointer<Float>, inputGate: UnsafePointer<Float>? = nil,
                               weight: UnsafePointer<Float>, weightKey: UInt? = nil, epilogue e: ConvEpilogue,
                               y: UnsafeMutablePointer<Float>) throws {
        if let gate = inputGate, !gatesInput(g) {
            try ReLUGate.withGatedCopy(x, gate: gate, count: g.batch * g.inChannels * g.inPlane) { gated in
                try forward(g, x: gated, weight: weight, weightKey: weightKey, epilogue: e, y: y)
            }
            return
        }
        let path = forwardPath(g)
        if let upper = e.upper, ![.im2col, .taps, .depthwise].contains(path) {
            // kernels whose output pass (C, oneDNN) knows no upper bound: clamp afterwards
            var inner = e
            inner.upper = nil
            try forward(g, x: x, inputGate: inputGate, weight: weight, weightKey: weightKey, epilogue: inner, y: y)
            let image = g.outChannels * g.outPlane
            try ParallelBatch.run(g.batch, op: "conv2d") { _, lo, hi, _ in
                ConvEpilogue.clamp(y + lo * image, count: (hi - lo) * image, above: upper)
            }
            return
        }
        switch path {
        case .depthwise:
            try DepthwiseConv2d.forward(g, x: x, weight: weight, bias: e.bias, y: y)
            if !e.isBiasOnly {
                var e = e
                e.bias = nil
                try ParallelBatch.run(g.batch, op: "conv2d") { _, lo, hi, _ in
                    e.apply(images: lo, hi, channels: g.outChannels, plane: g.outPlane, y: y)
                }
            }
            return
        case .dnnl: try DNNLConv.forward(g, x: x, weight: weight, epilogue: e, y: y); return
        case .direct: try forwardDirect(g, x: x, weight: weight, epilogue: e, y: y); return
        case .winograd:
            try forwardWinograd(g, x: x, inputGate: inputGate, weight: weight, weightKey: weightKey, epilogue: e, y: y)
            return
        case .taps: try forwardTaps(g, x: x, weight: weight, epilogue: e, y: y); return
        case .im2col: break
        }
        let l = Layout(g)
        let P = l.P, K = l.K, cg = l.cg, outImage = l.outImage, nb = l.nb, direct = l.direct
        try ParallelBatch.run(g.batch, op: "conv2d") { _, lo, hi, stop in
            Scratch.with(direct ? 1 : K * nb * P, nb > 1 ? cg * nb * P : 1) { cols, ybuf in
                var n0 = lo
                while n0 < hi {
                    if stop() { return }
                    let m = min(nb, hi - n0), ld = m * P
                    for grp in 0..<g.groups {
                        let b = columns(g, x, n0: n0, m: m, group: grp, direct: direct, into: cols)
                        let w = weight + grp * cg * K
                        if m == 1 {
                            BLAS.sgemm(transA: false, transB: false, m: cg, n: P, k: K, a: w, lda: K, b: b, ldb: ld,
                                       c: y + n0 * outImage + grp * cg * P, ldc: P)
                        } else {
                            BLAS.sgemm(transA: false, transB: false, m: cg, n: ld, k: K, a: w, lda: K, b: b, ldb: ld,
                                       c: ybuf, ldc: ld)
                            for j in 0..<m {
                                for co in 0..<cg {
                                    let at = (n0 + j) * outImage + (grp * cg + co) * P
                                    if e.isIdentity {
                                        (y + at).update(from: ybuf + co * ld + j * P, count: P)
                                    } else {
                                        e.apply(ybuf + co * ld + j * P, to: y + at, count: P, channel: grp * cg + co, at: at)
                                    }
                                }
                            }
                        }
                    }
                    if m == 1 { e.apply(images: n0, n0 + 1, channels: g.outChannels, plane: P, y: y) }
                    n0 += m
                }
            }
        }
    }

    /// The kernel family `forward` runs a geometry on.
    enum ForwardPath { case depthwise, dnnl, direct, winograd, taps, im2col }

    /// THE choice of `forward`'s kernel family (and so of ∂L/∂x's on the stride-1 path,
    /// which runs as the forward of the transposed convolution).
    static func forwardPath(_ g: ConvGeometry) -> ForwardPath {
        if g.isDepthwise { return .depthwise }
        if DNNLConv.chosen(g, .forward) { return .dnnl }
        if usesDirect(g) { return .direct }
        if usesWinograd(g) { return .winograd }
        return usesTaps(g) ? .taps : .im2col
    }

    /// Whether `forward` runs the geometry by Winograd (the path above that gates its input
    /// as it copies it).
    static func gatesInput(_ g: ConvGeometry) -> Bool { forwardPath(g) == .winograd }

    /// Whether `forward` may write its output over the epilogue's residual (the same
    /// elements): Winograd writes y only in its output pass, which reads each residual value
    /// before it stores the output value at the same place — whole tiles and, since they go
    /// from the tile through the epilogue straight into y, the tiles clipped at a plane's edge
    /// (`winogradStorePartialTile`; when they stored their raw values first, a 14×14 ResNet-20
    /// lost 18 points of accuracy). The direct and GEMM paths write y first: they may not.
    public static func outputMayOverwriteResidual(_ g: ConvGeometry) -> Bool {
        forwardPath(g) == .winograd
    }

    /// The GEMM layout forward and backward share: plane P, patch K, output channels per
    /// group cg, floats per input and output image, thread parts, images per GEMM (nb),
    /// and whether a pointwise convolution multiplies the input directly (no im2col).
    struct Layout {
        let P: Int, K: Int, cg: Int, inImage: Int, outImage: Int, parts: Int, nb: Int
        let direct: Bool

        init(_ g: ConvGeometry) {
            P = g.outPlane
            K = g.patch
            cg = g.groupOut
            inImage = g.inChannels * g.inPlane
            outImage = g.outChannels * g.outPlane
            parts = ParallelBatch.parts(g.batch)
            nb = Conv2dKernel.chunk(g, perPart: (g.batch + parts - 1) / parts)
            direct = g.isPointwise && nb == 1
        }
    }

    /// The [K, m·P] column matrix of images n0 ..< n0 + m in group `grp`: the input itself
    /// for a direct (pointwise, one image) GEMM, else im2col into `cols` (leading dim m·P).
    @inline(__always)
    static func columns(_ g: ConvGeometry, _ x: UnsafePointer<Float>, n0: Int, m: Int, group grp: Int, direct: Bool,
                        into cols: UnsafeMutablePointer<Float>) -> UnsafePointer<Float> {
        let inImage = g.inChannels * g.inPlane, at = grp * g.groupIn * g.inPlane
        if direct { return x + n0 * inImage + at }
        for j in 0..<m {
            Im2col.im2col(g, channels: g.groupIn, x: x + (n0 + j) * inImage + at, cols: cols + j * g.outPlane, ld: m * g.outPlane)
        }
        return UnsafePointer(cols)
    }
}
