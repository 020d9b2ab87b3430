import Foundation
import NN
import Tensor

/// Turns a traced forward pass into an ONNX graph: one or a few nodes per traced step,
/// weights as initializers. Values are named after the layer paths that produce them
/// ("layer1.0.conv1"); the graph's input is "input" and its output "output".
struct ONNXGraphBuilder {
    let trace: TraceGraph
    let options: ONNXExportOptions
    var nodes: [Onnx_NodeProto] = []
    var initializers: [Onnx_TensorProto] = []
    /// The ONNX value holding each trace node's output.
    var values: [Int: String] = [:]
    /// Names already taken (values, initializers, nodes share one namespace here).
    var taken: Set<String> = []
    /// BatchNorm trace nodes folded into the conv before them: bn id -> conv id.
    var folded: [Int: Int] = [:]

    init(trace: TraceGraph, options: ONNXExportOptions) {
        self.trace = trace; self.options = options
    }

    /// Emits every traced step and returns the graph.
    mutating func build(name: String) throws -> Onnx_GraphProto {
        if options.foldBatchNorm { findFoldableBatchNorms() }
        // Name every output first so the final one is "output" whoever produces it.
        for n in trace.nodes where n.kind != .input && folded.values.contains(n.id) == false {
            values[n.id] = n.id == trace.output ? "output" : unique(n.name.isEmpty ? n.typeName : n.name)
        }
        for n in trace.nodes {
            switch n.kind {
            case .input:
                values[n.id] = "input"
            case .add:
                node("Add", [value(n.inputs[0]), value(n.inputs[1])], values[n.id]!, name: n.name + ".add")
            case .scale:
                node("Mul", [value(n.inputs[0]), value(n.inputs[1])], values[n.id]!, name: n.name + ".mul")
            case .concat:
                node("Concat", n.inputs.map(value), values[n.id]!, name: n.name + ".concat", [attr("axis", 1)])
            case .layer:
                if folded.values.contains(n.id) { continue }   // emitted with its BatchNorm
                try emitLayer(n)
            }
        }
        if trace.output == 0 || trace.nodes[trace.output].kind == .input {
            node("Identity", ["input"], "output", name: "output")
        }
        var g = Onnx_GraphProto()
        g.name = name
        g.node = nodes
        g.initializer = initializers
        g.input = [valueInfo("input", trace.nodes[0].outputShape)]
        g.output = [valueInfo("output", trace.nodes[trace.output].outputShape)]
        return g
    }

    /// The ONNX value of trace node `id`'s output.
    func value(_ id: Int) -> String { values[id] ?? "input" }

    /// `base`, or `base_2`, `base_3`, … when taken.
    mutating func unique(_ base: String) -> String {
        var name = base, k = 1
        while taken.contains(name) || name == "input" || name == "output" { k += 1; name = "\(base)_\(k)" }
        taken.insert(name)
        return name
    }

    /// Appends a node.
    mutating func node(_ op: String, _ inputs: [String], _ output: String, name: String,
                       _ attributes: [Onnx_AttributeProto] = []) {
        var n = Onnx_NodeProto()
        n.opType = op
        n.input = inputs
        n.output = [output]
        n.name = unique(name)
        n.attribute = attributes
        nodes.append(n)
    }

    /// Adds a float initializer and returns its name.
    mutating func initializer(_ name: String, _ shape: [Int], _ values: [Float]) -> String {
        let n = unique(name)
        initializers.append(ONNXTensors.float(n, shape, values))
        return n
    }

    /// Adds an int64 initializer (shapes, pads, indices) and returns its name.
    mutating func initializer(_ name: String, _ shape: [Int], ints: [Int]) -> String {
        let n = unique(name)
        initializers.append(ONNXTensors.int64(n, shape, ints))
        return n
    }

    /// A graph input or output: float32 with `shape`, the batch symbolic when asked.
    func valueInfo(_ name: String, _ shape: [Int]) -> Onnx_ValueInfoProto {
        var t = Onnx_TypeProto.Tensor()
        t.elemType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        var s = Onnx_TensorShapeProto()
        s.dim = shape.enumerated().map { i, d in
            var dim = Onnx_TensorShapeProto.Dimension()
            if i == 0 && options.dynamicBatch { dim.dimParam = "batch" } else { dim.dimValue = Int64(d) }
            return dim
        }
        t.shape = s
        var type = Onnx_TypeProto()
        type.tensorType = t
        var v = Onnx_ValueInfoProto()
        v.name = name
        v.type = type
        return v
    }

    /// BatchNorms whose input is a convolution consumed by nothing else.
    mutating func findFoldableBatchNorms() {
        for n in trace.nodes where n.kind == .layer && n.module is BatchNorm2d {
            guard let src = n.inputs.first, trace.nodes[src].kind == .layer,
                  trace.nodes[src].module is Conv2d || trace.nodes[src].module is ACConv2d,
                  trace.consumers(of: src) == [n.id], (n.module as? BatchNorm)?.trackRunningStats == true else { continue }
            folded[n.id] = src
        }
    }
}
