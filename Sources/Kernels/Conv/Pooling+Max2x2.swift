import Tensor

extension Pooling {
    /// Whether max pooling over 2×2 windows at stride 2 without padding (VGG's, and most
    /// CNNs') takes `maxForward2x2` instead of the general window loop (`topiary bench
    /// train --ab pool-2x2`). The same maxima, indices and NaN rule either way.
    nonisolated(unsafe) public static var fastMax2x2 = true

    /// Whether `g` is a 2×2, stride-2 window with no padding or dilation whose windows all
    /// lie inside the plane (no ceil_mode window hanging over the edge).
    static func isMax2x2(_ g: PoolGeometry) -> Bool {
        g.kernelH == 2 && g.kernelW == 2 && g.strideH == 2 && g.strideW == 2 && g.padH == 0 && g.padW == 0
            && g.dilationH == 1 && g.dilationW == 1 && 2 * g.outHeight <= g.height && 2 * g.outWidth <= g.width
    }

    /// `maxForward` for `isMax2x2` geometries: the window's four values a, b (top row), c,
    /// d (bottom row) in the general loop's order and with its rule — a larger value or a NaN
    /// takes the lead, and a NaN ends its row (so b is not looked at after a NaN a, nor d
    /// after a NaN c) — as a chain of selects with no bounds checks, which the compiler
    /// vectorises. The general loop spent ~8 % of a VGG-16 training step here.
    static func maxForward2x2(_ g: PoolGeometry, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
                              index: UnsafeMutablePointer<Int32>) {
        let W = g.width, OH = g.outHeight, OW = g.outWidth, below = Int32(W)
        forEachPlane(g) { p, inP, outP in
            let xp = x + p * inP, yp = y + p * outP, ip = index + p * outP
            for oh in 0..<OH {
                let top = xp + 2 * oh * W, bottom = top + W, out = yp + oh * OW, at = ip + oh * OW
                let rowStart = Int32(2 * oh * W)
                for ow in 0..<OW {
                    let a = top[2 * ow], b = top[2 * ow + 1], c = bottom[2 * ow], d = bottom[2 * ow + 1]
                    var best = a, k: Int32 = 0
                    if !a.isNaN && (b > best || b.isNaN) { best = b; k = 1 }
                    if c > best || c.isNaN { best = c; k = below }
                    if !c.isNaN && (d > best || d.isNaN) { best = d; k = below + 1 }
                    out[ow] = best
                    at[ow] = rowStart + Int32(2 * ow) + k
                }
            }
        }
    }
}
