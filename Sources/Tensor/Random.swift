import Foundation

/// Topiary's one seeded generator family: xoshiro256** seeded through SplitMix64.
/// `Random.global` backs tensor.rand/randn; loaders and criteria derive their own
/// generators from explicit seeds, so a notebook replays to the same numbers.
public struct Xoshiro256: RandomNumberGenerator, Sendable {
    private var s: (UInt64, UInt64, UInt64, UInt64)

    public init(seed: UInt64) {
        var x = seed
        func splitmix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s = (splitmix(), splitmix(), splitmix(), splitmix())
    }

    @inline(__always)
    public mutating func next() -> UInt64 {
        let result = ((s.1 &* 5) << 7 | (s.1 &* 5) >> 57) &* 9
        let t = s.1 << 17
        s.2 ^= s.0; s.3 ^= s.1; s.1 ^= s.2; s.0 ^= s.3
        s.2 ^= t
        s.3 = (s.3 << 45) | (s.3 >> 19)
        return result
    }

    /// Uniform in [0, 1) with 24 bits of precision.
    @inline(__always)
    public mutating func nextFloat() -> Float { Float(next() >> 40) * 0x1p-24 }

    /// Uniform in [0, 1) with 53 bits.
    @inline(__always)
    public mutating func nextDouble() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// Standard normal (Box–Muller; one value per call, deterministic).
    @inline(__always)
    public mutating func nextNormal() -> Float {
        let u1 = 1 - nextDouble(), u2 = nextDouble()
        return Float((-2 * Foundation.log(u1)).squareRoot() * cos(2 * Double.pi * u2))
    }

    /// Uniform integer in 0..<n.
    public mutating func nextInt(_ n: Int) -> Int { n <= 1 ? 0 : Int(next() % UInt64(n)) }
}

/// The process-wide generator behind `tensor.manual_seed`, `rand`, `randn`, `randperm`.
public enum Random {
    nonisolated(unsafe) public static var global = Xoshiro256(seed: 0x70_70_1A_E9)

    /// Reseeds the global generator.
    public static func manualSeed(_ seed: UInt64) { global = Xoshiro256(seed: seed) }
}
