import Tensor

/// Batch normalisation fused with the ReLU after it, for training (`Sequential` runs a
/// BatchNorm followed by a ReLU as one pair): the forward writes max(x·scale + shift, 0)
/// in one pass instead of two, and the backward takes the gradient of the ReLU's output,
/// recomputing its mask from x (x·scale + shift > 0, the very expression of the forward,
/// so the same elements pass), instead of a separate ReLU backward pass over the map.
/// Every result is bit for bit the one of the two layers run one after the other.
public struct BatchNormGate {
    /// The forward's per-channel scale and shift.
    public let scale: UnsafePointer<Float>, shift: UnsafePointer<Float>
    public init(scale: UnsafePointer<Float>, shift: UnsafePointer<Float>) { self.scale = scale; self.shift = shift }
}

extension BatchNormKernel {
    /// y = max(x·scale[c] + shift[c], 0).
    public static func affineReLU(_ x: UnsafePointer<Float>, n: Int, c: Int, s: Int, gate: BatchNormGate,
                                  y: UnsafeMutablePointer<Float>) {
        Parallel.ranges(n * c, grain: max(1, 32768 / max(s, 1))) { lo, hi in
            for r in lo..<hi {
                let a = gate.scale[r % c], b = gate.shift[r % c]
                let src = x + r * s, dst = y + r * s
                for q in 0..<s { dst[q] = max(src[q] * a + b, 0) }
            }
        }
    }

    /// `gradientSums` of the gated gradient dz = (x·scale + shift > 0 ? dy : 0).
    public static func gradientSums(_ x: UnsafePointer<Float>, dy: UnsafePointer<Float>, n: Int, c: Int, s: Int,
                                    center: UnsafePointer<Float>, gate: BatchNormGate,
                                    sumDy: UnsafeMutablePointer<Double>, sumDyX: UnsafeMutablePointer<Double>) {
        Parallel.ranges(c, grain: max(1, 32768 / max(n * s, 1))) { lo, hi in
            for ch in lo..<hi {
                var a = 0.0, b = 0.0
                for i in 0..<n {
                    let o = (i * c + ch) * s
                    let (sd, sdx) = rowGatedSums(dy + o, x + o, s, center[ch], gate.scale[ch], gate.shift[ch])
                    a += Double(sd)
                    b += Double(sdx)
                }
                sumDy[ch] = a
                sumDyX[ch] = b
            }
        }
    }

    /// dx = k[c]·dz + u[c]·x + v[c] with the gated gradient dz (see `gradientSums`).
    public static func combine(_ x: UnsafePointer<Float>, dy: UnsafePointer<Float>, n: Int, c: Int, s: Int,
                               k: UnsafePointer<Float>, u: UnsafePointer<Float>, v: UnsafePointer<Float>,
                               gate: BatchNormGate, dx: UnsafeMutablePointer<Float>) {
        Parallel.ranges(n * c, grain: max(1, 32768 / max(s, 1))) { lo, hi in
            for r in lo..<hi {
                let ch = r % c, kk = k[ch], uu = u[ch], vv = v[ch], a = gate.scale[ch], b = gate.shift[ch]
                let gx = x + r * s, gy = dy + r * s, out = dx + r * s
                for q in 0..<s {
                    let d = gx[q] * a + b > 0 ? gy[q] : 0
                    out[q] = kk * d + uu * gx[q] + vv
                }
            }
        }
    }

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
