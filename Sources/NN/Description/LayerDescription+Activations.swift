import Tensor

// Layer descriptions of the element-wise activations.

/// What every activation's description shares: its channels pass through, and it counts one
/// flop an element (as ReLU does, whatever the function costs).
public protocol ActivationDescription: LayerDescription {}

extension ActivationDescription {
    public var channelRole: ChannelRole { .passThrough }
    public func cost(input: [Int], output: [Int]) -> (macs: Int, flops: Int) { (0, output.reduce(1, *)) }
}

/// An activation without hyper-parameters, made by `init()`.
public protocol PlainActivationDescription: ActivationDescription {
    init()
}

extension PlainActivationDescription {
    public var hyperParameters: [(name: String, value: HyperValue)] { [] }
    public static func make(_ h: HyperParameters) throws -> any Module { Self() }
}

extension ReLU: PlainActivationDescription { public static let specClass = "ReLU" }
extension ReLU6: PlainActivationDescription { public static let specClass = "ReLU6" }
extension Sigmoid: PlainActivationDescription { public static let specClass = "Sigmoid" }
extension Tanh: PlainActivationDescription { public static let specClass = "Tanh" }
extension SiLU: PlainActivationDescription { public static let specClass = "SiLU" }
extension Hardswish: PlainActivationDescription { public static let specClass = "Hardswish" }
extension Hardsigmoid: PlainActivationDescription { public static let specClass = "Hardsigmoid" }

extension LeakyReLU: ActivationDescription {
    public static let specClass = "LeakyReLU"
    public var hyperParameters: [(name: String, value: HyperValue)] { [("negative_slope", .double(Double(negativeSlope)))] }
    public static func make(_ h: HyperParameters) throws -> any Module {
        LeakyReLU(negativeSlope: Float(try h.double("negative_slope")))
    }
}

extension ELU: ActivationDescription {
    public static let specClass = "ELU"
    public var hyperParameters: [(name: String, value: HyperValue)] { [("alpha", .double(Double(alpha)))] }
    public static func make(_ h: HyperParameters) throws -> any Module { ELU(alpha: Float(try h.double("alpha"))) }
}

extension GELU: ActivationDescription {
    public static let specClass = "GELU"
    public var hyperParameters: [(name: String, value: HyperValue)] { [("approximate", .string(approximate))] }
    /// `approximate` "none" (also when absent, as PyTorch's default) or "tanh".
    public static func make(_ h: HyperParameters) throws -> any Module {
        let a = h.has("approximate") ? try h.string("approximate") : "none"
        guard a == "none" || a == "tanh" else { throw h.bad("approximate") }
        return GELU(tanhApproximation: a == "tanh")
    }
}
