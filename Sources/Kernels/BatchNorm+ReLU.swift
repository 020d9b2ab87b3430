import Tensor

/// Batch normalisation fused with the ReLU after it, for training (`Sequential` runs a
/// BatchNorm followed by a ReLU as one pair): the forward writes max(x·scale + shift, 0)
/// in one pass instead of two (`affine(relu: true)`), and the backward (`gradientSums`,
/// `combine` and `scaled` with a gate) takes the gradient of the ReLU's output,
/// recomputing its mask from x (x·scale + shift > 0, the very expression of the forward,
/// so the same elements pass), instead of a separate ReLU backward pass over the map.
/// Every result is bit for bit the one of the two layers run one after the other.
public struct BatchNormGate {
    /// The forward's per-channel scale and shift.
    public let scale: UnsafePointer<Float>, shift: UnsafePointer<Float>
    public init(scale: UnsafePointer<Float>, shift: UnsafePointer<Float>) { self.scale = scale; self.shift = shift }
}

extension BatchNormKernel {
    /// dx = k[c]·dz + 0 with the gated gradient dz (running statistics: `scaled`).
    public static func scaled(_ dy: UnsafePointer<Float>, x: UnsafePointer<Float>, n: Int, c: Int, s: Int,
                              k: UnsafePointer<Float>, gate: BatchNormGate, dx: UnsafeMutablePointer<Float>) {
        Parallel.ranges(n * c, grain: max(1, 32768 / max(s, 1))) { lo, hi in
            for r in lo..<hi {
                let ch = r % c, kk = k[ch], a = gate.scale[ch], b = gate.shift[ch]
                let gx = x + r * s, gy = dy + r * s, out = dx + r * s
                for q in 0..<s { out[q] = kk * (gx[q] * a + b > 0 ? gy[q] : 0) + 0 }
            }
        }
    }
}

/// (Σ dz[i], Σ dz[i]·(x[i] − m)) with dz = (x·a + b > 0 ? dy : 0), in the lanes and order
/// of `rowSumFloat` and `rowCenteredDot` on dz (so the sums equal theirs).
@inline(__always)
func rowGatedSums(_ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ n: Int, _ m: Float, _ a: Float,
                  _ b: Float) -> (Float, Float) {
    typealias V = SIMD8<Float>
    var sum = V(repeating: 0), dot = V(repeating: 0)
    let mv = V(repeating: m), av = V(repeating: a), bv = V(repeating: b), zero = V(repeating: 0)
    var i = 0
    while i + 8 <= n {
        let xv = UnsafeRawPointer(x + i).loadUnaligned(as: V.self)
        let d = zero.replacing(with: UnsafeRawPointer(dy + i).loadUnaligned(as: V.self), where: xv * av + bv .> zero)
        sum += d
        dot.addProduct(d, xv - mv)
        i += 8
    }
    var s = sum.sum(), t = dot.sum()
    let tail = i
    while i < n { s += x[i] * a + b > 0 ? dy[i] : 0; i += 1 }
    i = tail
    while i < n { t += (x[i] * a + b > 0 ? dy[i] : 0) * (x[i] - m); i += 1 }
    return (s, t)
}
