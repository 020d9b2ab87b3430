import Tensor

/// The windows of a 2-d pooling over `planes` planes of H×W (PyTorch's output-size
/// rules, including ceil_mode). Planes are split across threads.
public struct PoolGeometry: Sendable, Windowed {
    public var planes: Int, height: Int, width: Int, outHeight: Int, outWidth: Int
    /// Kernel size, stride, padding and dilation.
    public var window: Window2d

    public init(planes: Int, height: Int, width: Int, kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int),
                dilation: (Int, Int) = (1, 1), ceilMode: Bool = false, op: String) throws {
        guard kernel.0 > 0, kernel.1 > 0, stride.0 > 0, stride.1 > 0, dilation.0 > 0, dilation.1 > 0 else {
            throw TensorError("\(op): kernel_size, stride and dilation must be positive")
        }
        guard padding.0 >= 0, padding.1 >= 0, padding.0 * 2 <= kernel.0, padding.1 * 2 <= kernel.1 else {
            throw TensorError("\(op): padding must be non-negative and at most half the kernel size")
        }
        self.planes = planes; self.height = height; self.width = width
        window = Window2d(kernel: kernel, stride: stride, padding: padding, dilation: dilation)
        outHeight = window.outHeight(height, ceil: ceilMode)
        outWidth = window.outWidth(width, ceil: ceilMode)
        guard outHeight > 0, outWidth > 0 else {
            throw TensorError("\(op): input \(height)x\(width) is too small for kernel \(kernelH)x\(kernelW)")
        }
    }
}

public enum Pooling {
    /// Runs `body(plane, H·W, outH·outW)` for every plane of `g`, the planes split over
    /// threads (at least about 16 K input values each).
    @inline(__always)
    static func forEachPlane(_ g: PoolGeometry, _ body: (_ p: Int, _ inP: Int, _ outP: Int) -> Void) {
        let inP = g.height * g.width, outP = g.outHeight * g.outWidth
        Parallel.ranges(g.planes, grain: max(1, 16384 / max(inP, 1))) { lo, hi in
            for p in lo..<hi { body(p, inP, outP) }
        }
    }

    /// Max pooling; `index[o]` receives the position (h·W + w) of each maximum within its plane.
    public static func maxForward(_ g: PoolGeometry, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
                                  index: UnsafeMutablePointer<Int32>) {
        if fastMax2x2 && isMax2x2(g) { return maxForward2x2(g, x: x, y: y, index: index) }
        forEachPlane(g) { p, inP, outP in
            let xp = x + p * inP, yp = y + p * outP, ip = index + p * outP
            for oh in 0..<g.outHeight {
                let h0 = oh * g.strideH - g.padH
                for ow in 0..<g.outWidth {
                    let w0 = ow * g.strideW - g.padW
                    var best = -Float.infinity, at = -1
                    for i in 0..<g.kernelH {
                        let h = h0 + i * g.dilationH
                        if h < 0 || h >= g.height { continue }
                        for j in 0..<g.kernelW {
                            let w = w0 + j * g.dilationW
                            if w < 0 || w >= g.width { continue }
                            let v = xp[h * g.width + w]
                            if v > best || v.isNaN || at < 0 { best = v; at = h * g.width + w; if v.isNaN { break } }
                        }
                    }
                    yp[oh * g.outWidth + ow] = best
                    ip[oh * g.outWidth + ow] = Int32(max(at, 0))
                }
            }
        }
    }

    /// dx (overwritten) from dy and the recorded maxima.
    public static func maxBackward(_ g: PoolGeometry, dy: UnsafePointer<Float>, index: UnsafePointer<Int32>,
                                   dx: UnsafeMutablePointer<Float>) {
        forEachPlane(g) { p, inP, outP in
            let dxp = dx + p * inP, dyp = dy + p * outP, ip = index + p * outP
            dxp.update(repeating: 0, count: inP)
            for o in 0..<outP { dxp[Int(ip[o])] += dyp[o] }
        }
    }

    /// The clipped window [h0, h1) × [w0, w1) of output (oh, ow) and its divisor
    /// (PyTorch's avg_pool2d: the padded window size when count_include_pad).
    @inline(__always)
    static func avgWindow(_ g: PoolGeometry, _ oh: Int, _ ow: Int, includePad: Bool) -> (Int, Int, Int, Int, Float) {
        var h0 = oh * g.strideH - g.padH, w0 = ow * g.strideW - g.padW
        var h1 = min(h0 + g.kernelH, g.height + g.padH), w1 = min(w0 + g.kernelW, g.width + g.padW)
        let padded = (h1 - h0) * (w1 - w0)
        h0 = max(h0, 0); w0 = max(w0, 0); h1 = min(h1, g.height); w1 = min(w1, g.width)
        let n = includePad ? padded : (h1 - h0) * (w1 - w0)
        return (h0, h1, w0, w1, 1 / Float(max(n, 1)))
    }

    public static func avgForward(_ g: PoolGeometry, includePad: Bool, x: UnsafePointer<Float>,
                                  y: UnsafeMutablePointer<Float>) {
        forEachPlane(g) { p, inP, outP in
            let xp = x + p * inP, yp = y + p * outP
            for oh in 0..<g.outHeight {
                for ow in 0..<g.outWidth {
                    let (h0, h1, w0, w1, inv) = avgWindow(g, oh, ow, includePad: includePad)
                    var s: Float = 0
                    for h in h0..<max(h0, h1) { for w in w0..<max(w0, w1) { s += xp[h * g.width + w] } }
                    yp[oh * g.outWidth + ow] = s * inv
                }
            }
        }
    }

    public static func avgBackward(_ g: PoolGeometry, includePad: Bool, dy: UnsafePointer<Float>,
                                   dx: UnsafeMutablePointer<Float>) {
        forEachPlane(g) { p, inP, outP in
            let dxp = dx + p * inP, dyp = dy + p * outP
            dxp.update(repeating: 0, count: inP)
            for oh in 0..<g.outHeight {
                for ow in 0..<g.outWidth {
                    let (h0, h1, w0, w1, inv) = avgWindow(g, oh, ow, includePad: includePad)
                    let v = dyp[oh * g.outWidth + ow] * inv
                    for h in h0..<max(h0, h1) { for w in w0..<max(w0, w1) { dxp[h * g.width + w] += v } }
                }
            }
        }
    }

    /// Adaptive average pooling to outH×outW: window o spans [⌊o·n/out⌋, ⌈(o+1)·n/out⌉).
    public static func adaptiveAvg(planes: Int, height: Int, width: Int, outH: Int, outW: Int,
                                   x: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>?,
                                   dy: UnsafePointer<Float>? = nil, dx: UnsafeMutablePointer<Float>? = nil) {
        let inP = height * width, outP = outH * outW
        Parallel.ranges(planes, grain: max(1, 16384 / max(inP, 1))) { lo, hi in
            for p in lo..<hi {
                if let dx { (dx + p * inP).update(repeating: 0, count: inP) }
                for oh in 0..<outH {
                    let h0 = oh * height / outH, h1 = ((oh + 1) * height + outH - 1) / outH
                    for ow in 0..<outW {
                        let w0 = ow * width / outW, w1 = ((ow + 1) * width + outW - 1) / outW
                        let inv = 1 / Float((h1 - h0) * (w1 - w0))
                        if let x, let y {
                            var s: Float = 0
                            for h in h0..<h1 { s += rowSumFloat(x + p * inP + h * width + w0, w1 - w0) }
                            y[p * outP + oh * outW + ow] = s * inv
                        }
                        if let dy, let dx {
                            let v = dy[p * outP + oh * outW + ow] * inv
                            for h in h0..<h1 { for w in w0..<w1 { dx[p * inP + h * width + w] += v } }
                        }
                    }
                }
            }
        }
    }
}
