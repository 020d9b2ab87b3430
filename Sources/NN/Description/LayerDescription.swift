import Tensor

/// A hyper-parameter value: what a model spec stores and what a Lua field shows.
public enum HyperValue: Equatable, Sendable {
    case int(Int)
    case double(Double)
    case bool(Bool)
    case pair(Int, Int)
    /// A list of integers (a shortcut's channel map).
    case ints([Int])
    /// A word from a fixed set (GELU's `approximate`).
    case string(String)
    /// An explicit absence (BatchNorm's `momentum = None`).
    case none
}

/// How a layer's channels map onto its state, the facts pruning surgery needs.
public enum ChannelRole {
    /// The layer makes new channels from all of its input (a dense conv, a linear):
    /// `output` lists the state entries indexed by output channel (`weight` dim 0, `bias`
    /// dim 0), `input` those indexed by input channel (`weight` dim 1).
    case produces(output: [(entry: String, dim: Int)], input: [(entry: String, dim: Int)])
    /// Output channel c depends on input channel c alone and the layer owns per-channel
    /// state (BatchNorm, a depthwise conv): the entries are indexed by that channel.
    case perChannel([(entry: String, dim: Int)])
    /// Output channel c depends on input channel c alone and there is no per-channel state
    /// (activations, pooling, dropout, identity).
    case passThrough
    /// Dims from `start` on are merged (Flatten): a channel becomes a block of features.
    case flattens
    /// The engine cannot follow channels through this layer; the text says why.
    case opaque(String)
}

/// What every built-in layer kind tells about itself: its spec class, hyper-parameters
/// (PyTorch's names), how to rebuild it, how its channels map onto state, and its cost.
/// One conformance per kind replaces the type switches that model specs, Lua fields,
/// counting and pruning surgery would otherwise each repeat.
public protocol LayerDescription: Module {
    /// The class name in a model spec ("Conv2d", "BatchNorm2d").
    static var specClass: String { get }
    /// Hyper-parameters in constructor order, under PyTorch's names (`in_channels`,
    /// `kernel_size`, …). A spec stores exactly these; Lua shows them as fields.
    var hyperParameters: [(name: String, value: HyperValue)] { get }
    /// A freshly initialised layer with the given hyper-parameters.
    static func make(_ h: HyperParameters) throws -> any Module
    /// How channels map onto this layer's state.
    var channelRole: ChannelRole { get }
    /// Multiply-accumulates and FLOPs of one forward pass at these shapes
    /// (see `ModelCount.flopsRule`).
    func cost(input: [Int], output: [Int]) -> (macs: Int, flops: Int)
    /// Called after surgery replaced state along channel dims (a depthwise conv updates
    /// its `groups`).
    func channelsDidChange()
}

extension LayerDescription {
    public func cost(input: [Int], output: [Int]) -> (macs: Int, flops: Int) { (0, 0) }
    public func channelsDidChange() {}
}

/// Hyper-parameters read back from a spec, with errors that name the layer and key.
public struct HyperParameters {
    public let values: [String: HyperValue]
    /// Where the layer sits ("model.layer1.0.conv1") and its class, for messages.
    public let path: String
    public let specClass: String

    public init(_ values: [String: HyperValue], path: String, specClass: String) {
        self.values = values; self.path = path; self.specClass = specClass
    }

    func bad(_ key: String) -> TensorError {
        TensorError("nn.load: the description of \(path) (\(specClass)) has a missing or invalid '\(key)'")
    }

    public func int(_ key: String) throws -> Int {
        guard case .int(let v)? = values[key] else { throw bad(key) }
        return v
    }

    public func double(_ key: String) throws -> Double {
        switch values[key] {
        case .double(let v)?: return v
        case .int(let v)?: return Double(v)
        default: throw bad(key)
        }
    }

    /// A double, or nil when the spec says `none`.
    public func optionalDouble(_ key: String) throws -> Double? {
        if case .none? = values[key] { return nil }
        return try double(key)
    }

    public func string(_ key: String) throws -> String {
        guard case .string(let v)? = values[key] else { throw bad(key) }
        return v
    }

    public func ints(_ key: String) throws -> [Int] {
        switch values[key] {
        case .ints(let v)?: return v
        case .pair(let a, let b)?: return [a, b]
        default: throw bad(key)
        }
    }

    /// Whether the spec has this key.
    public func has(_ key: String) -> Bool { values[key] != nil }

    public func bool(_ key: String) throws -> Bool {
        guard case .bool(let v)? = values[key] else { throw bad(key) }
        return v
    }

    public func pair(_ key: String) throws -> (Int, Int) {
        switch values[key] {
        case .pair(let a, let b)?: return (a, b)
        case .ints(let v)? where v.count == 2: return (v[0], v[1])
        default: throw bad(key)
        }
    }
}

/// The registry of layer kinds by spec class.
public enum LayerKinds {
    public static let all: [any LayerDescription.Type] = [
        Conv2d.self, ACConv2d.self, Linear.self, BatchNorm2d.self, BatchNorm1d.self, SyncBatchNorm.self,
        ReLU.self, ReLU6.self, LeakyReLU.self, Sigmoid.self, Tanh.self, SiLU.self, GELU.self, ELU.self,
        Hardswish.self, Hardsigmoid.self, Identity.self, Flatten.self, Dropout.self,
        MaxPool2d.self, AvgPool2d.self, AdaptiveAvgPool2d.self, ShortcutA.self,
    ]

    /// The kind whose spec class is `name`.
    public static func kind(_ name: String) -> (any LayerDescription.Type)? {
        all.first { $0.specClass == name }
    }
}

extension Module {
    /// The layer description of this module, if it is a built-in layer.
    public var layerDescription: (any LayerDescription)? { self as? any LayerDescription }

    /// A hyper-parameter by its PyTorch name, or nil.
    public func hyperParameter(_ name: String) -> HyperValue? {
        layerDescription?.hyperParameters.first { $0.name == name }?.value
    }
}
