import Tensor

/// ∂L/∂x of a convolution as the forward of its transposed geometry (dy in, dx out, weights
/// rotated by 180° with channels swapped), so the forward's fast paths (Winograd, direct,
/// taps) and its output pass serve the backward too.
extension Conv2dKernel {
    /// For a stride-1 convolution with padding ≤ dilation·(k − 1) and at least 16 input
    /// channels per group (or any count if the result runs directly or by Winograd): the geometry of the convolution that maps dy to dx (channels
    /// swapped within each group, kernel rotated by 180° by `transposeWeights`, padding
    /// dilation·(k − 1) − padding).
    static func transposedForInput(_ g: ConvGeometry) -> ConvGeometry? {
        let ph = g.dilationH * (g.kernelH - 1) - g.padH, pw = g.dilationW * (g.kernelW - 1) - g.padW
        guard g.strideH == 1, g.strideW == 1, ph >= 0, pw >= 0,
              let tg = try? ConvGeometry(batch: g.batch, inChannels: g.outChannels, height: g.outHeight, width: g.outWidth,
                                         outChannels: g.inChannels, kernel: (g.kernelH, g.kernelW), padding: (ph, pw),
                                         dilation: (g.dilationH, g.dilationW), groups: g.groups),
              tg.outHeight == g.height, tg.outWidth == g.width else { return nil }
        // With few input channels the transposed GEMM would have a tiny M: keep col2im,
        // unless the transposed convolution runs directly or by Winograd.
        return g.groupIn >= 16 || usesDirect(tg) || usesWinograd(tg) ? tg : nil
    }

    /// The weights of `transposedForInput` into `w` ([Cin, Cout/groups, kh, kw]), each
    /// output channel's multiplied by `scale[channel]` when given.
    static func transposeWeights(_ g: ConvGeometry, _ weight: UnsafePointer<Float>, scale: UnsafePointer<Float>? = nil,
                                 into w: UnsafeMutablePointer<Float>) {
        let taps = g.kernelH * g.kernelW, ci = g.groupIn, co = g.groupOut
        splitOutputChannels(g) { r in
            if let scale {
                forEachWeight(g, outChannels: r) { k, grp, o, i, t in
                    w[((grp * ci + i) * co + o) * taps + taps - 1 - t] = weight[k] * scale[grp * co + o]
                }
            } else {
                forEachWeight(g, outChannels: r) { k, grp, o, i, t in w[((grp * ci + i) * co + o) * taps + taps - 1 - t] = weight[k] }
            }
        }
    }

    /// `backward` of the convolution followed by a per-output-channel scale `s` (an
    /// evaluation-mode BatchNorm's γ/√(var + ε)), for dy the gradient of the scaled output:
    /// ∂L/∂x alone on the stride-1 path runs with the scale folded into its transposed
    /// weights (no pass over dy; the transform is cached apart from the plain one, key
    /// bit 1); otherwise on a scaled copy of dy. Equal to scaling dy first up to rounding.
    static func backward(_ g: ConvGeometry, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                         dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>?,
                         dw: UnsafeMutablePointer<Float>?, db: UnsafeMutablePointer<Float>?,
                         dxAdding: UnsafePointer<Float>?, dxGate: UnsafePointer<Float>? = nil,
                         scaledBy s: UnsafePointer<Float>) throws {
        guard dx != nil || dw != nil || db != nil else { return }   // a first layer's: nothing wanted
        if let out = dx, let tg = inputGradientAlone(g, dw: dw, db: db) {
            try transposedInputGradient(g, tg, weight: weight, scale: s, dy: dy, dxAdding: dxAdding, dxGate: dxGate, dx: out)
            return
        }
        try Scratch.with(g.batch * g.outChannels * g.outPlane) { sdy in
            BatchNormKernel.scaled(dy, n: g.batch, c: g.outChannels, s: g.outPlane, k: s, dx: sdy)
            try backward(g, x: x, weight: weight, dy: sdy, dx: dx, dw: dw, db: db, dxAdding: dxAdding, dxGate: dxGate)
        }
    }

    /// Whether ∂L/∂x runs as the forward of the transposed convolution (not depthwise, not
    /// oneDNN's, stride 1): the path whose output pass adds `dxAdding` and applies `dxGate`;
    /// elsewhere they are applied after it.
    static func inputGradientIsTransposedForward(_ g: ConvGeometry) -> Bool {
        !g.isDepthwise && !DNNLConv.chosen(g, .inputGradient) && transposedForInput(g) != nil
    }

    /// The transposed geometry when ∂L/∂x is all that is asked (no `dw`, no `db`) and runs as
    /// the forward of the transposed convolution (`transposedInputGradient`: not depthwise,
    /// not oneDNN's, stride 1): the path that folds a scale into its weights and gates dy as
    /// it copies it.
    static func inputGradientAlone(_ g: ConvGeometry, dw: UnsafeMutablePointer<Float>?,
                                   db: UnsafeMutablePointer<Float>?) -> ConvGeometry? {
        guard dw == nil, db == nil, !g.isDepthwise, !DNNLConv.chosen(g, .inputGradient) else { return nil }
        return transposedForInput(g)
    }

    /// Stride 1 (`tg` = `transposedForInput(g)`): ∂L/∂x (+ `dxAdding`) is a convolution of dy
    /// with the flipped, transposed weights (times `scale` per output channel when given),
    /// which runs as a forward pass (GEMMs of the forward's good shape, no col2im). Keyed by
    /// the layer's weights (the transposed ones are scratch), their transform is kept between
    /// calls apart from the forward's and from each other (bits 0 and 1 are free in a
    /// float's address). `gate`: dy gated as the forward copies it (`forward(…, inputGate:)`).
    /// On the tap path the GEMMs read the layer's own weights transposed (`inputGradientTaps`).
    /// `dxGate`: ∂L/∂x (+ `dxAdding`) gated in the output pass (`ConvEpilogue.gate`).
    static func transposedInputGradient(_ g: ConvGeometry, _ tg: ConvGeometry, weight: UnsafePointer<Float>,
                                        scale: UnsafePointer<Float>?, gate: UnsafePointer<Float>? = nil,
                                        dy: UnsafePointer<Float>, dxAdding: UnsafePointer<Float>?,
                                        dxGate: UnsafePointer<Float>? = nil, dx: UnsafeMutablePointer<Float>) throws {
        if forwardUsesTaps(tg) {
            guard let gate else {
                try inputGradientTaps(g, tg, weight: weight, scale: scale, dy: dy, dxAdding: dxAdding, dxGate: dxGate, dx: dx)
                return
            }
            try ReLUGate.withGatedCopy(dy, gate: gate, count: tg.batch * tg.inChannels * tg.inPlane) { gated in
                try inputGradientTaps(g, tg, weight: weight, scale: scale, dy: gated, dxAdding: dxAdding, dxGate: dxGate, dx: dx)
            }
            return
        }
        let key = UInt(bitPattern: weight) | (scale != nil ? 2 : 1), e = ConvEpilogue(bias: nil, residual: dxAdding, gate: dxGate)
        if forwardPath(tg) == .winograd {   // the transposed weights made only when their transform is not cached
            try forwardWinograd(tg, x: dy, inputGate: gate, weight: weight, weightKey: key,
                                flipped: FlippedWeights(g: g, weight: weight, scale: scale), epilogue: e, y: dx)
            return
        }
        try Scratch.with(g.outChannels * g.groupIn * g.kernelH * g.kernelW) { tw in
            transposeWeights(g, weight, scale: scale, into: tw)
            try forward(tg, x: dy, inputGate: gate, weight: tw, weightKey: key, epilogue: e, y: dx)
        }
    }

    /// The weights (and the evaluation-mode BatchNorm scale folded into them, one per output
    /// channel) of the forward convolution `g` whose ∂L/∂x runs as the forward of the
    /// transposed convolution: its weights are these flipped and transposed
    /// (`transposeWeights`).
    public struct FlippedWeights {
        let g: ConvGeometry
        let weight: UnsafePointer<Float>
        let scale: UnsafePointer<Float>?
    }
}
