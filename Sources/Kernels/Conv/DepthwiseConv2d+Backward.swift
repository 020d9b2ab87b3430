import Tensor

/// The depthwise backward on the forward's zero-bordered scratch planes (`fillPadded`):
/// ∂L/∂w as dot products of whole output rows with shifted scratch rows (the zeros stand in
/// for the border), nine 3×3 taps in registers; ∂L/∂x at stride 1 as a forward pass over
/// the zero-bordered ∂L/∂y with the kernel turned by half a turn.
extension DepthwiseConv2d {
    /// ∂L/∂w of output channel `oc` summed into `acc` (taps, row-major) over the batch.
    static func weightGradient(_ g: ConvGeometry, oc: Int, x: UnsafePointer<Float>, dy: UnsafePointer<Float>,
                               scratch: UnsafeMutablePointer<Float>, _ layout: (rows: Int, rowLength: Int, phase: Int),
                               offsets off: UnsafeBufferPointer<Int>, into acc: UnsafeMutablePointer<Double>) {
        let mult = g.outChannels / g.inChannels, kh = g.kernelH, kw = g.kernelW, ow = g.outWidth
        let rl = layout.rowLength, dh = g.dilationH * rl
        var a = [SIMD8<Float>](repeating: .zero, count: 9), tail = [Float](repeating: 0, count: 9)
        for n in 0..<g.batch {
            fillPadded(g, x + (n * g.inChannels + oc / mult) * g.inPlane, scratch, layout)
            let dyo = dy + (n * g.outChannels + oc) * g.outPlane
            if kh == 3 && kw == 3 && ow >= 8 {
                for t in 0..<9 { a[t] = .zero; tail[t] = 0 }
                for r in 0..<g.outHeight {
                    let d = dyo + r * ow, top = scratch + r * g.strideH * rl
                    var q = 0
                    while q + 8 <= ow {
                        let v = UnsafeRawPointer(d + q).loadUnaligned(as: SIMD8<Float>.self)
                        for i in 0..<3 {
                            let row = top + i * dh + q
                            for j in 0..<3 {
                                a[3 * i + j].addProduct(v, UnsafeRawPointer(row + off[j]).loadUnaligned(as: SIMD8<Float>.self))
                            }
                        }
                        q += 8
                    }
                    while q < ow {
                        for i in 0..<3 { for j in 0..<3 { tail[3 * i + j] += d[q] * (top + i * dh + q)[off[j]] } }
                        q += 1
                    }
                }
                for t in 0..<9 { acc[t] += Double(a[t].sum()) + Double(tail[t]) }
            } else {
                for r in 0..<g.outHeight {
                    let d = dyo + r * ow, top = scratch + r * g.strideH * rl
                    for i in 0..<kh {
                        for j in 0..<kw { acc[i * kw + j] += Double(dot(d, top + i * dh + off[j], ow)) }
                    }
                }
            }
        }
    }

    /// The stride-1 ∂L/∂x as a forward: the geometry whose input is ∂L/∂y bordered by
    /// (k − 1)·d − p and whose output is x's plane, or nil where that does not hold (a
    /// stride, a padding wider than the kernel reaches, several outputs per channel).
    static func transposedGeometry(_ g: ConvGeometry) -> ConvGeometry? {
        guard g.strideH == 1, g.strideW == 1, g.outChannels == g.inChannels else { return nil }
        let ph = (g.kernelH - 1) * g.dilationH - g.padH, pw = (g.kernelW - 1) * g.dilationW - g.padW
        guard ph >= 0, pw >= 0,
              let t = try? ConvGeometry(batch: g.batch, inChannels: g.inChannels, height: g.outHeight, width: g.outWidth,
                                        outChannels: g.inChannels, kernel: (g.kernelH, g.kernelW), padding: (ph, pw),
                                        dilation: (g.dilationH, g.dilationW), groups: g.inChannels),
              t.outHeight == g.height, t.outWidth == g.width else { return nil }
        return t
    }

    /// ∂L/∂x (overwritten) through `t` (`transposedGeometry`): each channel's ∂L/∂y plane
    /// bordered, then the forward with the kernel turned by half a turn.
    static func inputGradient(_ t: ConvGeometry, weight: UnsafePointer<Float>, dy: UnsafePointer<Float>,
                              dx: UnsafeMutablePointer<Float>) throws {
        let taps = t.kernelH * t.kernelW
        let turned = (0..<(t.outChannels * taps)).map { k in weight[k - k % taps + taps - 1 - k % taps] }
        let layout = paddedLayout(t), offsets = columnOffsets(t, layout)
        try turned.withUnsafeBufferPointer { w in try offsets.withUnsafeBufferPointer { offsets in
            try ParallelBatch.run(t.batch * t.inChannels, op: "conv2d backward") { _, lo, hi, stop in
                let scratch = UnsafeMutablePointer<Float>.allocate(capacity: layout.rows * layout.rowLength)
                scratch.initialize(repeating: 0, count: layout.rows * layout.rowLength)
                defer { scratch.deallocate() }
                for plane in lo..<hi {
                    if plane & 63 == 0 && stop() { return }
                    fillPadded(t, dy + plane * t.inPlane, scratch, layout)
                    forwardPlane(t, scratch, layout, offsets: offsets, weight: w.baseAddress! + (plane % t.inChannels) * taps,
                                 bias: 0, y: dx + plane * t.outPlane)
                }
            }
        } }
    }
}
