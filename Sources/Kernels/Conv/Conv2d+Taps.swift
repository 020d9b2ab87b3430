import Tensor

/// Stride-1 convolution as one GEMM per kernel tap, for small planes with many
/// channels (VGG's 8×8, 4×4, 2×2 layers), where im2col would multiply zero padding: at
/// 4×4 with 3×3/pad 1 a third of the columns are padding, at 2×2 more than half.
///
/// A chunk of `m` images is transposed to [C, H, W, m] ("CHWN"). For tap (i, j) the
/// output positions whose input lies inside the image form a rectangle; in CHWN each
/// of its rows is a contiguous run of columns of both the input and the output, so
/// out[:, run] += W[:, :, i, j] · in[:, shifted run] is a plain GEMM with K = C_in,
/// and runs of full-width rows merge into one.
extension Conv2dKernel {
    /// Smallest input channels per group, and largest output plane, for the tap path.
    nonisolated(unsafe) public static var tapMinChannels = 64
    nonisolated(unsafe) public static var tapMaxPlane = 64

    /// Whether `forwardTaps` / `weightGradientTaps` handle this geometry.
    public static func usesTaps(_ g: ConvGeometry) -> Bool {
        g.strideH == 1 && g.strideW == 1 && !g.isDepthwise && g.groupIn >= tapMinChannels
            && g.outPlane <= tapMaxPlane && g.kernelH * g.kernelW > 1
    }

    /// Runs of one tap: (input column offset, output column offset, length), in units of
    /// CHWN positions (multiply by m for columns).
    static func tapRuns(_ g: ConvGeometry, _ i: Int, _ j: Int) -> [(Int, Int, Int)] {
        let tapH = i * g.dilationH - g.padH, tapW = j * g.dilationW - g.padW
        let (hLo, hHi) = ConvGeometry.validRange(out: g.outHeight, in: g.height, stride: 1, tap: tapH)
        let (wLo, wHi) = ConvGeometry.validRange(out: g.outWidth, in: g.width, stride: 1, tap: tapW)
        guard hHi > hLo, wHi > wLo else { return [] }
        let fullRows = wLo == 0 && wHi == g.outWidth && g.outWidth == g.width
        if fullRows {
            return [((hLo + tapH) * g.width + tapW, hLo * g.outWidth, (hHi - hLo) * g.outWidth)]
        }
        return (hLo..<hHi).map { r in ((r + tapH) * g.width + wLo + tapW, r * g.outWidth + wLo, wHi - wLo) }
    }

    /// Weights repacked per group and tap into `w`: [groups][taps][cout_g][cin_g], each
    /// output channel's times `scale[channel]` when given.
    static func packTaps(_ g: ConvGeometry, _ weight: UnsafePointer<Float>, scale: UnsafePointer<Float>? = nil,
                         into w: UnsafeMutablePointer<Float>) {
        splitOutputChannels(g) { r in
            if let scale {
                forEachWeight(g, outChannels: r) { k, grp, o, c, t in
                    w[packedTap(g, grp, o, c, t)] = weight[k] * scale[grp * g.groupOut + o]
                }
            } else {
                forEachWeight(g, outChannels: r) { k, grp, o, c, t in w[packedTap(g, grp, o, c, t)] = weight[k] }
            }
        }
    }

    /// The index of weight (group, o, c, tap) in `packTaps`' layout.
    @inline(__always)
    static func packedTap(_ g: ConvGeometry, _ grp: Int, _ o: Int, _ c: Int, _ t: Int) -> Int {
        ((grp * g.kernelH * g.kernelW + t) * g.groupOut + o) * g.groupIn + c
    }

    /// [m, C, P] (images n0… of a batch with `image` floats each) → [C, P, m].
    @inline(__always)
    static func toCHWN(_ src: UnsafePointer<Float>, image: Int, channels: Int, plane: Int, m: Int,
                       _ dst: UnsafeMutablePointer<Float>) {
        for j in 0..<m {
            let s = src + j * image
            for c in 0..<channels {
                let row = s + c * plane, out = dst + c * plane * m + j
                for p in 0..<plane { out[p * m] = row[p] }
            }
        }
    }

    static func imagesPerChunk(_ g: ConvGeometry, _ perPart: Int) -> Int {
        max(1, min(perPart, (targetColumns + g.outPlane - 1) / g.outPlane))
    }

    public static func forwardTaps(_ g: ConvGeometry, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                   bias: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>) throws {
        try forwardTaps(g, x: x, weight: weight, epilogue: ConvEpilogue(bias: bias), y: y)
    }

    /// `forwardTaps` with an output pass (see `ConvEpilogue`), applied in the transpose back.
    public static func forwardTaps(_ g: ConvGeometry, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                   epilogue e: ConvEpilogue, y: UnsafeMutablePointer<Float>) throws {
        try Scratch.with(g.groups * g.kernelH * g.kernelW * g.groupOut * g.groupIn) { wt in
            packTaps(g, weight, into: wt)
            try tapGEMMs(g, x: x, packed: UnsafePointer(wt), transposed: false, epilogue: e, y: y)
        }
    }

    /// Whether `forward` runs the geometry on the tap path.
    static func forwardUsesTaps(_ g: ConvGeometry) -> Bool { forwardPath(g) == .taps }

    /// ∂L/∂x of the stride-1 convolution `g` on the tap path of its transposed forward `tg`
    /// (`transposedForInput(g)`, `forwardUsesTaps(tg)`): each tap GEMM takes `g`'s own
    /// per-tap matrix transposed, with the taps flipped, so the flipped, transposed weights
    /// are never copied (a VGG 512-channel layer's 9 MB of them took a quarter of its ∂L/∂x).
    /// `scale` multiplies g's output channels (a folded BatchNorm's); `dxAdding` and `dxGate`
    /// as in `backward`.
    static func inputGradientTaps(_ g: ConvGeometry, _ tg: ConvGeometry, weight: UnsafePointer<Float>,
                                  scale: UnsafePointer<Float>?, dy: UnsafePointer<Float>,
                                  dxAdding: UnsafePointer<Float>?, dxGate: UnsafePointer<Float>? = nil,
                                  dx: UnsafeMutablePointer<Float>) throws {
        try Scratch.with(g.groups * g.kernelH * g.kernelW * g.groupOut * g.groupIn) { wt in
            packTaps(g, weight, scale: scale, into: wt)
            try tapGEMMs(tg, x: dy, packed: UnsafePointer(wt), transposed: true,
                         epilogue: ConvEpilogue(bias: nil, residual: dxAdding, gate: dxGate), y: dx)
        }
    }

    /// The tap GEMMs of `g` and the output pass. `packed`: `packTaps`' layout of g's
    /// weights, or (`transposed`) of the convolution whose transposed forward g is: tap t
    /// then takes the matrix of tap taps − 1 − t, [cin_g][cout_g] of g, transposed.
    static func tapGEMMs(_ g: ConvGeometry, x: UnsafePointer<Float>, packed wt: UnsafePointer<Float>, transposed: Bool,
                         epilogue e: ConvEpilogue, y: UnsafeMutablePointer<Float>) throws {
        let taps = g.kernelH * g.kernelW, ci = g.groupIn, co = g.groupOut
        let P = g.outPlane, Q = g.inPlane
        let runs = (0..<taps).map { tapRuns(g, $0 / g.kernelW, $0 % g.kernelW) }
        let parts = ParallelBatch.parts(g.batch)
        let nb = imagesPerChunk(g, (g.batch + parts - 1) / parts)
        try ParallelBatch.run(g.batch, op: "conv2d") { _, lo, hi, stop in
            Scratch.with(g.inChannels * Q * nb, g.outChannels * P * nb) { xT, yT in
                var n0 = lo
                while n0 < hi {
                    if stop() { return }
                    let m = min(nb, hi - n0)
                    toCHWN(x + n0 * g.inChannels * Q, image: g.inChannels * Q, channels: g.inChannels, plane: Q, m: m, xT)
                    yT.update(repeating: 0, count: g.outChannels * P * m)
                    for grp in 0..<g.groups {
                        let a0 = xT + grp * ci * Q * m, c0 = yT + grp * co * P * m
                        for t in 0..<taps {
                            let w = wt + (grp * taps + (transposed ? taps - 1 - t : t)) * co * ci
                            for (src, dst, len) in runs[t] {
                                BLAS.sgemm(transA: transposed, transB: false, m: co, n: len * m, k: ci, a: w,
                                           lda: transposed ? co : ci, b: a0 + src * m, ldb: Q * m, beta: 1,
                                           c: c0 + dst * m, ldc: P * m)
                            }
                        }
                    }
                    // [Cout, P, m] → [m, Cout, P], then the output pass (bias, BN, residual, ReLU)
                    for j in 0..<m {
                        let yn = y + (n0 + j) * g.outChannels * P
                        for c in 0..<g.outChannels {
                            let src = yT + c * P * m + j, dst = yn + c * P
                            for p in 0..<P { dst[p] = src[p * m] }
                        }
                    }
                    e.apply(images: n0, n0 + m, channels: g.outChannels, plane: P, y: y)
                    n0 += m
                }
            }
        }
    }

    /// dw += ∂L/∂weight, per tap: dW[:, :, i, j] += dY[:, run] · X[:, shifted run]ᵀ.
    /// Threads accumulate their own [taps][cout][cin] blocks, summed in a fixed order.
    public static func weightGradientTaps(_ g: ConvGeometry, x: UnsafePointer<Float>, dy: UnsafePointer<Float>,
                                          dw: UnsafeMutablePointer<Float>) throws {
        let taps = g.kernelH * g.kernelW, ci = g.groupIn, co = g.groupOut
        let P = g.outPlane, Q = g.inPlane
        let runs = (0..<taps).map { tapRuns(g, $0 / g.kernelW, $0 % g.kernelW) }
        let parts = ParallelBatch.parts(g.batch)
        let nb = imagesPerChunk(g, (g.batch + parts - 1) / parts)
        let wSize = g.groups * taps * co * ci
        try Scratch.with(parts * wSize, zeroed: true) { local in
            try ParallelBatch.run(g.batch, op: "conv2d backward") { part, lo, hi, stop in
                Scratch.with(g.inChannels * Q * nb, g.outChannels * P * nb) { xT, dT in
                    let mine = local + part * wSize
                    var n0 = lo
                    while n0 < hi {
                        if stop() { return }
                        let m = min(nb, hi - n0)
                        toCHWN(x + n0 * g.inChannels * Q, image: g.inChannels * Q, channels: g.inChannels, plane: Q, m: m, xT)
                        toCHWN(dy + n0 * g.outChannels * P, image: g.outChannels * P, channels: g.outChannels, plane: P, m: m, dT)
                        for grp in 0..<g.groups {
                            let x0 = xT + grp * ci * Q * m, d0 = dT + grp * co * P * m
                            for t in 0..<taps {
                                let w = mine + (grp * taps + t) * co * ci
                                for (src, dst, len) in runs[t] {
                                    BLAS.sgemm(transA: false, transB: true, m: co, n: ci, k: len * m, a: d0 + dst * m, lda: P * m,
                                               b: x0 + src * m, ldb: Q * m, beta: 1, c: w, ldc: ci)
                                }
                            }
                        }
                        n0 += m
                    }
                }
            }
            sumParts(local, parts: parts, size: wSize)
            splitOutputChannels(g) { r in
                forEachWeight(g, outChannels: r) { k, grp, o, c, t in dw[k] += local[packedTap(g, grp, o, c, t)] }
            }
        }
    }
}
