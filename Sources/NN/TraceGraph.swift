import Tensor

/// One step of a traced forward pass.
public struct TraceNode: Sendable {
    public enum Kind: String, Sendable {
        /// The network input.
        case input
        /// A layer (a module without visible children): Conv2d, BatchNorm2d, ReLU,
        /// Flatten, ShortcutA (option-A subsample + zero channel padding), …
        case layer
        /// Element-wise sum of a residual block (body + shortcut), inputs in that order.
        case add
        /// Channel concatenation of branches, inputs in channel order.
        case concat
        /// Channel-wise product x · s of a squeeze-and-excitation block, s of shape
        /// [N, C, 1, 1]; inputs x, s.
        case scale
    }
    public let id: Int
    public let kind: Kind
    /// The module path for layers (`layer1.0.conv1`); for add and concat the path of the
    /// container that performed it (`layer1.0`); "input" for the input.
    public let name: String
    /// "Conv2d", …, "Add", "Concat", "Input".
    public let typeName: String
    /// The layer itself (nil for input, add, concat).
    public nonisolated(unsafe) let module: (any Module)?
    /// Ids of the nodes whose outputs this node consumed, in argument order.
    public let inputs: [Int]
    public let inputShapes: [[Int]]
    public let outputShape: [Int]

    /// Channels (dim 1) of the first input; nil for rank < 2 or the input node.
    public var inChannels: Int? { inputShapes.first.flatMap { $0.count >= 2 ? $0[1] : nil } }
    /// Channels (dim 1) of the output.
    public var outChannels: Int? { outputShape.count >= 2 ? outputShape[1] : nil }
}

/// The data flow of one forward pass: nodes in execution order (so every node's inputs
/// come before it) and the id of the node producing the network output.
public final class TraceGraph: CustomStringConvertible {
    public internal(set) var nodes: [TraceNode] = []
    public internal(set) var output = 0

    /// Ids of the nodes that consumed node `id`'s output.
    public func consumers(of id: Int) -> [Int] {
        nodes.filter { $0.inputs.contains(id) }.map(\.id)
    }

    /// The first node with this name (a module used twice appears twice).
    public func node(named name: String) -> TraceNode? { nodes.first { $0.name == name } }

    /// One line per node: `id kind name type inputs -> shape`.
    public var description: String {
        nodes.map { n in
            let ins = n.inputs.map(String.init).joined(separator: ",")
            return "\(n.id) \(n.kind.rawValue) \(n.name) \(n.typeName) [\(ins)] -> \(shapeString(n.outputShape))"
        }.joined(separator: "\n")
    }
}
