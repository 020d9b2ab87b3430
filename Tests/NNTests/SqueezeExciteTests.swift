import XCTest
@testable import NN
@testable import Tensor

/// The squeeze-and-excitation container: values by hand, finite-difference gradients of the
/// input and every parameter, the trace's scale node, its spec, and its errors.
final class SqueezeExciteTests: XCTestCase {
    func testValuesByHand() throws {
        let se = try SqueezeExcite(channels: 2, squeezeChannels: 1)
        let fc1 = try XCTUnwrap(se.module(at: "fc1") as? Conv2d), fc2 = try XCTUnwrap(se.module(at: "fc2") as? Conv2d)
        fc1.weight.value = try Tensor(shape: [1, 2, 1, 1], values: [1, -1])
        fc1.bias!.value = try Tensor(shape: [1], values: [0.5])
        fc2.weight.value = try Tensor(shape: [2, 1, 1, 1], values: [2, -3])
        fc2.bias!.value = try Tensor(shape: [2], values: [0, 1])
        // channel means 2.5 and 1: fc1 → relu(2.5 − 1 + 0.5) = 2; fc2 → (4, −5); sigmoid
        let x = try Tensor(shape: [1, 2, 2, 2], values: [1, 2, 3, 4, 1, 1, 1, 1])
        let y = try se.forward(x).toFloats()
        let s0 = 1 / (1 + expf(-4)), s1 = 1 / (1 + expf(5))
        let want = [1, 2, 3, 4].map { $0 * s0 } + [1, 1, 1, 1].map { $0 * s1 }
        for (a, b) in zip(y, want) { XCTAssertEqual(a, b, accuracy: 1e-6) }
        XCTAssertEqual(se.stateDict().map(\.key), ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"])
    }

    func testGradients() throws {
        for gate in [Sigmoid(), Hardsigmoid()] as [Activation] {
            let se = try SqueezeExcite(channels: 4, squeezeChannels: 2, activation: SiLU(), scaleActivation: gate)
            try GradCheck().check(se, randn([2, 4, 3, 3], seed: 5))
        }
    }

    func testTraceRecordsTheScale() throws {
        let se = try SqueezeExcite(channels: 4, squeezeChannels: 2)
        let g = try Tracer.trace(se, input: try Tensor(zeros: [1, 4, 5, 5]))
        let scale = try XCTUnwrap(g.nodes.first { $0.kind == .scale })
        XCTAssertEqual(scale.inputShapes, [[1, 4, 5, 5], [1, 4, 1, 1]])
        XCTAssertEqual(g.nodes.filter { $0.kind == .layer }.map(\.name), ["avgpool", "fc1", "activation", "fc2", "scale_activation"])
        XCTAssertEqual(try se.count(inputShape: [1, 4, 5, 5]).macs, 4 * 2 + 2 * 4)
    }

    func testSpecRoundTripAndErrors() throws {
        let se = try SqueezeExcite(channels: 6, squeezeChannels: 3, scaleActivation: Hardsigmoid())
        let json = try ModelSpec.encode(se)
        let copy = try ModelSpec.decode(json)
        XCTAssertEqual(try ModelSpec.encode(copy), json)
        try copy.loadStateDict(se.stateDict())
        let x = randn([2, 6, 4, 4], seed: 2)
        XCTAssertEqual(try copy.forward(x).toFloats(), try se.forward(x).toFloats())
        XCTAssertThrowsError(try se.forward(randn([2, 6], seed: 1))) { XCTAssertTrue("\($0)".contains("[N, C, H, W]"), "\($0)") }
        XCTAssertThrowsError(try se.forward(randn([1, 5, 4, 4], seed: 1)))
        XCTAssertThrowsError(try SqueezeExcite(channels: 0, squeezeChannels: 2))
        XCTAssertThrowsError(try SqueezeExcite(named: [("fc1", ReLU())])) { XCTAssertTrue("\($0)".contains("avgpool, fc1"), "\($0)") }
        XCTAssertThrowsError(try SqueezeExcite(channels: 2, squeezeChannels: 1).backward(randn([1, 2, 2, 2], seed: 1)))
    }
}
