import XCTest
@testable import NN
@testable import Tensor

/// Architecture descriptions (ModelSpec, as net:save stores them) rebuild every zoo model
/// (and a pruned one) exactly.
final class SpecTests: XCTestCase {
    func testRoundTripEveryZooModel() throws {
        for name in Zoo.names where !["resnet34", "resnet50"].contains(name) {
            let net = try Zoo.make(name, options: Zoo.testOptions(name))
            let json = try ModelSpec.encode(net)
            let copy = try ModelSpec.decode(json)
            XCTAssertEqual(try ModelSpec.encode(copy), json, name)
            XCTAssertEqual(copy.stateDict().map(\.key), net.stateDict().map(\.key), name)
            XCTAssertEqual(copy.stateDict().map(\.tensor.shape), net.stateDict().map(\.tensor.shape), name)
            XCTAssertEqual(copy.description, net.description, name)
        }
    }

    func testPrunedModelRebuildsWithSameOutput() throws {
        let net = try Zoo.resnetCifar(depth: 20, option: .b)
        // "Prune" layer1.0.conv1 to 8 filters: conv1 out, bn1, conv2 in.
        let c1 = try XCTUnwrap(net.module(at: "layer1.0.conv1") as? Conv2d)
        let bn = try XCTUnwrap(net.module(at: "layer1.0.bn1") as? BatchNorm2d)
        let c2 = try XCTUnwrap(net.module(at: "layer1.0.conv2") as? Conv2d)
        c1.weight.value = try c1.weight.value.narrow(0, 0, 8).contiguous()
        bn.weight!.value = try bn.weight!.value.narrow(0, 0, 8).contiguous()
        bn.bias!.value = try bn.bias!.value.narrow(0, 0, 8).contiguous()
        bn.runningMean = try bn.runningMean.narrow(0, 0, 8).contiguous()
        bn.runningVar = try bn.runningVar.narrow(0, 0, 8).contiguous()
        c2.weight.value = try c2.weight.value.narrow(1, 0, 8).contiguous()
        net.eval()
        let x = randn([2, 3, 32, 32], seed: 4)
        let y = try net.forward(x)
        let copy = try ModelSpec.decode(try ModelSpec.encode(net))
        try copy.loadStateDict(net.stateDict())
        copy.eval()
        XCTAssertEqual(try copy.forward(x).toFloats(), y.toFloats())
        XCTAssertEqual((copy.module(at: "layer1.0.conv2") as? Conv2d)?.inChannels, 8)
    }

    func testBadSpecs() {
        XCTAssertThrowsError(try ModelSpec.decode("[1]"))
        XCTAssertThrowsError(try ModelSpec.decode(#"{"class": "Warp"}"#))
        XCTAssertThrowsError(try ModelSpec.decode(#"{"class": "Conv2d", "in": 3}"#))
    }
}
