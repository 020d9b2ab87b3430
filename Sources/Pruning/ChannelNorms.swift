import Foundation
import Tensor

/// The p-norm of `t`'s values for each index along `dim`, `factor` consecutive indices
/// per channel, read in place (no transposed copy). Values are summed in double
/// precision, index by index, each over the other dims in order (for dims 0 and 1 the
/// channel's row of `transpose(0, dim)`); p = 1 and 2 sum each contiguous run with
/// 16 interleaved partial sums (SIMD), so they agree with a sequential sum to rounding
/// (about 1e-15 relative), not bit for bit. nil when `dim` is out of range.
func channelNorms(_ t: Tensor, dim: Int, factor: Int, p: Double) throws -> [Double]? {
    let shape = t.shape
    guard dim >= 0, dim < shape.count else { return nil }
    let outer = shape[..<dim].reduce(1, *), n = shape[dim], inner = shape[(dim + 1)...].reduce(1, *)
    let f = max(factor, 1), channels = n / f
    var out = [Double](repeating: 0, count: channels)
    try t.withContiguousFloats { x in
        for c in 0..<channels {
            var acc = 0.0
            for i in (c * f)..<((c + 1) * f) {
                for o in 0..<outer {
                    let row = x + (o * n + i) * inner
                    switch p {
                    case 1: acc += RunSums.absolute(row, inner)
                    case 2: acc += RunSums.squares(row, inner)
                    default: for k in 0..<inner { acc += Foundation.pow(Double(abs(row[k])), p) }
                    }
                }
            }
            out[c] = p == 1 ? acc : p == 2 ? acc.squareRoot() : Foundation.pow(acc, 1 / p)
        }
    }
    return out
}

/// Double-precision sums over a run of floats, 16 partial sums wide.
enum RunSums {
    @inline(__always)
    private static func load(_ p: UnsafePointer<Float>, _ k: Int) -> SIMD4<Double> {
        SIMD4<Double>(UnsafeRawPointer(p + k).loadUnaligned(as: SIMD4<Float>.self))
    }

    /// |x| of four floats (sign bits cleared: a compare and blend would be 2× slower).
    @inline(__always)
    private static func loadAbs(_ p: UnsafePointer<Float>, _ k: Int) -> SIMD4<Double> {
        let bits = UnsafeRawPointer(p + k).loadUnaligned(as: SIMD4<UInt32>.self) & 0x7fff_ffff
        return SIMD4<Double>(unsafeBitCast(bits, to: SIMD4<Float>.self))
    }

    /// Σ |x_k|.
    static func absolute(_ x: UnsafePointer<Float>, _ n: Int) -> Double {
        var a0 = SIMD4<Double>(), a1 = SIMD4<Double>(), a2 = SIMD4<Double>(), a3 = SIMD4<Double>()
        var k = 0
        while k + 16 <= n {
            a0 += loadAbs(x, k); a1 += loadAbs(x, k + 4); a2 += loadAbs(x, k + 8); a3 += loadAbs(x, k + 12)
            k += 16
        }
        var acc = ((a0 + a1) + (a2 + a3)).sum()
        while k < n { acc += Double(abs(x[k])); k += 1 }
        return acc
    }

    /// Σ x_k².
    static func squares(_ x: UnsafePointer<Float>, _ n: Int) -> Double {
        var a0 = SIMD4<Double>(), a1 = SIMD4<Double>(), a2 = SIMD4<Double>(), a3 = SIMD4<Double>()
        var k = 0
        while k + 16 <= n {
            let v0 = load(x, k), v1 = load(x, k + 4), v2 = load(x, k + 8), v3 = load(x, k + 12)
            a0 += v0 * v0; a1 += v1 * v1; a2 += v2 * v2; a3 += v3 * v3
            k += 16
        }
        var acc = ((a0 + a1) + (a2 + a3)).sum()
        while k < n { let v = Double(x[k]); acc += v * v; k += 1 }
        return acc
    }

    /// Σ x_k·y_k.
    static func products(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ n: Int) -> Double {
        var a0 = SIMD4<Double>(), a1 = SIMD4<Double>(), a2 = SIMD4<Double>(), a3 = SIMD4<Double>()
        var k = 0
        while k + 16 <= n {
            a0.addProduct(load(x, k), load(y, k)); a1.addProduct(load(x, k + 4), load(y, k + 4))
            a2.addProduct(load(x, k + 8), load(y, k + 8)); a3.addProduct(load(x, k + 12), load(y, k + 12))
            k += 16
        }
        var acc = ((a0 + a1) + (a2 + a3)).sum()
        while k < n { acc += Double(x[k]) * Double(y[k]); k += 1 }
        return acc
    }

    /// How many x_k are zero (either sign).
    static func zeros(_ x: UnsafePointer<Float>, _ n: Int) -> Int {
        var a0 = SIMD8<Int32>(), a1 = SIMD8<Int32>()
        var k = 0
        let none = SIMD8<Int32>(), one = SIMD8<Int32>(repeating: 1)
        while k + 16 <= n {
            let v0 = UnsafeRawPointer(x + k).loadUnaligned(as: SIMD8<Float>.self)
            let v1 = UnsafeRawPointer(x + k + 8).loadUnaligned(as: SIMD8<Float>.self)
            a0 &+= none.replacing(with: one, where: v0 .== 0)
            a1 &+= none.replacing(with: one, where: v1 .== 0)
            k += 16
        }
        var count = Int((a0 &+ a1).wrappedSum())
        while k < n { if x[k] == 0 { count += 1 }; k += 1 }
        return count
    }
}
