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
        for n in 0..<g.batch {
            fillPadded(g, x + (n * g.inChannels + oc / mult) * g.inPlane, scratch, layout)
            let dyo = dy + (n * g.outChannels + oc) * g.outPlane
            if kh == 3 && kw == 3 && ow >= 4 {
                weightGradient3x3(g, dy: dyo, scratch: scratch, rowLength: rl, rowStep: dh, offsets: off, into: acc)
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

    /// One image's 3×3 ∂L/∂w, added to `acc`: each tap's products of ∂L/∂y rows with the
    /// shifted scratch rows, 8 outputs a step (then 4, then one), the nine sums in registers
    /// (an array of accumulators went through memory on every step: 10 % of a MobileNetV2
    /// train step).
    @inline(__always)
    static func weightGradient3x3(_ g: ConvGeometry, dy: UnsafePointer<Float>, scratch: UnsafePointer<Float>,
                                  rowLength rl: Int, rowStep dh: Int, offsets off: UnsafeBufferPointer<Int>,
                                  into acc: UnsafeMutablePointer<Double>) {
        typealias V8 = SIMD8<Float>
        typealias V4 = SIMD4<Float>
        @inline(__always) func l8(_ p: UnsafePointer<Float>) -> V8 { UnsafeRawPointer(p).loadUnaligned(as: V8.self) }
        @inline(__always) func l4(_ p: UnsafePointer<Float>) -> V4 { UnsafeRawPointer(p).loadUnaligned(as: V4.self) }
        let ow = g.outWidth, o0 = off[0], o1 = off[1], o2 = off[2]
        var a0 = V8(), a1 = V8(), a2 = V8(), a3 = V8(), a4 = V8(), a5 = V8(), a6 = V8(), a7 = V8(), a8 = V8()
        var b0 = V4(), b1 = V4(), b2 = V4(), b3 = V4(), b4 = V4(), b5 = V4(), b6 = V4(), b7 = V4(), b8 = V4()
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 9) { tail in
            tail.initialize(repeating: 0)
            for r in 0..<g.outHeight {
                let d = dy + r * ow, r0 = scratch + r * g.strideH * rl, r1 = r0 + dh, r2 = r1 + dh
                var q = 0
                while q + 8 <= ow {
                    let v = l8(d + q)
                    a0.addProduct(v, l8(r0 + q + o0)); a1.addProduct(v, l8(r0 + q + o1)); a2.addProduct(v, l8(r0 + q + o2))
                    a3.addProduct(v, l8(r1 + q + o0)); a4.addProduct(v, l8(r1 + q + o1)); a5.addProduct(v, l8(r1 + q + o2))
                    a6.addProduct(v, l8(r2 + q + o0)); a7.addProduct(v, l8(r2 + q + o1)); a8.addProduct(v, l8(r2 + q + o2))
                    q += 8
                }
                if q + 4 <= ow {
                    let v = l4(d + q)
                    b0.addProduct(v, l4(r0 + q + o0)); b1.addProduct(v, l4(r0 + q + o1)); b2.addProduct(v, l4(r0 + q + o2))
                    b3.addProduct(v, l4(r1 + q + o0)); b4.addProduct(v, l4(r1 + q + o1)); b5.addProduct(v, l4(r1 + q + o2))
                    b6.addProduct(v, l4(r2 + q + o0)); b7.addProduct(v, l4(r2 + q + o1)); b8.addProduct(v, l4(r2 + q + o2))
                    q += 4
                }
                while q < ow {
                    let v = d[q]
                    for i in 0..<3 { for j in 0..<3 { tail[3 * i + j] += v * (r0 + i * dh + q)[off[j]] } }
                    q += 1
                }
            }
            @inline(__always) func add(_ t: Int, _ a: V8, _ b: V4) { acc[t] += Double(a.sum()) + Double(b.sum()) + Double(tail[t]) }
            add(0, a0, b0); add(1, a1, b1); add(2, a2, b2); add(3, a3, b3); add(4, a4, b4)
            add(5, a5, b5); add(6, a6, b6); add(7, a7, b7); add(8, a8, b8)
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
