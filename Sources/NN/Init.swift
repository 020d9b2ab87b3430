import Foundation
import Tensor

/// Weight initialisation from the global generator (`Random.global`, seeded by
/// `tensor.manual_seed`), with PyTorch's formulas.
public enum Init {
    /// Set while `withoutRandomness` runs.
    nonisolated(unsafe) private static var zerosOnly = false

    /// Runs `body` with every initialiser returning zeros and drawing nothing from the
    /// global generator: for building a module whose tensors are all loaded next (a
    /// copy), so the copy costs no random numbers and leaves the generator where it was.
    public static func withoutRandomness<R>(_ body: () throws -> R) rethrows -> R {
        let before = zerosOnly
        zerosOnly = true
        defer { zerosOnly = before }
        return try body()
    }

    /// U(−bound, bound). The shape is checked against the tensor limits first, so a
    /// layer of absurd size is an error (`Linear: shape … is too large`), not an abort.
    public static func uniform(_ shape: [Int], bound: Double, _ op: String = "init") throws -> Tensor {
        let t = try Tensor.allocate(shape, zeroed: zerosOnly, op)
        if zerosOnly { return t }
        let bound = bound.isFinite ? bound : 1
        fill(t, draws: 1) { g in Float((g.nextDouble() * 2 - 1) * bound) }
        return t
    }

    /// N(0, std²).
    public static func normal(_ shape: [Int], std: Double, _ op: String = "init") throws -> Tensor {
        let t = try Tensor.allocate(shape, zeroed: zerosOnly, op)
        if zerosOnly { return t }
        fill(t, draws: 2) { g in Float(Double(g.nextNormal()) * std) }
        return t
    }

    /// Elements per thread below which a tensor is filled on one thread.
    static let parallelGrain = 1 << 15

    /// Sets every element of `t` (contiguous, fresh) to `value(&generator)`, which draws
    /// `draws` numbers, from the global generator in element order. Large tensors are
    /// filled on several threads, each part starting from the generator stepped past the
    /// draws of the parts before it, so the values are exactly those of one pass.
    private static func fill(_ t: Tensor, draws: Int, _ value: (inout Xoshiro256) -> Float) {
        let n = t.numel
        let parts = max(1, min(Parallel.threads, n / parallelGrain))
        var g = Random.global
        var starts: [Xoshiro256] = []
        for p in 0..<parts {
            starts.append(g)
            let count = (n * (p + 1) / parts - n * p / parts) * draws
            for _ in 0..<count { _ = g.next() }
        }
        Random.global = g
        t.withFloats { ptr in
            Parallel.forEach(parts) { p in
                var r = starts[p]
                for i in (n * p / parts)..<(n * (p + 1) / parts) { ptr[i] = value(&r) }
            }
        }
    }

    /// fan_in of a weight [out, in, k…]: in·∏k; fan_out: out·∏k (shapes within the
    /// tensor limits, so the products do not overflow).
    public static func fans(_ shape: [Int]) -> (fanIn: Int, fanOut: Int) {
        let receptive = shape.dropFirst(2).reduce(1, *)
        return ((shape.count > 1 ? shape[1] : 1) * receptive, shape[0] * receptive)
    }

    /// PyTorch's default for Conv and Linear weights: kaiming_uniform_(a = √5), i.e.
    /// U(±1/√fan_in).
    public static func defaultWeight(_ shape: [Int], _ op: String = "init") throws -> Tensor {
        try Tensor.checkShape(shape, op)
        return try uniform(shape, bound: 1 / Double(max(fans(shape).fanIn, 1)).squareRoot(), op)
    }

    /// PyTorch's default bias: U(±1/√fan_in) of the layer's weight.
    public static func defaultBias(_ count: Int, fanIn: Int, _ op: String = "init") throws -> Tensor {
        try uniform([count], bound: 1 / Double(max(fanIn, 1)).squareRoot(), op)
    }

    /// kaiming_normal_ with ReLU gain √2: std = √(2 / fan), fan = fan_in or fan_out.
    public static func kaimingNormal(_ shape: [Int], fanOut: Bool = false) throws -> Tensor {
        try Tensor.checkShape(shape, "init")
        let f = fans(shape)
        return try normal(shape, std: (2 / Double(max(fanOut ? f.fanOut : f.fanIn, 1))).squareRoot())
    }
}

extension Parameter {
    /// The gradient buffer for in-place accumulation: the existing contiguous `grad`, or
    /// a new zero tensor of the value's shape.
    public func gradBuffer() throws -> Tensor {
        if let g = grad, g.isContiguous, g.shape == value.shape, g.dtype == .float32 { return g }
        let g = try Tensor(zeros: value.shape)
        if let old = grad { try? g.copy(from: old) }
        grad = g
        return g
    }
}

/// Formats a pair like PyTorch: `(3, 3)`.
func pair(_ p: (Int, Int)) -> String { "(\(p.0), \(p.1))" }
