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
        let ow = g.outWidth, o = (off[0], off[1], off[2])
        var wide = TapSums<SIMD8<Float>>(), narrow = TapSums<SIMD4<Float>>()
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 9) { tail in
            tail.initialize(repeating: 0)
            for r in 0..<g.outHeight {
                let d = dy + r * ow, r0 = scratch + r * g.strideH * rl
                var q = 0
                while q + 8 <= ow { wide.add(d + q, r0 + q, rowStep: dh, o); q += 8 }
                if q + 4 <= ow { narrow.add(d + q, r0 + q, rowStep: dh, o); q += 4 }
                while q < ow {
                    let v = d[q]
                    for i in 0..<3 { for j in 0..<3 { tail[3 * i + j] += v * (r0 + i * dh + q)[off[j]] } }
                    q += 1
                }
            }
            for t in 0..<9 { acc[t] += Double(wide.sum(t)) + Double(narrow.sum(t)) + Double(tail[t]) }
        }
    }

    /// The nine running tap sums of a 3×3 ∂L/∂w at one vector width, held in registers.
    struct TapSums<V: SIMD> where V.Scalar == Float {
        var s0 = V(), s1 = V(), s2 = V(), s3 = V(), s4 = V(), s5 = V(), s6 = V(), s7 = V(), s8 = V()

        /// Adds ∂L/∂y at `d` times the three scratch rows from `r0` (`rowStep` apart), each at
        /// the three column offsets.
        @inline(__always)
        mutating func add(_ d: UnsafePointer<Float>, _ r0: UnsafePointer<Float>, rowStep: Int, _ o: (Int, Int, Int)) {
            @inline(__always) func l(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }
            let v = l(d), r1 = r0 + rowStep, r2 = r1 + rowStep
            s0.addProduct(v, l(r0 + o.0)); s1.addProduct(v, l(r0 + o.1)); s2.addProduct(v, l(r0 + o.2))
            s3.addProduct(v, l(r1 + o.0)); s4.addProduct(v, l(r1 + o.1)); s5.addProduct(v, l(r1 + o.2))
            s6.addProduct(v, l(r2 + o.0)); s7.addProduct(v, l(r2 + o.1)); s8.addProduct(v, l(r2 + o.2))
        }

        /// Tap t's sum over the lanes.
        @inline(__always)
        func sum(_ t: Int) -> Float {
            switch t {
            case 0: return s0.sum()
            case 1: return s1.sum()
            case 2: return s2.sum()
            case 3: return s3.sum()
            case 4: return s4.sum()
            case 5: return s5.sum()
            case 6: return s6.sum()
            case 7: return s7.sum()
            default: return s8.sum()
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
