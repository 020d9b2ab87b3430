import Foundation
import XCTest
@testable import NN
@testable import ONNX
@testable import Tensor

/// The graph the ONNX exporter builds: node kinds and counts, initializer shapes, the
/// shortcut encodings and the error paths (numerical agreement with onnxruntime is
/// checked by Tests/Interop/onnx_test.sh).
final class ONNXExportTests: XCTestCase {
    func opCounts(_ m: Onnx_ModelProto) -> [String: Int] {
        m.graph.node.reduce(into: [:]) { $0[$1.opType, default: 0] += 1 }
    }

    func initializer(_ m: Onnx_ModelProto, _ name: String) throws -> Onnx_TensorProto {
        try XCTUnwrap(m.graph.initializer.first { $0.name == name }, name)
    }

    func testResNet20Graph() throws {
        let net = try Zoo.resnetCifar(depth: 20)
        let m = try ONNXExport.build(net, ONNXExportOptions(inputShape: [1, 3, 32, 32]))
        XCTAssertEqual(opCounts(m), ["Conv": 19, "BatchNormalization": 19, "Relu": 19, "Add": 9, "Slice": 2, "Pad": 2,
                                     "GlobalAveragePool": 1, "Flatten": 1, "Gemm": 1])
        XCTAssertEqual(m.opsetImport.map(\.version), [17])
        XCTAssertEqual(m.irVersion, 8)
        XCTAssertEqual(try initializer(m, "conv1.weight").dims, [16, 3, 3, 3])
        XCTAssertEqual(try initializer(m, "layer3.2.bn2.running_var").dims, [64])
        XCTAssertEqual(try initializer(m, "linear.weight").dims, [10, 64])
        XCTAssertEqual(try initializer(m, "layer2.0.shortcut.pads").int64Data, [0, 8, 0, 0, 0, 8, 0, 0])
        XCTAssertEqual(try initializer(m, "layer2.0.shortcut.steps").int64Data, [2, 2])
        // Raw float data: 4 bytes per weight, values as in the layer.
        let w = try initializer(m, "conv1.weight")
        XCTAssertEqual(w.rawData.count, 16 * 27 * 4)
        let first = w.rawData.withUnsafeBytes { Float(bitPattern: UInt32(littleEndian: $0.load(as: UInt32.self))) }
        XCTAssertEqual(first, (net.module(at: "conv1") as! Conv2d).weight.value.toFloats()[0])
        // Dynamic batch: the input's first dim is symbolic, the rest fixed; the output is "output".
        let dims = m.graph.input[0].type.tensorType.shape.dim
        XCTAssertEqual(dims.map(\.dimParam), ["batch", "", "", ""])
        XCTAssertEqual(dims.dropFirst().map(\.dimValue), [3, 32, 32])
        XCTAssertEqual(m.graph.output.map(\.name), ["output"])
        XCTAssertEqual(m.graph.node.last?.output, ["output"])
        // Every node input is the graph input, an initializer or an earlier node's output.
        var known = Set(["input"] + m.graph.initializer.map(\.name))
        for n in m.graph.node {
            for i in n.input { XCTAssertTrue(known.contains(i), "\(n.name) reads \(i) before it exists") }
            known.formUnion(n.output)
        }
        // The bytes parse back to the same model.
        XCTAssertEqual(try Onnx_ModelProto(serializedBytes: try m.serializedData()), m)
    }

    func testFoldedBatchNorm() throws {
        let net = try Zoo.resnetCifar(depth: 20)
        let bn = net.module(at: "bn1") as! BatchNorm2d
        bn.runningMean.fill(0.5); bn.runningVar.fill(4); bn.weight!.value.fill(2); bn.bias!.value.fill(1)
        let m = try ONNXExport.build(net, ONNXExportOptions(inputShape: [2, 3, 32, 32], dynamicBatch: false, foldBatchNorm: true))
        let ops = opCounts(m)
        XCTAssertNil(ops["BatchNormalization"])
        XCTAssertEqual(ops["Conv"], 19)
        // scale = 2/√(4 + 1e-5) ≈ 1, shift = 1 − 0.5·scale ≈ 0.5; the conv had no bias.
        let b = try initializer(m, "conv1.bias")
        XCTAssertEqual(b.dims, [16])
        let b0 = b.rawData.withUnsafeBytes { Float(bitPattern: UInt32(littleEndian: $0.load(as: UInt32.self))) }
        XCTAssertEqual(b0, 1 - 0.5 * 2 / (4 + 1e-5).squareRoot(), accuracy: 1e-6)
        XCTAssertEqual(m.graph.input[0].type.tensorType.shape.dim.map(\.dimValue), [2, 3, 32, 32])
    }

    func testPrunedShortcutGathers() throws {
        let s = try ShortcutA(stride: 2, padBefore: 8, padAfter: 8)
        try s.setChannelMap([0, -1, 2, 1], outputs: 6)
        let b = ONNXGraphBuilder(trace: TraceGraph(), options: ONNXExportOptions(inputShape: [1, 4, 8, 8]))
        let steps = b.stepsOfShortcut(s, channels: 4)
        XCTAssertEqual(steps.map(\.label), ["sliced", "padded", "gathered"])
        guard case .gather(let idx) = steps[2] else { return XCTFail("no gather") }
        // Output 0 <- input 0, output 1 <- input 3, output 2 <- input 2, the rest <- the zero channel (4).
        XCTAssertEqual(idx, [0, 3, 2, 4, 4, 4])
        let plain = try ShortcutA(stride: 1, padBefore: 0, padAfter: 0)
        XCTAssertEqual(b.stepsOfShortcut(plain, channels: 4).map(\.label), ["identity"])
    }

    /// Every activation maps: single operators, HardSwish from opset 14 (HardSigmoid · x
    /// before), SiLU as Sigmoid · x, GELU through Erf or Tanh. (onnxruntime runs them against
    /// our outputs in Tests/Interop.)
    func testActivationsExport() throws {
        let net = try Sequential(named: [
            ("fc", try Linear(4, 6)), ("sigmoid", Sigmoid()), ("tanh", Tanh()), ("silu", SiLU()), ("gelu", GELU()),
            ("gelu_tanh", GELU(tanhApproximation: true)), ("elu", ELU(alpha: 0.5)), ("hardswish", Hardswish()),
            ("hardsigmoid", Hardsigmoid()), ("relu6", ReLU6()), ("leaky", LeakyReLU(negativeSlope: 0.1)),
        ])
        let m17 = try ONNXExport.build(net, ONNXExportOptions(inputShape: [1, 4]))
        let ops = opCounts(m17)
        XCTAssertEqual(ops["Sigmoid"], 2)      // Sigmoid, and SiLU's
        XCTAssertEqual(ops["Tanh"], 2)         // Tanh, and GELU's tanh form
        XCTAssertEqual(ops["Erf"], 1)
        XCTAssertEqual(ops["HardSwish"], 1)
        XCTAssertEqual(ops["HardSigmoid"], 1)
        XCTAssertEqual(ops["Elu"], 1)
        XCTAssertEqual(m17.graph.node.first { $0.opType == "Elu" }?.attribute.first?.f, 0.5)
        XCTAssertEqual(m17.graph.node.last?.output, ["output"])
        let m13 = try ONNXExport.build(net, ONNXExportOptions(inputShape: [1, 4], opset: 13))
        XCTAssertNil(opCounts(m13)["HardSwish"])
        XCTAssertEqual(opCounts(m13)["HardSigmoid"], 2)
        var known = Set(["input"] + m13.graph.initializer.map(\.name))
        for n in m13.graph.node {
            for i in n.input { XCTAssertTrue(known.contains(i), "\(n.name) reads \(i) before it exists") }
            known.formUnion(n.output)
        }
    }

    func testEveryZooFamilyExports() throws {
        let nets: [(String, any Module, [Int])] = [
            ("vgg11", try Zoo.vgg(depth: 11), [1, 3, 32, 32]),
            ("densenet", try Zoo.densenet(depth: 10, growth: 4, classes: 10), [1, 3, 32, 32]),
            ("googlenet", try Zoo.googlenet(classes: 10), [1, 3, 32, 32]),
            ("mobilenetv2", try Zoo.mobilenetV2(classes: 10, width: 0.25, cifar: true), [1, 3, 32, 32]),
            ("resnet20-B", try Zoo.resnetCifar(depth: 20, option: .b), [1, 3, 32, 32]),
        ]
        for (name, net, shape) in nets {
            let m = try ONNXExport.build(net, ONNXExportOptions(inputShape: shape))
            let ops = opCounts(m)
            XCTAssertGreaterThan(ops["Conv"] ?? 0, 0, name)
            XCTAssertEqual(ops["Gemm"], 1, name)
            if name == "densenet" || name == "googlenet" { XCTAssertGreaterThan(ops["Concat"] ?? 0, 0, name) }
            if name == "mobilenetv2" {
                XCTAssertGreaterThan(ops["Clip"] ?? 0, 0)
                XCTAssertTrue(m.graph.node.contains { n in n.opType == "Conv" && n.attribute.contains { $0.name == "group" && $0.i > 1 } })
            }
        }
    }

    func testACConvIsFused() throws {
        let net = try Sequential([try ACConv2d(3, 4, padding: (1, 1)), ReLU()])
        let m = try ONNXExport.build(net, ONNXExportOptions(inputShape: [1, 3, 8, 8]))
        XCTAssertEqual(opCounts(m), ["Conv": 1, "Relu": 1])
        XCTAssertEqual(try initializer(m, "0.weight").dims, [4, 3, 3, 3])
        XCTAssertEqual(try initializer(m, "0.bias").dims, [4])
        XCTAssertTrue(net.training, "the export leaves the net in training mode as it found it")
    }

    /// A layer kind the exporter does not know.
    final class Doubler: Module {
        let typeName = "Doubler"
        var training = true
        func forward(_ input: Tensor) throws -> Tensor { try Tensor(shape: input.shape, values: input.toFloats().map { $0 * 2 }) }
        func backward(_ g: Tensor) throws -> Tensor { try Tensor(shape: g.shape, values: g.toFloats().map { $0 * 2 }) }
    }

    func testUnmappedLayerNamesItAndWritesNothing() throws {
        let net = try Sequential(named: [("conv", try Conv2d(3, 4, kernelSize: (3, 3))), ("double", Doubler())])
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("onnx-\(getpid()).onnx").path
        defer { unlink(path) }
        XCTAssertThrowsError(try ONNXExport.write(net, to: FilePath(path), ONNXExportOptions(inputShape: [1, 3, 8, 8]))) {
            let msg = ($0 as? TensorError)?.message ?? ""
            XCTAssertTrue(msg.contains("'double' (Doubler)") && msg.contains("nothing was written"), msg)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
    }

    func testBadOptions() throws {
        let net = try Zoo.resnetCifar(depth: 20)
        for (shape, opset, needle) in [([1, 3, 32, 32], 9, "opset 9"), ([3], 17, "at least 2"), ([1, 0, 32, 32], 17, "positive"),
                                       ([1, 1, 32, 32], 17, "channels")] {
            XCTAssertThrowsError(try ONNXExport.build(net, ONNXExportOptions(inputShape: shape, opset: opset))) {
                let msg = ($0 as? TensorError)?.message ?? "\($0)"
                XCTAssertTrue(msg.contains(needle), msg)
            }
        }
        // A pooling that ONNX cannot express is named.
        let odd = try Sequential(named: [("pool", try AdaptiveAvgPool2d(outputSize: (3, 3)))])
        XCTAssertThrowsError(try ONNXExport.build(odd, ONNXExportOptions(inputShape: [1, 2, 8, 8]))) {
            XCTAssertTrue((($0 as? TensorError)?.message ?? "").contains("'pool' (AdaptiveAvgPool2d)"))
        }
    }
}
