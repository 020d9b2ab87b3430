import NN
@testable import Tensor

/// A seeded random tensor.
func randn(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
    var rng = Xoshiro256(seed: seed)
    let t = try! Tensor(uninitialized: shape)
    for i in 0..<t.numel { t.ptr[i] = rng.nextNormal() * scale }
    return t
}

/// Every `step`-th channel of `n`, shifted by `offset`, removed: a deterministic keep-set
/// of about (1 - 1/step) of the channels that is never empty.
func keepMost(_ n: Int, dropEvery step: Int, offset: Int = 0) -> [Int] {
    let keep = (0..<n).filter { ($0 + offset) % step != 0 }
    return keep.isEmpty ? [0] : keep
}

/// Random BN statistics so eval-mode outputs depend on every channel.
func randomizeNorms(_ net: any Module, seed: UInt64) {
    var s = seed
    for (_, m) in net.namedModules() {
        guard let b = m as? BatchNorm else { continue }
        s += 1
        let c = b.numFeatures
        b.runningMean = randn([c], seed: s, scale: 0.1)
        b.runningVar = try! randn([c], seed: s + 1000, scale: 0.1).map { 1 + abs($0) }
        if let w = b.weight { w.value = try! randn([c], seed: s + 2000, scale: 0.2).map { 1 + $0 } }
        if let bias = b.bias { bias.value = randn([c], seed: s + 3000, scale: 0.1) }
    }
}

func maxAbsDiff(_ a: Tensor, _ b: Tensor) -> Float {
    zip(a.toFloats(), b.toFloats()).map { abs($0 - $1) }.max() ?? 0
}
