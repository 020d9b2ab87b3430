import XCTest
@testable import NN
@testable import Tensor

/// The data-flow graph of a traced ResNet-20 (option A) and of a DenseNet layer.
final class TraceTests: XCTestCase {
    func testResNet20Structure() throws {
        let net = try Zoo.resnetCifar(depth: 20)
        net.train()
        let g = try Tracer.trace(net, input: try Tensor(zeros: [1, 3, 32, 32]))
        XCTAssertTrue(net.namedModules().allSatisfy { $0.module.training }, "training flags restored")
        // input, stem (3), 9 blocks × (conv1 bn1 relu1 conv2 bn2 add relu2) + 2 shortcuts, avgpool flatten linear
        XCTAssertEqual(g.nodes.count, 1 + 3 + 9 * 7 + 2 + 3)
        func node(_ n: String) throws -> TraceNode { try XCTUnwrap(g.node(named: n), n) }
        func name(_ id: Int) -> String { g.nodes[id].name }
        XCTAssertEqual(g.nodes[0].kind, .input)
        XCTAssertEqual(g.nodes.filter { $0.kind == .add }.count, 9)
        XCTAssertEqual(g.nodes.filter { $0.typeName == "ShortcutA" }.map(\.name), ["layer2.0.shortcut", "layer3.0.shortcut"])
        // Stem output feeds the first block's conv1 and its identity shortcut (the add).
        let stem = try node("relu")
        XCTAssertEqual(g.consumers(of: stem.id).map(name), ["layer1.0.conv1", "layer1.0"])
        let add = try XCTUnwrap(g.nodes.first { $0.kind == .add && $0.name == "layer1.0" })
        XCTAssertEqual(add.inputs.map(name), ["layer1.0.bn2", "relu"])
        XCTAssertEqual(g.consumers(of: add.id).map(name), ["layer1.0.relu2"])
        // Downsampling block: the add joins bn2 and the padded shortcut.
        let sc = try node("layer2.0.shortcut")
        XCTAssertEqual(sc.inputs.map(name), ["layer1.2.relu2"])
        XCTAssertEqual(sc.inChannels, 16); XCTAssertEqual(sc.outChannels, 32)
        XCTAssertEqual(sc.outputShape, [1, 32, 16, 16])
        let add2 = try XCTUnwrap(g.nodes.first { $0.kind == .add && $0.name == "layer2.0" })
        XCTAssertEqual(add2.inputs.map(name), ["layer2.0.bn2", "layer2.0.shortcut"])
        let conv = try node("layer2.0.conv1")
        XCTAssertTrue(conv.module is Conv2d)
        XCTAssertEqual(conv.inChannels, 16); XCTAssertEqual(conv.outChannels, 32)
        // Head: avgpool -> flatten -> linear, which produces the output.
        let flat = try node("flatten"), lin = try node("linear")
        XCTAssertEqual(flat.inputs.map(name), ["avgpool"])
        XCTAssertEqual(lin.inputs, [flat.id])
        XCTAssertEqual(flat.outputShape, [1, 64])
        XCTAssertEqual(g.output, lin.id)
        // Execution order: every input precedes its consumer.
        XCTAssertTrue(g.nodes.allSatisfy { n in n.inputs.allSatisfy { $0 < n.id } })
    }

    func testConcatAndIdentityInTrace() throws {
        let net = try Zoo.densenet(depth: 7, growth: 2)   // one layer per block
        let g = try Tracer.trace(net, input: try Tensor(zeros: [1, 3, 32, 32]))
        let cat = try XCTUnwrap(g.nodes.first { $0.kind == .concat && $0.name == "dense1.0" })
        // Identity branch is invisible: the concat reads conv1 (the input) and the body's conv.
        XCTAssertEqual(cat.inputs.map { g.nodes[$0].name }, ["conv1", "dense1.0.conv1"])
        XCTAssertEqual(cat.inputShapes.map { $0[1] }, [4, 2])
        XCTAssertEqual(cat.outChannels, 6)
        XCTAssertEqual(g.consumers(of: try XCTUnwrap(g.node(named: "conv1")).id).map { g.nodes[$0].name }, ["dense1.0.bn1", "dense1.0"])
    }

    func testObserveSeesNamedModulesInOrder() throws {
        let net = try Zoo.resnetCifar(depth: 20)
        net.eval()
        var seen: [(String, [Int])] = []
        let y = try Tracer.observe({ path, _, _, out in seen.append((path, out.shape)) }) {
            try net.forward(try Tensor(zeros: [2, 3, 32, 32]))
        }
        XCTAssertEqual(y.shape, [2, 10])
        let names = seen.map(\.0)
        XCTAssertEqual(Array(names.prefix(4)), ["conv1", "bn1", "relu", "layer1.0.conv1"])
        XCTAssertTrue(names.contains("layer1.0") && names.contains("layer1") && names.contains("layer2.0.shortcut"))
        XCTAssertLessThan(names.firstIndex(of: "layer1.0.relu2")!, names.firstIndex(of: "layer1.0")!)
        XCTAssertEqual(seen.first { $0.0 == "layer2.0.relu1" }?.1, [2, 32, 16, 16])
        XCTAssertNil(Tracer.current)
    }
    /// A shape-only trace (the default) records the same graph as one that computes every
    /// layer, and reports a misfit layer with the same message.
    func testShapeOnlyTraceEqualsFullTrace() throws {
        let nets: [(any Module, [Int])] = [
            (try Zoo.resnetCifar(depth: 20), [1, 3, 32, 32]),
            (try Zoo.resnetCifar(depth: 20, option: .b), [2, 3, 32, 32]),
            (try Zoo.densenet(depth: 7, growth: 2), [1, 3, 32, 32]),
            (try Zoo.smallCNN(classes: 10, inChannels: 1), [3, 1, 28, 28]),
        ]
        for (net, shape) in nets {
            let fast = try Tracer.trace(net, input: try Tensor(zeros: shape))
            let full = try Tracer.trace(net, input: try Tensor(zeros: shape), shapesOnly: false)
            XCTAssertEqual(fast.description, full.description)
            XCTAssertEqual(fast.nodes.map(\.inputShapes), full.nodes.map(\.inputShapes))
        }
        // A conv fed the wrong channel count: the same error either way, naming the layer.
        let net = try Zoo.resnetCifar(depth: 20)
        let conv = try XCTUnwrap(net.module(at: "layer1.0.conv2") as? Conv2d)
        conv.weight.value = try Tensor(zeros: [16, 5, 3, 3])
        var messages: [String] = []
        for only in [true, false] {
            XCTAssertThrowsError(try Tracer.trace(net, input: try Tensor(zeros: [1, 3, 32, 32]), shapesOnly: only)) {
                messages.append(String(describing: $0))
            }
        }
        XCTAssertEqual(messages.count, 2)
        XCTAssertEqual(messages.first, messages.last)
        XCTAssertTrue(messages[0].contains("layer1.0.conv2"), messages[0])
        // A linear with the wrong input features: the same error too.
        let lin = try Zoo.resnetCifar(depth: 20)
        try XCTUnwrap(lin.module(at: "linear") as? Linear).weight.value = try Tensor(zeros: [10, 63])
        messages = []
        for only in [true, false] {
            XCTAssertThrowsError(try Tracer.trace(lin, input: try Tensor(zeros: [1, 3, 32, 32]), shapesOnly: only)) {
                messages.append(String(describing: $0))
            }
        }
        XCTAssertEqual(messages.first, messages.last)
        XCTAssertTrue(messages.first?.contains("linear") ?? false)
    }

    /// A forward hook sees real outputs during a trace (shape-only is off while hooks exist).
    func testTraceWithHookComputesOutputs() throws {
        let net = try Zoo.resnetCifar(depth: 20)
        let x = try Tensor(zeros: [1, 3, 32, 32])
        net.eval()
        let expected = try GradMode.withoutGrad { try net.forward(x) }.toFloats()
        let lin = try XCTUnwrap(net.module(at: "linear"))
        var seen: [Float] = []
        let id = ForwardHooks.add(lin) { _, _, y in seen = y.toFloats(); return nil }
        defer { ForwardHooks.remove(id) }
        _ = try Tracer.trace(net, input: x)
        XCTAssertEqual(seen, expected)
        XCTAssertTrue(seen.contains { $0 != 0 }, "the linear's bias makes the logits nonzero")
    }
}
