import CAVX512
import Tensor

/// A ReLU output's mask as bits, 16 floats' `> 0` a 16-bit word (bit j of word k: float
/// 16k + j; false for NaN, as `ReLUGate` reads a gate), and back to 1 / 0 floats: what a
/// gradient pass keeps of a map it lets the next layer overwrite (`ReLUMask` in NN). 1/32 of
/// the map's bytes; both directions over all cores, with AVX-512 mask compares and moves
/// where the CPU has them.
public enum ReLUBits {
    /// The words `count` floats need.
    public static func words(_ count: Int) -> Int { (count + 15) / 16 }

    /// bits[k] = the mask of x[16k ..< 16k + 16].
    public static func pack(_ x: UnsafePointer<Float>, count n: Int, into bits: UnsafeMutablePointer<UInt16>) {
        Parallel.ranges(words(n), grain: 4096) { lo, hi in
            let a = 16 * lo, b = min(16 * hi, n)
            if CPU.useAVX512 { topiary_relu_mask_pack_avx512(x + a, bits + lo, b - a); return }
            for k in lo..<hi {
                var w: UInt16 = 0
                for j in 0..<min(16, n - 16 * k) where x[16 * k + j] > 0 { w |= 1 << j }
                bits[k] = w
            }
        }
    }

    /// y[i] = 1 where bit i is set, else 0, for `count` floats.
    public static func unpack(_ bits: UnsafePointer<UInt16>, count n: Int, into y: UnsafeMutablePointer<Float>) {
        Parallel.ranges(words(n), grain: 4096) { lo, hi in
            let a = 16 * lo, b = min(16 * hi, n)
            if CPU.useAVX512 { topiary_relu_mask_unpack_avx512(bits + lo, y + a, b - a); return }
            for i in a..<b { y[i] = bits[i >> 4] & (1 << (i & 15)) != 0 ? 1 : 0 }
        }
    }
}
