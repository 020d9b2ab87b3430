import Tensor

extension Conv2dKernel {
    /// Gradients of a convolution. `dx` (if given) is overwritten with ∂L/∂x, plus `dxAdding`
    /// (a tensor of x's shape, or nil) added to each value as `dx + dxAdding` rounds it: a
    /// residual block's shortcut gradient joins its first convolution's input gradient in
    /// the output pass of the stride-1 path (the transposed forward's epilogue), after it
    /// elsewhere. `dw` and `db` (if given) have ∂L/∂weight and ∂L/∂bias ADDED to them
    /// (gradient accumulation). The column matrix of each chunk is built once and serves
    /// both GEMMs. Each thread accumulates its own weight gradient; they are summed in a
    /// fixed order. `dyScale`: see `backward(…, scaledBy:)`. With `dyGate` (dy's shape, a
    /// ReLU's output after the convolution and its scale), the gradients are taken for dy
    /// where the gate is positive and 0 elsewhere (`ReLUGate`): ∂L/∂x alone on the stride-1
    /// path gates dy as its transposed forward copies it (no pass of the ReLU's own), the
    /// other cases take a gated copy first. Bit-equal to gating dy first. With `dxGate` (x's
    /// shape, the output of a ReLU before the convolution), ∂L/∂x (+ `dxAdding`) is written
    /// where the gate is positive and 0 elsewhere — the gradient behind that ReLU, so its own
    /// backward pass is skipped: in the output pass of the stride-1 path, after it elsewhere.
    public static func backward(_ g: ConvGeometry, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>?,
                                dw: UnsafeMutablePointer<Float>?, db: UnsafeMutablePointer<Float>?,
                                dxAdding: UnsafePointer<Float>? = nil, dyScale: UnsafePointer<Float>? = nil,
                                dyGate: UnsafePointer<Float>? = nil, dxGate: UnsafePointer<Float>? = nil) throws {
        if let gate = dxGate, let out = dx, !inputGradientIsTransposedForward(g) {
            try backward(g, x: x, weight: weight, dy: dy, dx: dx, dw: dw, db: db, dxAdding: dxAdding, dyScale: dyScale,
                         dyGate: dyGate)
            ReLUGate.applyParallel(out, gate: gate, count: g.batch * g.inChannels * g.inPlane, into: out)
            return
        }
        if let gate = dyGate {
            guard dx != nil || dw != nil || db != nil else { return }
            if let out = dx, let tg = inputGradientAlone(g, dw: dw, db: db) {
                try transposedInputGradient(g, tg, weight: weight, scale: dyScale, gate: gate, dy: dy, dxAdding: dxAdding,
                                            dxGate: dxGate, dx: out)
                return
            }
            try ReLUGate.withGatedCopy(dy, gate: gate, count: g.batch * g.outChannels * g.outPlane) { gated in
                try backward(g, x: x, weight: weight, dy: gated, dx: dx, dw: dw, db: db, dxAdding: dxAdding, dyScale: dyScale,
                             dxGate: dxGate)
            }
            return
        }
        if let s = dyScale {
            try backward(g, x: x, weight: weight, dy: dy, dx: dx, dw: dw, db: db, dxAdding: dxAdding, dxGate: dxGate, scaledBy: s)
            return
        }
        if let r = dxAdding, let dx, !inputGradientIsTransposedForward(g) {
            try backward(g, x: x, weight: weight, dy: dy, dx: dx, dw: dw, db: db)
            addInto(dx, r, count: g.batch * g.inChannels * g.inPlane)
            return
        }
        if g.isDepthwise {
            try DepthwiseConv2d.backward(g, x: x, weight: weight, dy: dy, dx: dx, dw: dw, db: db)
            return
        }
        var dx = dx, dw = dw
        if dx != nil || dw != nil {
            let toDx = dx != nil && DNNLConv.chosen(g, .inputGradient), toDw = dw != nil && DNNLConv.chosen(g, .weightGradient)
            if toDx || toDw {
                try DNNLConv.backward(g, x: x, weight: weight, dy: dy, dx: toDx ? dx : nil, dw: toDw ? dw : nil, db: nil)
                if toDx { dx = nil }
                if toDw { dw = nil }
                if dx == nil && dw == nil {
                    if let db { addBiasGradient(g, dy: dy, db: db) }
                    return
                }
            }
        }
        if let out = dx, let tg = transposedForInput(g) {
            try transposedInputGradient(g, tg, weight: weight, scale: nil, dy: dy, dxAdding: dxAdding, dxGate: dxGate, dx: out)
            dx = nil
            if dw == nil && db == nil { return }
        }
        if dx == nil, let kernel = weightGradientKernel(g) {
            if let dw {
                switch kernel {
                case .winograd: try weightGradientWinograd(g, x: x, dy: dy, dw: dw)
                case .direct: try weightGradientDirect(g, x: x, dy: dy, dw: dw)
                case .taps: try weightGradientTaps(g, x: x, dy: dy, dw: dw)
                }
            }
            if let db { addBiasGradient(g, dy: dy, db: db) }
            return
        }
        let dwTransB = weightGradientTransposedB
        let l = Layout(g)
        let P = l.P, K = l.K, cg = l.cg, inImage = l.inImage, outImage = l.outImage
        let parts = l.parts, nb = l.nb, direct = l.direct
        // dx written once per position (no zeroing, no tap-by-tap adds) where col2imWriting takes it
        let writesDx = g.groups == 1 && Self.col2imWritesStride2 && Im2col.writesStride2(g)
        let wSize = g.outChannels * K
        var biasSums = [Double](repeating: 0, count: db != nil ? g.outChannels : 0)
        try Scratch.with(dw != nil ? parts * wSize : 1, dx != nil ? g.outChannels * K : 1, zeroed: true) { local, wt in
            // Wᵀ of each group, [K, cg], so the dx GEMM runs without a transposed operand.
            if dx != nil {
                for grp in 0..<g.groups {
                    transposeRows(weight + grp * cg * K, rows: K, cols: cg, into: wt + grp * cg * K, accumulate: false)
                }
            }
            try ParallelBatch.run(g.batch, op: "conv2d backward") { part, lo, hi, stop in
                Scratch.with(direct || dw == nil ? 1 : K * nb * P, direct || dx == nil ? 1 : K * nb * P,
                             nb > 1 ? cg * nb * P : 1, dw != nil && !dwTransB ? cg * nb * P : 1) { cols, dcols, ybuf, dyT in
                    let myW = local + part * wSize
                    var n0 = lo
                    while n0 < hi {
                        if stop() { return }
                        let m = min(nb, hi - n0), ld = m * P
                        if let dx, !direct, !writesDx { (dx + n0 * inImage).update(repeating: 0, count: m * inImage) }
                        for grp in 0..<g.groups {
                            let cin0 = grp * g.groupIn
                            // dY of this group and chunk as a [cg, ld] matrix.
                            let dY: UnsafePointer<Float>
                            if m == 1 {
                                dY = dy + n0 * outImage + grp * cg * P
                            } else {
                                for j in 0..<m {
                                    for co in 0..<cg {
                                        (ybuf + co * ld + j * P)
                                            .update(from: dy + (n0 + j) * outImage + (grp * cg + co) * P, count: P)
                                    }
                                }
                                dY = UnsafePointer(ybuf)
                            }
                            let wT = UnsafePointer(wt + grp * cg * K)
                            if dw != nil {
                                let b = columns(g, x, n0: n0, m: m, group: grp, direct: direct, into: cols)
                                if dwTransB {
                                    // dW[cg, K] += dY[cg, ld] · cols[K, ld]ᵀ
                                    BLAS.sgemm(transA: false, transB: true, m: cg, n: K, k: ld, a: dY, lda: ld, b: b, ldb: ld,
                                               beta: 1, c: myW + grp * cg * K, ldc: K)
                                } else {
                                    // dWᵀ[K, cg] += cols[K, ld] · dYᵀ[ld, cg]
                                    for co in 0..<cg { for q in 0..<ld { dyT[q * cg + co] = dY[co * ld + q] } }
                                    BLAS.sgemm(transA: false, transB: false, m: K, n: cg, k: ld, a: b, lda: ld, b: dyT, ldb: cg,
                                               beta: 1, c: myW + grp * cg * K, ldc: cg)
                                }
                            }
                            if let dx {
                                if direct {
                                    BLAS.sgemm(transA: false, transB: false, m: K, n: P, k: cg, a: wT, lda: cg, b: dY, ldb: ld,
                                               c: dx + n0 * inImage + cin0 * g.inPlane, ldc: P)
                                } else {
                                    BLAS.sgemm(transA: false, transB: false, m: K, n: ld, k: cg, a: wT, lda: cg, b: dY, ldb: ld,
                                               c: dcols, ldc: ld)
                                    for j in 0..<m {
                                        let xj = dx + (n0 + j) * inImage + cin0 * g.inPlane
                                        if writesDx {
                                            Im2col.col2imWriting(g, channels: g.groupIn, cols: dcols + j * P, ld: ld, x: xj)
                                        } else {
                                            Im2col.col2im(g, channels: g.groupIn, cols: dcols + j * P, ld: ld, x: xj)
                                        }
                                    }
                                }
                            }
                        }
                        n0 += m
                    }
                }
            }
            if let dw {
                // Sum the parts' dW (or dWᵀ) blocks in order, then add (or transpose) into dw.
                sumParts(local, parts: parts, size: wSize)
                if dwTransB {
                    addInto(dw, local, count: wSize)
                } else {
                    for grp in 0..<g.groups {
                        transposeRows(local + grp * cg * K, rows: cg, cols: K, into: dw + grp * cg * K, accumulate: true)
                    }
                }
            }
            if let db {
                planeSums(dy, batch: g.batch, channels: g.outChannels, plane: P, into: &biasSums)
                for c in 0..<g.outChannels { db[c] += Float(biasSums[c]) }
            }
        }
    }

    /// The kernels that compute ∂L/∂w alone (once ∂L/∂x is done or not asked for).
    enum WeightGradientKernel { case winograd, direct, taps }

    /// Which of them takes the geometry's ∂L/∂w, first match: Winograd
    /// (`usesWinogradWeightGradient`), the direct kernel (`directWeightGradient`), the
    /// per-tap GEMMs (`usesTaps`); nil leaves it to im2col, which also serves ∂L/∂x.
    static func weightGradientKernel(_ g: ConvGeometry) -> WeightGradientKernel? {
        if usesWinogradWeightGradient(g) { return .winograd }
        if directWeightGradient(g) { return .direct }
        if usesTaps(g) { return .taps }
        return nil
    }

    /// Whether the im2col path's ∂L/∂x of a 3×3 stride-2 convolution writes each input
    /// position once (`Im2col.col2imWriting`) instead of zeroing ∂L/∂x and adding the nine
    /// taps' columns one by one, with strided scalar adds (`topiary bench --ab col2im-stride2`).
    /// AMD EPYC (Zen 4, family 25 model 17), 4 alternating rounds, paired, 1 | 2 threads:
    /// train_step/resnet56 1.035× | 1.003×, its pruned50 1.007× | 1.017×, criterion/taylor
    /// 1.013× | 1.041× (ResNet-56's two downsampling convolutions).
    nonisolated(unsafe) public static var col2imWritesStride2 = true

    /// How the im2col path's ∂L/∂w GEMM is posed. OpenBLAS's kernels for AVX2 cores
    /// (core "Zen", "Haswell": 128-bit FMA pipes on Zen 1) run dW[cg, K] += dY·colsᵀ
    /// with the transposed operand 2× faster than dWᵀ = cols·dYᵀ from a transposed copy
    /// of dY (VGG 64c32 / 128c16 ∂L/∂w on Zen 1, 1 thread: 717 → 390 ms, 691 → 340 ms);
    /// with the AVX-512 kernels (the Zen 4 this was first written on) the transposed
    /// operand was the slow one, so the copy stays there.
    nonisolated(unsafe) public static var weightGradientTransposedB: Bool = {
        let core = BLAS.coreName.lowercased()
        return !["skylakex", "cooperlake", "sapphirerapids"].contains { core.contains($0) }
    }()

    /// db[c] += Σ over images and positions of dy[n, c, :] (double accumulation).
    static func addBiasGradient(_ g: ConvGeometry, dy: UnsafePointer<Float>, db: UnsafeMutablePointer<Float>) {
        var sums = [Double](repeating: 0, count: g.outChannels)
        planeSums(dy, batch: g.batch, channels: g.outChannels, plane: g.outPlane, into: &sums)
        for c in 0..<g.outChannels { db[c] += Float(sums[c]) }
    }

    /// sums[c] = Σ over images and positions of t[n, c, :] (double accumulation, channels
    /// split across threads).
    public static func planeSums(_ t: UnsafePointer<Float>, batch: Int, channels: Int, plane: Int,
                                 into sums: inout [Double]) {
        sums.withUnsafeMutableBufferPointer { s in
            let out = s.baseAddress!
            Parallel.ranges(channels, grain: max(1, 16384 / max(batch * plane, 1))) { lo, hi in
                for c in lo..<hi {
                    var acc = 0.0
                    for n in 0..<batch { acc += Double(rowSumFloat(t + (n * channels + c) * plane, plane)) }
                    out[c] = acc
                }
            }
        }
    }
}

/// Sum of a contiguous row in float lanes (8 partial sums), for rows short enough that
/// float accumulation is accurate; callers add rows in double.
@inlinable
public func rowSumFloat(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
    var acc = SIMD8<Float>(repeating: 0)
    var i = 0
    while i + 8 <= n {
        acc += UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
        i += 8
    }
    var s = acc.sum()
    while i < n { s += p[i]; i += 1 }
    return s
}
