import XCTest
import NN
@testable import Pruning
@testable import Tensor

/// Pruning through squeeze-and-excitation blocks: the block's channels take fc1's inputs and
/// fc2's outputs with them, the squeeze channels are a group; the pruned net computes what the
/// masked one does, and the mask (zeroing the same parameters) does too.
final class SqueezeExcitePruningTests: XCTestCase {
    func net() throws -> Sequential {
        try Sequential(named: [
            ("conv1", try Conv2d(3, 8, kernelSize: (3, 3), padding: (1, 1))), ("bn1", try BatchNorm2d(8)), ("act1", Hardswish()),
            ("se", try SqueezeExcite(channels: 8, squeezeChannels: 4, scaleActivation: Hardsigmoid())),
            ("conv2", try Conv2d(8, 6, kernelSize: (3, 3), padding: (1, 1))), ("bn2", try BatchNorm2d(6)), ("act2", ReLU()),
            ("pool", try AdaptiveAvgPool2d(outputSize: (1, 1))), ("flatten", Flatten()), ("fc", try Linear(6, 3)),
        ])
    }

    func testGroupsAndExactSurgery() throws {
        let m = try net()
        randomizeNorms(m, seed: 3)
        m.eval()
        let graph = try DependencyGraph(m, inputShape: [1, 3, 8, 8])
        XCTAssertTrue(graph.problems.isEmpty, "\(graph.problems)")
        let conv1 = try XCTUnwrap(graph.group(named: "conv1")), squeeze = try XCTUnwrap(graph.group(named: "se.fc1"))
        XCTAssertEqual(conv1.channels, 8)
        XCTAssertEqual(squeeze.channels, 4)
        let layers = Set(graph.slots.filter { $0.classes.contains(where: { conv1.classes.contains($0) }) }.map(\.layer))
        XCTAssertTrue(layers.isSuperset(of: ["conv1", "bn1", "se.fc1", "se.fc2", "conv2"]), "\(layers)")
        let kept = [conv1.index: [0, 2, 5, 7], squeeze.index: [1, 3]]
        let x = randn([2, 3, 8, 8], seed: 4)
        let masked = try graph.maskedForward(m, x, kept: kept)
        let zeroedCopy = try m.deepCopy()
        try DependencyGraph(zeroedCopy, inputShape: [1, 3, 8, 8]).zero(kept)
        try graph.apply(kept)
        let y = try m.forward(x)
        XCTAssertLessThan(maxAbsDiff(y, masked), 1e-5)
        XCTAssertLessThan(maxAbsDiff(try zeroedCopy.forward(x), y), 1e-5)
        let fc1 = try XCTUnwrap(m.module(at: "se.fc1") as? Conv2d), fc2 = try XCTUnwrap(m.module(at: "se.fc2") as? Conv2d)
        XCTAssertEqual(fc1.weight.value.shape, [2, 4, 1, 1])
        XCTAssertEqual(fc2.weight.value.shape, [4, 2, 1, 1])
        XCTAssertEqual(fc2.bias?.value.shape, [4])
    }
}
