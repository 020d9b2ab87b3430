import XCTest
@testable import NN
import Tensor

/// Three steps from p = [1, -2, 0.5] with gradients g1, g2, g3. Reference values: torch
/// 2.13 optimizers in float64 (foreach=False), anchors venv.
final class OptimizerTests: XCTestCase {
    let grads: [[Float]] = [[0.1, -0.2, 0.3], [0.5, 0, -0.1], [-0.3, 0.4, 0.2]]

    func run(_ opt: Optimizer, _ expected: [[Double]], tol: Double = 2e-6, file: StaticString = #filePath, line: UInt = #line) throws {
        let p = Parameter(try Tensor(shape: [3], values: [1, -2, 0.5]))
        let frozen = Parameter(try Tensor(shape: [1], values: [7]))
        frozen.requiresGrad = false
        let noGrad = Parameter(try Tensor(shape: [1], values: [9]))
        for (g, e) in zip(grads, expected) {
            p.grad = try Tensor(shape: [3], values: g)
            frozen.grad = try Tensor(shape: [1], values: [1])
            try opt.step([p, frozen, noGrad])
            for (x, r) in zip(p.value.toFloats(), e) { XCTAssertEqual(Double(x), r, accuracy: tol, file: file, line: line) }
        }
        XCTAssertEqual(frozen.value.toFloats(), [7], "requiresGrad = false is not updated", file: file, line: line)
        XCTAssertEqual(noGrad.value.toFloats(), [9], "no gradient, no update", file: file, line: line)
    }

    func testSGD() throws {
        try run(try SGD(lr: 0.1, weightDecay: 0.01),
                [[0.989, -1.978, 0.4695], [0.938011, -1.976022, 0.4790305], [0.967072989, -2.014045978, 0.4585514695]])
        try run(try SGD(lr: 0.1, momentum: 0.9, dampening: 0.1, weightDecay: 0.01),
                [[0.989, -1.978, 0.4695], [0.9332099, -1.9564198, 0.45062745], [0.90915892109, -1.97123684218, 0.415236590295]])
        try run(try SGD(lr: 0.1, momentum: 0.9, weightDecay: 0.01, nesterov: true),
                [[0.9791, -1.9582, 0.44205], [0.87332971, -1.93665942, 0.435505105], [0.879358312551, -1.9913556251, 0.382185084801]])
        XCTAssertThrowsError(try SGD(lr: 0.1, nesterov: true)) { XCTAssertTrue("\($0)".contains("Nesterov momentum requires")) }
        XCTAssertThrowsError(try SGD(lr: -1))
    }

    func testAdamAdamWAMSGrad() throws {
        try run(try Adam(lr: 0.01, weightDecay: 0.1),
                [[0.9900000005, -1.99000000025, 0.490000000286], [0.98082018599, -1.98068554697, 0.484443017497],
                 [0.976008082234, -1.97675853725, 0.477254825524]])
        try run(try Adam(lr: 0.01, weightDecay: 0.1, decoupled: true),
                [[0.989000001, -1.9880000005, 0.489500000333], [0.979400538617, -1.97931141843, 0.485008314792],
                 [0.97592585587, -1.98073245159, 0.478492441842]])
        try run(try Adam(lr: 0.01, beta1: 0.8, beta2: 0.9, amsgrad: true),
                [[0.990000001, -1.9900000005, 0.490000000333], [0.981272650961, -1.98387375703, 0.486446047866],
                 [0.97932608029, -1.98805746318, 0.480417016548]])
        XCTAssertEqual(try Adam(decoupled: true).weightDecay, 0.01, "AdamW's default weight decay")
        XCTAssertThrowsError(try Adam(beta1: 1)) { XCTAssertTrue("\($0)".contains("adam: invalid beta1")) }
    }

    /// A parameter's `lrScale` and `weightDecay` act as a PyTorch param group's lr and
    /// weight_decay: its trajectory under (lr, wd₀) with lrScale k and weightDecay w is the
    /// one a plain parameter takes under (lr·k, w), for every optimizer; a parameter without
    /// overrides beside it keeps the optimizer's.
    func testPerParameterLearningRateAndWeightDecay() throws {
        let k = 0.25, w = 0.3
        let makers: [(String, (Double, Double) throws -> Optimizer)] = [
            ("sgd", { try SGD(lr: $0, weightDecay: $1) }),
            ("sgd momentum", { try SGD(lr: $0, momentum: 0.9, weightDecay: $1, nesterov: true) }),
            ("adam", { try Adam(lr: $0, weightDecay: $1) }),
            ("adamw", { try Adam(lr: $0, weightDecay: $1, decoupled: true) }),
        ]
        for (name, make) in makers {
            let grouped = try make(0.1, 0.01), reference = try make(0.1 * k, w), plainRef = try make(0.1, 0.01)
            let a = Parameter(try Tensor(shape: [3], values: [1, -2, 0.5]))
            a.lrScale = k; a.weightDecay = w
            let other = Parameter(try Tensor(shape: [3], values: [1, -2, 0.5]))
            let b = Parameter(try Tensor(shape: [3], values: [1, -2, 0.5]))
            let plain = Parameter(try Tensor(shape: [3], values: [1, -2, 0.5]))
            for g in grads {
                for p in [a, other, b, plain] { p.grad = try Tensor(shape: [3], values: g) }
                try grouped.step([a, other])
                try reference.step([b])
                try plainRef.step([plain])
            }
            XCTAssertEqual(a.value.toFloats(), b.value.toFloats(), "\(name): lrScale and weightDecay as a param group")
            XCTAssertEqual(other.value.toFloats(), plain.value.toFloats(), "\(name): the other parameter keeps the optimizer's")
            XCTAssertNotEqual(a.value.toFloats(), other.value.toFloats(), "\(name): the options changed the trajectory")
        }
    }

    /// Saving the state after one step and restoring it into a new optimizer gives the
    /// same second step; a parameter whose shape changed starts afresh.
    func testStateRoundTripAndShapeChange() throws {
        let a = Parameter(try Tensor(shape: [3], values: [1, -2, 0.5])), b = Parameter(try Tensor(shape: [3], values: [1, -2, 0.5]))
        let o1 = try Adam(lr: 0.01, weightDecay: 0.1)
        a.grad = try Tensor(shape: [3], values: grads[0])
        try o1.step([a])
        let saved = Dictionary(uniqueKeysWithValues: try o1.state([a]))
        XCTAssertEqual(Set(saved.keys), ["0.exp_avg", "0.exp_avg_sq", "0.step"])
        b.value = try a.value.clone()
        let o2 = try Adam(lr: 0.01, weightDecay: 0.1)
        try o2.loadState(saved, [b])
        a.grad = try Tensor(shape: [3], values: grads[1]); b.grad = a.grad
        try o1.step([a]); try o2.step([b])
        XCTAssertEqual(a.value.toFloats(), b.value.toFloats())
        XCTAssertThrowsError(try o2.loadState(["0.step": try Tensor.int64(shape: [], values: [1]), "0.exp_avg": try Tensor(zeros: [2])], [b])) {
            XCTAssertTrue("\($0)".contains("state '0.exp_avg' has shape [2], parameter 1 has [3]"), "\($0)")
        }
        // Pruned to 2 elements: momentum restarts (first step uses the plain gradient).
        let s = try SGD(lr: 1, momentum: 0.9)
        let p = Parameter(try Tensor(shape: [3], values: [0, 0, 0]))
        p.grad = try Tensor(shape: [3], values: [1, 1, 1]); try s.step([p])
        p.value = try Tensor(shape: [2], values: [0, 0]); p.grad = try Tensor(shape: [2], values: [1, 2])
        try s.step([p])
        XCTAssertEqual(p.value.toFloats(), [-1, -2])
        p.grad = try Tensor(shape: [3], values: [1, 1, 1])
        XCTAssertThrowsError(try s.step([p])) { XCTAssertTrue("\($0)".contains("gradient of shape [3] for a parameter of shape [2]"), "\($0)") }
    }
}
