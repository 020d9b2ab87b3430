import Foundation
import NN
import Tensor

/// Options of an ONNX export (`net:export_onnx(path, {...})`).
public struct ONNXExportOptions: Sendable {
    /// The input shape traced through the net, batch first ([1, 3, 32, 32]).
    public var inputShape: [Int]
    /// The ONNX operator set the graph declares (13 to 21).
    public var opset: Int
    /// Whether the batch dimension is symbolic ("batch") in the graph's input and output.
    public var dynamicBatch: Bool
    /// Whether a BatchNorm that directly follows a convolution (and is its only consumer)
    /// is folded into that convolution's weights and bias instead of a
    /// BatchNormalization node.
    public var foldBatchNorm: Bool
    /// The producer name written into the model.
    public var producer: String

    public init(inputShape: [Int], opset: Int = 17, dynamicBatch: Bool = true, foldBatchNorm: Bool = false,
                producer: String = "topiary") {
        self.inputShape = inputShape; self.opset = opset; self.dynamicBatch = dynamicBatch
        self.foldBatchNorm = foldBatchNorm; self.producer = producer
    }

    /// The opsets the exporter emits valid graphs for.
    public static let supportedOpsets = 13...21
}

/// Exports a network (pruned or not) as an ONNX model: the net is traced in eval mode on
/// a zero input of `inputShape`, and every traced step becomes ONNX nodes (Conv,
/// BatchNormalization, Relu, Clip, LeakyRelu, Sigmoid, Tanh, Elu, HardSigmoid, HardSwish,
/// Erf for GELU, MaxPool, AveragePool, GlobalAveragePool,
/// Add, Concat, Slice + Pad (+ Gather) for option-A shortcuts, Flatten/Reshape, Gemm)
/// with the weights as initializers. A layer kind without a mapping is an error that
/// names the layer; nothing is written then.
public enum ONNXExport {
    /// The serialized ONNX model (protobuf bytes).
    public static func serialize(_ model: any Module, _ options: ONNXExportOptions) throws -> Data {
        let proto = try build(model, options)
        do { return try proto.serializedData() } catch {
            throw TensorError("export_onnx: cannot serialize the model (\(error))")
        }
    }

    /// Builds and writes the model to `path` atomically (a failure leaves any old file).
    public static func write(_ model: any Module, to path: FilePath, _ options: ONNXExportOptions) throws {
        let bytes = try serialize(model, options)
        try AtomicFile.write(path, bytes: [UInt8](bytes), op: "export_onnx")
    }

    /// The ONNX model proto of `model` (the exporter's whole work; `serialize` encodes it).
    static func build(_ model: any Module, _ options: ONNXExportOptions) throws -> Onnx_ModelProto {
        guard ONNXExportOptions.supportedOpsets.contains(options.opset) else {
            throw TensorError("export_onnx: opset \(options.opset) is not supported (use \(ONNXExportOptions.supportedOpsets.lowerBound) to \(ONNXExportOptions.supportedOpsets.upperBound))")
        }
        let s = options.inputShape
        guard s.count >= 2, s.allSatisfy({ $0 > 0 }), s.reduce(1, { $0.multipliedReportingOverflow(by: $1).overflow ? Int.max : $0 * $1 }) <= 1 << 28 else {
            throw TensorError("export_onnx: input must be a shape of at least 2 positive sizes (batch first) with at most 2^28 elements, got \(shapeString(s))")
        }
        // The graph computes the eval-mode forward; layers are read (ACConv2d fused, BN
        // folded) in eval mode too, and every module's flag is restored afterwards.
        let restore = model.enterEvalMode()
        defer { restore() }
        let trace = try Tracer.trace(model, input: Tensor(zeros: s))
        var b = ONNXGraphBuilder(trace: trace, options: options)
        let graph = try b.build(name: model.typeName)
        var m = Onnx_ModelProto()
        m.irVersion = irVersion(forOpset: options.opset)
        m.producerName = options.producer
        m.producerVersion = "1"
        var op = Onnx_OperatorSetIdProto()
        op.domain = ""
        op.version = Int64(options.opset)
        m.opsetImport = [op]
        m.graph = graph
        return m
    }

    /// The IR version released with each opset (onnx/helper.py's VERSION_TABLE).
    static func irVersion(forOpset opset: Int) -> Int64 {
        switch opset {
        case ...14: return 7
        case 15...18: return 8
        case 19...20: return 9
        default: return 10
        }
    }
}
