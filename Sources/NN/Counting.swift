import Foundation
import Tensor

/// MACs, FLOPs and parameters of one traced layer (or residual add).
public struct LayerCount: Sendable {
    public let name: String
    public let typeName: String
    /// The shape of the layer's (first) input.
    public let inputShape: [Int]
    public let outputShape: [Int]
    /// Parameters owned by the layer itself.
    public let params: Int
    /// Multiply-accumulates (Conv2d and Linear only).
    public let macs: Int
    /// 2 per MAC plus element-wise work (see `ModelCount.flopsRule`).
    public let flops: Int
}

/// The cost of one forward pass at a given input shape.
public struct ModelCount: Sendable, CustomStringConvertible {
    /// Multiply-accumulates of Conv2d and Linear layers: what most pruning papers call
    /// "FLOPs".
    public let macs: Int
    /// 2 FLOPs per MAC plus element-wise work, per `flopsRule`.
    public let flops: Int
    /// All parameter elements of the model (buffers excluded).
    public let params: Int
    public let layers: [LayerCount]

    public static let flopsRule = "flops = 2 per MAC (Conv2d, Linear) + 1 per output element for bias, activations, residual adds; 2 for BatchNorm; 1 per window element for pooling"

    /// A fixed-width per-layer table with a total line.
    public var description: String {
        let rows = layers.map { [$0.name, $0.typeName, shapeString($0.outputShape), String($0.params), String($0.macs)] }
        let header = ["layer", "type", "output", "params", "MACs"]
        let all = [header] + rows + [["total", "", "", String(params), String(macs)]]
        let widths = (0..<5).map { c in all.map { $0[c].count }.max() ?? 0 }
        func line(_ r: [String]) -> String {
            (0..<5).map { c in c >= 3 ? String(repeating: " ", count: widths[c] - r[c].count) + r[c]
                : r[c] + String(repeating: " ", count: widths[c] - r[c].count) }.joined(separator: "  ")
        }
        var out = all.dropLast().map(line)
        out.append(line(all.last!))
        out.append(String(format: "MACs %.2f M, FLOPs %.2f M (2/MAC + element-wise), params %.3f M",
                          Double(macs) / 1e6, Double(flops) / 1e6, Double(params) / 1e6))
        return out.joined(separator: "\n")
    }
}

extension Module {
    /// Traces a forward pass on zeros of `inputShape` (batch included, e.g. [1, 3, 32, 32])
    /// and counts each layer.
    public func count(inputShape: [Int]) throws -> ModelCount {
        try Tensor.checkShape(inputShape, "flops")
        let graph = try Tracer.trace(self, input: try Tensor(zeros: inputShape))
        var layers: [LayerCount] = []
        for n in graph.nodes where n.kind == .layer || n.kind == .add || n.kind == .scale {
            let (macs, flops) = Self.cost(n)
            let params = n.module?.parameters.reduce(0) { $0 + $1.parameter.value.numel } ?? 0
            layers.append(LayerCount(name: n.name, typeName: n.typeName, inputShape: n.inputShapes.first ?? [],
                                     outputShape: n.outputShape,
                                     params: params, macs: macs, flops: flops))
        }
        return ModelCount(macs: layers.reduce(0) { $0 + $1.macs }, flops: layers.reduce(0) { $0 + $1.flops },
                          params: parameterCount, layers: layers)
    }

    static func cost(_ n: TraceNode) -> (macs: Int, flops: Int) {
        if n.kind == .add || n.kind == .scale { return (0, n.outputShape.reduce(1, *)) }
        return n.module?.layerDescription?.cost(input: n.inputShapes.first ?? [], output: n.outputShape) ?? (0, 0)
    }
}
