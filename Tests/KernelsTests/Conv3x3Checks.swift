import XCTest
@testable import Kernels
@testable import Tensor

/// A 3×3 convolution case: batch, input and output channels, plane, padding (stride 1).
struct Conv3x3Case { var n: Int, c: Int, k: Int, h: Int, w: Int, pad: Int }

/// What the tests of the 3×3 stride-1 kernels (Winograd, direct) share: random cases,
/// and the convolution, its input gradient and its weight gradient summed in double.
protocol Conv3x3Checks {}

extension Conv3x3Checks {
    /// Random cases: channels among 1, 3, 8, 11, 16, 23, 45; planes 1…33 (odd and even);
    /// padding 0, 1 and 2; batch 1 or several.
    func cases(_ count: Int, seed: UInt64) -> [Conv3x3Case] {
        var rng = Xoshiro256(seed: seed)
        let channels = [1, 3, 8, 11, 16, 23, 45]
        var out = [Conv3x3Case(n: 1, c: 1, k: 1, h: 1, w: 1, pad: 1), Conv3x3Case(n: 3, c: 45, k: 23, h: 8, w: 8, pad: 1),
                   Conv3x3Case(n: 2, c: 11, k: 16, h: 33, w: 32, pad: 1), Conv3x3Case(n: 1, c: 16, k: 16, h: 3, w: 3, pad: 0)]
        while out.count < count {
            let pad = rng.nextInt(3), lo = max(1, 3 - 2 * pad)
            let h = lo + rng.nextInt(34 - lo), w = lo + rng.nextInt(34 - lo)
            out.append(Conv3x3Case(n: 1 + rng.nextInt(3), c: channels[rng.nextInt(channels.count)],
                                   k: channels[rng.nextInt(channels.count)], h: h, w: w, pad: pad))
        }
        return out
    }

    /// `body` with an output pass over the arrays: bias, scale, shift, residual and ReLU
    /// where `on(0)` … `on(4)` says.
    func withEpilogue<R>(bias: [Float], scale: [Float], shift: [Float], residual: [Float], _ on: (Int) -> Bool,
                         _ body: (ConvEpilogue) throws -> R) rethrows -> R {
        try bias.withUnsafeBufferPointer { b in
            try scale.withUnsafeBufferPointer { a in
                try shift.withUnsafeBufferPointer { t in
                    try residual.withUnsafeBufferPointer { r in
                        try body(ConvEpilogue(bias: on(0) ? b.baseAddress : nil, scale: on(1) ? a.baseAddress : nil,
                                              shift: on(2) ? t.baseAddress : nil, residual: on(3) ? r.baseAddress : nil,
                                              relu: on(4)))
                    }
                }
            }
        }
    }

    func geometry(_ c: Conv3x3Case) throws -> ConvGeometry {
        try ConvGeometry(batch: c.n, inChannels: c.c, height: c.h, width: c.w, outChannels: c.k,
                         kernel: (3, 3), padding: (c.pad, c.pad))
    }

    /// Calls body(n, o, c, i, j, p, q, hi, wi) for every product y[n, o, i, j] takes:
    /// weight (o, c, p, q) times input (n, c, hi, wi) inside the image.
    func forEachProduct(_ g: ConvGeometry, _ body: (Int, Int, Int, Int, Int, Int, Int, Int, Int) -> Void) {
        for n in 0..<g.batch { for o in 0..<g.outChannels { for i in 0..<g.outHeight { for j in 0..<g.outWidth {
            for c in 0..<g.inChannels { for p in 0..<3 { for q in 0..<3 {
                let hi = i - g.padH + p, wi = j - g.padW + q
                guard hi >= 0, hi < g.height, wi >= 0, wi < g.width else { continue }
                body(n, o, c, i, j, p, q, hi, wi)
            } } }
        } } } }
    }

    /// y = conv(x, w) in double: [N, K, OH, OW].
    func reference(_ g: ConvGeometry, _ x: [Float], _ w: [Float]) -> [Double] {
        let C = g.inChannels, K = g.outChannels
        var y = [Double](repeating: 0, count: g.batch * K * g.outPlane)
        forEachProduct(g) { n, o, c, i, j, p, q, hi, wi in
            y[((n * K + o) * g.outHeight + i) * g.outWidth + j] +=
                Double(w[((o * C + c) * 3 + p) * 3 + q]) * Double(x[((n * C + c) * g.height + hi) * g.width + wi])
        }
        return y
    }

    /// ∂L/∂x for ∂L/∂y = dy, in double: [N, C, H, W].
    func inputGradientReference(_ g: ConvGeometry, _ dy: [Float], _ w: [Float]) -> [Double] {
        let C = g.inChannels, K = g.outChannels
        var dx = [Double](repeating: 0, count: g.batch * C * g.inPlane)
        forEachProduct(g) { n, o, c, i, j, p, q, hi, wi in
            dx[((n * C + c) * g.height + hi) * g.width + wi] +=
                Double(dy[((n * K + o) * g.outHeight + i) * g.outWidth + j]) * Double(w[((o * C + c) * 3 + p) * 3 + q])
        }
        return dx
    }

    /// ∂L/∂w for ∂L/∂y = dy, in double: [K, C, 3, 3].
    func weightGradientReference(_ g: ConvGeometry, _ x: [Float], _ dy: [Float]) -> [Double] {
        let C = g.inChannels, K = g.outChannels
        var dw = [Double](repeating: 0, count: K * C * 9)
        forEachProduct(g) { n, o, c, i, j, p, q, hi, wi in
            dw[((o * C + c) * 3 + p) * 3 + q] +=
                Double(dy[((n * K + o) * g.outHeight + i) * g.outWidth + j]) * Double(x[((n * C + c) * g.height + hi) * g.width + wi])
        }
        return dw
    }

    func random(_ count: Int, seed: UInt64) -> [Float] {
        var rng = Xoshiro256(seed: seed)
        return (0..<count).map { _ in rng.nextNormal() }
    }

    /// max |a − b| / max |b|.
    func relError(_ a: [Float], _ b: [Double]) -> Double {
        let scale = b.map { abs($0) }.max() ?? 0
        return (zip(a, b).map { abs(Double($0) - $1) }.max() ?? 0) / max(scale, 1e-30)
    }
}
