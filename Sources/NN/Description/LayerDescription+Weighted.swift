import Tensor

// Layer descriptions of the layers with weights: Conv2d, Linear, BatchNorm.

extension Conv2d: LayerDescription {
    public static let specClass = "Conv2d"

    public var hyperParameters: [(name: String, value: HyperValue)] {
        [("in_channels", .int(inChannels)), ("out_channels", .int(outChannels)),
         ("kernel_size", .pair(kernelSize.0, kernelSize.1)), ("stride", .pair(stride.0, stride.1)),
         ("padding", .pair(padding.0, padding.1)), ("dilation", .pair(dilation.0, dilation.1)),
         ("groups", .int(groups)), ("bias", .bool(bias != nil))]
    }

    public static func make(_ h: HyperParameters) throws -> any Module {
        try Conv2d(try h.int("in_channels"), try h.int("out_channels"), kernelSize: try h.pair("kernel_size"),
                   stride: try h.pair("stride"), padding: try h.pair("padding"), dilation: try h.pair("dilation"),
                   groups: try h.int("groups"), bias: try h.bool("bias"))
    }

    /// Whether every output channel reads exactly one input channel (groups = in = out).
    public var isDepthwise: Bool { groups > 1 && groups == inChannels && groups == outChannels }

    public var channelRole: ChannelRole {
        let out: [(entry: String, dim: Int)] = [("weight", 0)] + (bias != nil ? [("bias", 0)] : [])
        if groups == 1 { return .produces(output: out, input: [("weight", 1)]) }
        if isDepthwise { return .perChannel(out) }
        return .opaque("grouped convolution (groups = \(groups)) whose groups are not single channels")
    }

    public func cost(input: [Int], output: [Int]) -> (macs: Int, flops: Int) {
        let out = output.reduce(1, *)
        let macs = out * kernelSize.0 * kernelSize.1 * (inChannels / groups)
        return (macs, 2 * macs + (bias != nil ? out : 0))
    }

    /// A depthwise conv keeps `groups` equal to its (new) channel count.
    public func channelsDidChange() {
        if groups > 1 && weight.value.shape[1] == 1 { groups = weight.value.shape[0] }
    }
}

extension Linear: LayerDescription {
    public static let specClass = "Linear"

    public var hyperParameters: [(name: String, value: HyperValue)] {
        [("in_features", .int(inFeatures)), ("out_features", .int(outFeatures)), ("bias", .bool(bias != nil))]
    }

    public static func make(_ h: HyperParameters) throws -> any Module {
        try Linear(try h.int("in_features"), try h.int("out_features"), bias: try h.bool("bias"))
    }

    public var channelRole: ChannelRole {
        .produces(output: [("weight", 0)] + (bias != nil ? [("bias", 0)] : []), input: [("weight", 1)])
    }

    public func cost(input: [Int], output: [Int]) -> (macs: Int, flops: Int) {
        let out = output.reduce(1, *), macs = out * inFeatures
        return (macs, 2 * macs + (bias != nil ? out : 0))
    }
}

extension BatchNorm {
    var normHyperParameters: [(name: String, value: HyperValue)] {
        [("num_features", .int(numFeatures)), ("eps", .double(eps)), ("momentum", momentum.map { .double($0) } ?? .none),
         ("affine", .bool(weight != nil)), ("track_running_stats", .bool(trackRunningStats))]
    }

    var normChannelRole: ChannelRole {
        var entries: [(entry: String, dim: Int)] = []
        if weight != nil { entries += [("weight", 0), ("bias", 0)] }
        if trackRunningStats { entries += [("running_mean", 0), ("running_var", 0)] }
        return .perChannel(entries)
    }

    func normCost(output: [Int]) -> (macs: Int, flops: Int) { (0, 2 * output.reduce(1, *)) }
}

extension BatchNorm2d: LayerDescription {
    public static let specClass = "BatchNorm2d"
    public var hyperParameters: [(name: String, value: HyperValue)] { normHyperParameters }
    public var channelRole: ChannelRole { normChannelRole }
    public func cost(input: [Int], output: [Int]) -> (macs: Int, flops: Int) { normCost(output: output) }

    public static func make(_ h: HyperParameters) throws -> any Module {
        try BatchNorm2d(try h.int("num_features"), eps: try h.double("eps"), momentum: try h.optionalDouble("momentum"),
                        affine: try h.bool("affine"), trackRunningStats: try h.bool("track_running_stats"))
    }
}

extension BatchNorm1d: LayerDescription {
    public static let specClass = "BatchNorm1d"
    public var hyperParameters: [(name: String, value: HyperValue)] { normHyperParameters }
    public var channelRole: ChannelRole { normChannelRole }
    public func cost(input: [Int], output: [Int]) -> (macs: Int, flops: Int) { normCost(output: output) }

    public static func make(_ h: HyperParameters) throws -> any Module {
        try BatchNorm1d(try h.int("num_features"), eps: try h.double("eps"), momentum: try h.optionalDouble("momentum"),
                        affine: try h.bool("affine"), trackRunningStats: try h.bool("track_running_stats"))
    }
}
