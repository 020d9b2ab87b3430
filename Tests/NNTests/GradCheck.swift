import XCTest
@testable import Kernels
@testable import NN
@testable import Tensor

/// Finite-difference gradient checks. The loss is L = Σ y·r for a fixed random r, so
/// ∂L/∂y = r; backward(r) must give ∂L/∂x and the parameter gradients. Central
/// differences (eps ~1e-2) on a handful of sampled coordinates, sums in double,
/// relative tolerance ~1e-2 (relative to the larger of the two values and the mean
/// gradient magnitude, so tiny gradients do not fail on rounding), plus the rounding
/// noise of a float32 loss: a few ulps of ‖y∘r‖₂ over 2·eps. That allowance matters only
/// where the true gradient is ~0 (a conv bias before a training-mode BatchNorm, whose
/// numeric difference is pure rounding); elsewhere it is far below 1e-2 of the gradient.
struct GradCheck {
    var eps: Float = 1e-2
    var tolerance = 1e-2
    var samples = 12
    /// Called before every forward (e.g. to reseed Dropout's mask).
    var beforeForward: () -> Void = {}

    func loss(_ m: any Module, _ x: Tensor, _ r: Tensor) throws -> Double {
        beforeForward()
        let y = try m.forward(x).contiguous()
        var s = 0.0
        for i in 0..<y.numel { s += Double(y.ptr[i]) * Double(r.ptr[i]) }
        return s
    }

    /// Checks ∂L/∂x and every parameter's gradient of `m` at `x`.
    func check(_ m: any Module, _ x: Tensor, file: StaticString = #filePath, line: UInt = #line) throws {
        var rng = Xoshiro256(seed: 99)
        beforeForward()
        let y = try m.forward(x)
        let r = try Tensor(uninitialized: y.shape)
        for i in 0..<r.numel { r.ptr[i] = rng.nextNormal() }
        let yc = try y.contiguous()
        let norm = (0..<yc.numel).reduce(0.0) { $0 + pow(Double(yc.ptr[$1]) * Double(r.ptr[$1]), 2) }.squareRoot()
        let noise = 4 * Double(Float.ulpOfOne) * norm / (2 * Double(eps))
        m.zeroGrad()
        let dx = try m.backward(r).contiguous()
        XCTAssertEqual(dx.shape, x.shape, "input gradient shape", file: file, line: line)
        var targets: [(String, Tensor, Tensor)] = [("input", x, dx)]
        for (name, p) in m.namedParameters() {
            guard let g = p.grad else { XCTFail("\(name): no gradient", file: file, line: line); continue }
            targets.append((name, p.value, try g.contiguous()))
        }
        for (name, value, grad) in targets {
            let scale = (0..<grad.numel).reduce(0.0) { $0 + abs(Double(grad.ptr[$1])) } / Double(max(grad.numel, 1))
            for k in 0..<min(samples, value.numel) {
                let i = value.numel <= samples ? k : rng.nextInt(value.numel)
                let old = value.ptr[i]
                value.ptr[i] = old + eps
                let lp = try loss(m, x, r)
                value.ptr[i] = old - eps
                let lm = try loss(m, x, r)
                value.ptr[i] = old
                let numeric = (lp - lm) / (2 * Double(eps))
                let analytic = Double(grad.ptr[i])
                let denom = max(abs(numeric), abs(analytic), scale, 1e-2)
                XCTAssertLessThanOrEqual(abs(numeric - analytic), tolerance * denom + noise,
                                         "\(m.typeName) \(name)[\(i)]: numeric \(numeric), analytic \(analytic)",
                                         file: file, line: line)
            }
        }
    }
}

/// A seeded random tensor.
func randn(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
    var rng = Xoshiro256(seed: seed)
    let t = try! Tensor(uninitialized: shape)
    for i in 0..<t.numel { t.ptr[i] = rng.nextNormal() * scale }
    return t
}

/// Distinct values (a shuffled ramp spaced `step` apart), so max-pooling and ReLU have
/// no ties or near-kinks within the finite-difference step.
func distinct(_ shape: [Int], seed: UInt64, step: Float = 0.05) -> Tensor {
    var rng = Xoshiro256(seed: seed)
    let n = shape.reduce(1, *)
    var v = (0..<n).map { Float($0) - Float(n) / 2 + 0.5 }
    for i in stride(from: n - 1, to: 0, by: -1) { v.swapAt(i, rng.nextInt(i + 1)) }
    return try! Tensor(shape: shape, values: v.map { $0 * step })
}
