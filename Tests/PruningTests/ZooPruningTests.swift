import XCTest
import NN
@testable import Pruning
@testable import Tensor

/// Every zoo model builds its groups and prunes 30 % of every group; the pruned net
/// computes what the masked full net computes, stays trainable and reloads from its spec.
final class ZooPruningTests: XCTestCase {
    static let models: [(name: String, options: [String: ZooOption], input: [Int])] = [
        ("small_cnn", [:], [2, 1, 28, 28]),
        ("vgg11", [:], [2, 3, 32, 32]),
        ("vgg16", ["classifier": .string("mlp")], [2, 3, 32, 32]),
        ("resnet20", [:], [2, 3, 32, 32]),
        ("resnet32", ["option": .string("B")], [2, 3, 32, 32]),
        ("resnet18", [:], [2, 3, 32, 32]),
        ("resnet50", [:], [1, 3, 32, 32]),
        ("densenet40", [:], [2, 3, 32, 32]),
        ("googlenet", [:], [1, 3, 32, 32]),
        ("mobilenetv2", ["width": .number(0.5)], [2, 3, 32, 32]),
        ("mobilenetv3_small", ["width": .number(0.5)], [2, 3, 32, 32]),
    ]

    func testEveryZooModelPrunesThirtyPercent() throws {
        for (name, options, input) in Self.models {
            let net = try Zoo.make(name, options: options)
            randomizeNorms(net, seed: 7)
            net.eval()
            let graph = try DependencyGraph(net, inputShape: [1] + input.dropFirst())
            XCTAssertTrue(graph.problems.isEmpty, "\(name): \(graph.problems)")
            let prunable = graph.groups.filter { $0.frozen == nil }
            XCTAssertGreaterThan(prunable.count, 0, name)
            var kept: [Int: [Int]] = [:]
            for g in prunable {
                let n = g.channels, k = max(1, Int(Double(n) * 0.7))
                kept[g.index] = Array((0..<n).sorted { (($0 * 7 + g.index) % n, $0) < (($1 * 7 + g.index) % n, $1) }.prefix(k)).sorted()
                XCTAssertEqual(kept[g.index]!.count, k)
            }
            let x = randn(input, seed: 11)
            let masked = try graph.maskedForward(net, x, kept: kept)
            let before = try net.count(inputShape: [1] + input.dropFirst())
            try graph.apply(kept)
            let y = try net.forward(x)
            XCTAssertLessThan(maxAbsDiff(y, masked), 1e-3 * max(1, masked.toFloats().map(abs).max()!), name)
            let after = try net.count(inputShape: [1] + input.dropFirst())
            XCTAssertLessThan(after.params, before.params, name)
            XCTAssertLessThan(after.macs, before.macs, name)
            // The spec of the pruned net rebuilds it.
            let copy = try ModelSpec.decode(try ModelSpec.encode(net))
            try copy.loadStateDict(net.stateDict())
            copy.eval()
            XCTAssertEqual(try copy.forward(x).toFloats(), y.toFloats(), name)
            // Still trainable: a backward pass runs with the pruned shapes.
            net.train()
            let out = try net.forward(randn([2] + input.dropFirst(), seed: 12))
            _ = try net.backward(try Tensor(zeros: out.shape).fullLike(1))
        }
    }
}

/// Surgery slices the optimizer's state with the weights; the plan checks its net.
final class SurgeryStateTests: XCTestCase {
    func testMomentumIsSlicedWithTheWeights() throws {
        let net = try Zoo.smallCNN()
        let sgd = try SGD(lr: 0.1, momentum: 0.9)
        let x = randn([4, 1, 28, 28], seed: 3)
        let out = try net.forward(x)
        let (_, g) = try CrossEntropy.compute(logits: out, targets: try Tensor(zeros: [4], dtype: .int64))
        _ = try net.backward(g)
        try sgd.step(net.namedParameters().map(\.parameter))
        let conv2 = try XCTUnwrap(net.module(at: "conv2") as? Conv2d)
        let before = try XCTUnwrap(try sgd.state([conv2.weight]).first { $0.0 == "0.momentum_buffer" }?.1)
        let graph = try DependencyGraph(net, inputShape: [1, 1, 28, 28])
        let g1 = try XCTUnwrap(graph.group(named: "conv1")), g2 = try XCTUnwrap(graph.group(named: "conv2"))
        let keep1 = [0, 5, 9, 31], keep2 = Array(stride(from: 1, to: 64, by: 2))
        try graph.apply([g1.index: keep1, g2.index: keep2], optimizer: sgd)
        let after = try XCTUnwrap(try sgd.state([conv2.weight]).first { $0.0 == "0.momentum_buffer" }?.1)
        XCTAssertEqual(after.shape, [32, 4, 3, 3])
        XCTAssertEqual(after.shape, conv2.weight.value.shape)
        for (i, o) in keep2.enumerated() {
            for (j, c) in keep1.enumerated() {
                XCTAssertEqual(try after.select(0, i).select(0, j).toFloats(), try before.select(0, o).select(0, c).toFloats())
            }
        }
        // The linear after the flatten lost 32 blocks of 49 features.
        XCTAssertEqual((net.module(at: "fc1") as? Linear)?.inFeatures, 32 * 49)
        // Training goes on.
        _ = try net.backward(try CrossEntropy.compute(logits: try net.forward(x), targets: try Tensor(zeros: [4], dtype: .int64)).grad)
        try sgd.step(net.namedParameters().map(\.parameter))
    }

    func testGroupsOfDenseNetKeepConcatOffsets() throws {
        let net = try Zoo.densenet(depth: 10, growth: 4)
        let graph = try DependencyGraph(net, inputShape: [1, 3, 32, 32])
        // The first dense layer's conv feeds every later BN / conv in its block at offset 8.
        let g = try XCTUnwrap(graph.group(named: "dense1.0.conv1"))
        let later = g.slots.first { $0.layer == "dense1.1.conv1" && $0.role == .input }
        XCTAssertEqual(later.map { g.positions(in: $0).map(\.position) }, [8, 9, 10, 11])
    }

    func testOpaqueLayersAreReported() throws {
        let net = Sequential([try Conv2d(4, 8, kernelSize: (3, 3)), ReLU(), try Conv2d(8, 8, kernelSize: (3, 3), groups: 2),
                              try Conv2d(8, 4, kernelSize: (1, 1))])
        let graph = try DependencyGraph(net, inputShape: [1, 4, 12, 12])
        XCTAssertEqual(graph.problems.map(\.layer), ["2"])
        XCTAssertTrue(graph.problems[0].reason.contains("grouped convolution"))
        let first = try XCTUnwrap(graph.group(named: "0"))
        XCTAssertTrue(first.frozen?.contains("grouped convolution") ?? false, "\(first.frozen ?? "nil")")
        XCTAssertThrowsError(try graph.apply([first.index: [0, 1]]))
    }
}
