import Tensor

/// The depthwise forward by output rows: each input plane is copied once into a zero-bordered
/// scratch plane whose columns are split by stride phase (column c at phase c % s, index
/// c / s), so every tap of every output row reads contiguous floats; a row's taps are summed
/// in registers, eight outputs at a time, and the row is written once.
extension DepthwiseConv2d {
    /// The scratch layout for `g`: rows, and floats a row (`stride` phases of `phase` floats).
    static func paddedLayout(_ g: ConvGeometry) -> (rows: Int, rowLength: Int, phase: Int) {
        let rows = max(g.height + 2 * g.padH, (g.outHeight - 1) * g.strideH + (g.kernelH - 1) * g.dilationH + 1)
        let cols = max(g.width + 2 * g.padW, (g.outWidth - 1) * g.strideW + (g.kernelW - 1) * g.dilationW + 1)
        let phase = (cols + g.strideW - 1) / g.strideW
        return (rows, phase * g.strideW, phase)
    }

    /// Copies input plane `xc` into `scratch` (`paddedLayout`), columns by phase. Every plane
    /// writes the same positions, so the zeros around them, written once when the scratch
    /// was made, stay.
    static func fillPadded(_ g: ConvGeometry, _ xc: UnsafePointer<Float>, _ scratch: UnsafeMutablePointer<Float>,
                           _ layout: (rows: Int, rowLength: Int, phase: Int)) {
        let s = g.strideW
        for r in 0..<g.height {
            let src = xc + r * g.width, dst = scratch + (r + g.padH) * layout.rowLength
            if s == 1 {
                // rows are short (2 to 32 floats): eight at a time in registers, not a memmove call each
                let out = dst + g.padW
                var c = 0
                while c + 8 <= g.width {
                    UnsafeMutableRawPointer(out + c).storeBytes(of: UnsafeRawPointer(src + c).loadUnaligned(as: SIMD8<Float>.self),
                                                                as: SIMD8<Float>.self)
                    c += 8
                }
                while c < g.width { out[c] = src[c]; c += 1 }
            } else {
                // padded column p = c + padW goes to phase p % s, index p / s
                for phase in 0..<s {
                    // the first input column at this phase, and its index there
                    var c = phase - g.padW, k = 0
                    if c < 0 { let skip = (-c + s - 1) / s; c += skip * s; k = skip }
                    let out = dst + phase * layout.phase
                    if s == 2 {   // sixteen columns at a time: their even lanes are this phase's
                        while c + 16 <= g.width {
                            let v = UnsafeRawPointer(src + c).loadUnaligned(as: SIMD16<Float>.self)
                            UnsafeMutableRawPointer(out + k).storeBytes(of: v.evenHalf, as: SIMD8<Float>.self)
                            c += 16; k += 8
                        }
                    }
                    while c < g.width { out[k] = src[c]; k += 1; c += s }
                }
            }
        }
    }

    /// Where tap column j starts within a scratch row: its phase's offset plus its whole strides.
    static func columnOffsets(_ g: ConvGeometry, _ layout: (rows: Int, rowLength: Int, phase: Int)) -> [Int] {
        (0..<g.kernelW).map { j in
            let c = j * g.dilationW
            return (c % g.strideW) * layout.phase + c / g.strideW
        }
    }

    /// One output plane from its scratch input plane: y = bias + Σ taps w·x. `offsets`:
    /// `columnOffsets` (computed once per call: planes can be as small as 2×2).
    static func forwardPlane(_ g: ConvGeometry, _ scratch: UnsafePointer<Float>, _ layout: (rows: Int, rowLength: Int, phase: Int),
                             offsets: UnsafeBufferPointer<Int>, weight w: UnsafePointer<Float>, bias: Float, y: UnsafeMutablePointer<Float>) {
        let kh = g.kernelH, kw = g.kernelW, ow = g.outWidth
        if kh == 3 && kw == 3 {
            forwardPlane3x3(g, scratch, layout, offsets: (offsets[0], offsets[1], offsets[2]), weight: w, bias: bias, y: y)
            return
        }
        let off = offsets
        for r in 0..<g.outHeight {
            let yr = y + r * ow
            /// Outputs q ..< q + lanes of row r: the taps summed in one vector.
            @inline(__always) func outputs<V: SIMD>(_: V.Type, at q: Int) where V.Scalar == Float {
                var acc = V(repeating: bias)
                for i in 0..<kh {
                    let row = scratch + (r * g.strideH + i * g.dilationH) * layout.rowLength + q
                    for j in 0..<kw { acc.addProduct(V(repeating: w[i * kw + j]), UnsafeRawPointer(row + off[j]).loadUnaligned(as: V.self)) }
                }
                UnsafeMutableRawPointer(yr + q).storeBytes(of: acc, as: V.self)
            }
            var q = 0
            while q + 8 <= ow { outputs(SIMD8<Float>.self, at: q); q += 8 }
            // 4×4 and 12×12 planes (MobileNetV3's 5×5 layers on CIFAR): four at a time, not one
            while q + 4 <= ow { outputs(SIMD4<Float>.self, at: q); q += 4 }
            while q < ow {
                var acc = bias
                for i in 0..<kh {
                    let row = scratch + (r * g.strideH + i * g.dilationH) * layout.rowLength + q
                    for j in 0..<kw { acc += w[i * kw + j] * row[off[j]] }
                }
                yr[q] = acc
                q += 1
            }
        }
    }

    /// `forwardPlane` for 3×3 kernels: the nine weights and three column offsets held in
    /// registers, rows of eight (then four) outputs at a time.
    static func forwardPlane3x3(_ g: ConvGeometry, _ scratch: UnsafePointer<Float>, _ layout: (rows: Int, rowLength: Int, phase: Int),
                                offsets o: (Int, Int, Int), weight w: UnsafePointer<Float>, bias: Float, y: UnsafeMutablePointer<Float>) {
        let ow = g.outWidth, rl = layout.rowLength, dh = g.dilationH * rl
        let w8 = (SIMD8<Float>(repeating: w[0]), SIMD8<Float>(repeating: w[1]), SIMD8<Float>(repeating: w[2]),
                  SIMD8<Float>(repeating: w[3]), SIMD8<Float>(repeating: w[4]), SIMD8<Float>(repeating: w[5]),
                  SIMD8<Float>(repeating: w[6]), SIMD8<Float>(repeating: w[7]), SIMD8<Float>(repeating: w[8]))
        @inline(__always) func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> { UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self) }
        @inline(__always) func load4(_ p: UnsafePointer<Float>) -> SIMD4<Float> { UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Float>.self) }
        for r in 0..<g.outHeight {
            let yr = y + r * ow, top = scratch + r * g.strideH * rl
            var q = 0
            while q + 8 <= ow {
                let r0 = top + q, r1 = r0 + dh, r2 = r1 + dh
                var acc = SIMD8<Float>(repeating: bias)
                acc.addProduct(w8.0, load8(r0 + o.0)); acc.addProduct(w8.1, load8(r0 + o.1)); acc.addProduct(w8.2, load8(r0 + o.2))
                acc.addProduct(w8.3, load8(r1 + o.0)); acc.addProduct(w8.4, load8(r1 + o.1)); acc.addProduct(w8.5, load8(r1 + o.2))
                acc.addProduct(w8.6, load8(r2 + o.0)); acc.addProduct(w8.7, load8(r2 + o.1)); acc.addProduct(w8.8, load8(r2 + o.2))
                UnsafeMutableRawPointer(yr + q).storeBytes(of: acc, as: SIMD8<Float>.self)
                q += 8
            }
            while q + 4 <= ow {
                let r0 = top + q, r1 = r0 + dh, r2 = r1 + dh
                var acc = SIMD4<Float>(repeating: bias)
                acc.addProduct(SIMD4(repeating: w[0]), load4(r0 + o.0)); acc.addProduct(SIMD4(repeating: w[1]), load4(r0 + o.1))
                acc.addProduct(SIMD4(repeating: w[2]), load4(r0 + o.2)); acc.addProduct(SIMD4(repeating: w[3]), load4(r1 + o.0))
                acc.addProduct(SIMD4(repeating: w[4]), load4(r1 + o.1)); acc.addProduct(SIMD4(repeating: w[5]), load4(r1 + o.2))
                acc.addProduct(SIMD4(repeating: w[6]), load4(r2 + o.0)); acc.addProduct(SIMD4(repeating: w[7]), load4(r2 + o.1))
                acc.addProduct(SIMD4(repeating: w[8]), load4(r2 + o.2))
                UnsafeMutableRawPointer(yr + q).storeBytes(of: acc, as: SIMD4<Float>.self)
                q += 4
            }
            while q < ow {
                var acc = bias
                for i in 0..<3 {
                    let row = top + i * dh + q
                    acc += w[3 * i] * row[o.0] + w[3 * i + 1] * row[o.1] + w[3 * i + 2] * row[o.2]
                }
                yr[q] = acc
                q += 1
            }
        }
    }
}
