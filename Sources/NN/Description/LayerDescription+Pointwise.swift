import Tensor

// Layer descriptions of the layers without weights: dropout, identity, flatten, pooling,
// and the option-A shortcut (activations: LayerDescription+Activations.swift).

extension Identity: LayerDescription {
    public static let specClass = "Identity"
    public var hyperParameters: [(name: String, value: HyperValue)] { [] }
    public static func make(_ h: HyperParameters) throws -> any Module { Identity() }
    public var channelRole: ChannelRole { .passThrough }
}

extension Dropout: LayerDescription {
    public static let specClass = "Dropout"
    public var hyperParameters: [(name: String, value: HyperValue)] { [("p", .double(p))] }
    public static func make(_ h: HyperParameters) throws -> any Module { try Dropout(p: try h.double("p")) }
    public var channelRole: ChannelRole { .passThrough }
}

extension Flatten: LayerDescription {
    public static let specClass = "Flatten"
    public var hyperParameters: [(name: String, value: HyperValue)] { [("start_dim", .int(startDim)), ("end_dim", .int(endDim))] }
    public static func make(_ h: HyperParameters) throws -> any Module {
        Flatten(startDim: try h.int("start_dim"), endDim: try h.int("end_dim"))
    }
    public var channelRole: ChannelRole {
        startDim == 1 && endDim == -1 ? .flattens : .opaque("Flatten(start_dim=\(startDim), end_dim=\(endDim)) does not keep channels in dim 2")
    }
}

extension MaxPool2d: LayerDescription {
    public static let specClass = "MaxPool2d"
    public var hyperParameters: [(name: String, value: HyperValue)] {
        [("kernel_size", .pair(kernelSize.0, kernelSize.1)), ("stride", .pair(stride.0, stride.1)),
         ("padding", .pair(padding.0, padding.1)), ("dilation", .pair(dilation.0, dilation.1)), ("ceil_mode", .bool(ceilMode))]
    }
    public static func make(_ h: HyperParameters) throws -> any Module {
        try MaxPool2d(kernelSize: try h.pair("kernel_size"), stride: try h.pair("stride"), padding: try h.pair("padding"),
                      dilation: try h.pair("dilation"), ceilMode: try h.bool("ceil_mode"))
    }
    public var channelRole: ChannelRole { .passThrough }
    public func cost(input: [Int], output: [Int]) -> (macs: Int, flops: Int) {
        (0, output.reduce(1, *) * kernelSize.0 * kernelSize.1)
    }
}

extension AvgPool2d: LayerDescription {
    public static let specClass = "AvgPool2d"
    public var hyperParameters: [(name: String, value: HyperValue)] {
        [("kernel_size", .pair(kernelSize.0, kernelSize.1)), ("stride", .pair(stride.0, stride.1)),
         ("padding", .pair(padding.0, padding.1)), ("ceil_mode", .bool(ceilMode)), ("count_include_pad", .bool(countIncludePad))]
    }
    public static func make(_ h: HyperParameters) throws -> any Module {
        try AvgPool2d(kernelSize: try h.pair("kernel_size"), stride: try h.pair("stride"), padding: try h.pair("padding"),
                      ceilMode: try h.bool("ceil_mode"), countIncludePad: try h.bool("count_include_pad"))
    }
    public var channelRole: ChannelRole { .passThrough }
    public func cost(input: [Int], output: [Int]) -> (macs: Int, flops: Int) {
        (0, output.reduce(1, *) * kernelSize.0 * kernelSize.1)
    }
}

extension AdaptiveAvgPool2d: LayerDescription {
    public static let specClass = "AdaptiveAvgPool2d"
    public var hyperParameters: [(name: String, value: HyperValue)] { [("output_size", .pair(outputSize.0, outputSize.1))] }
    public static func make(_ h: HyperParameters) throws -> any Module {
        try AdaptiveAvgPool2d(outputSize: try h.pair("output_size"))
    }
    public var channelRole: ChannelRole { .passThrough }
    public func cost(input: [Int], output: [Int]) -> (macs: Int, flops: Int) { (0, input.reduce(1, *)) }
}

extension ShortcutA: LayerDescription {
    public static let specClass = "ShortcutA"
    public var hyperParameters: [(name: String, value: HyperValue)] {
        [("stride", .int(stride)), ("pad", .pair(padBefore, padAfter)), ("automatic", .bool(automatic))]
            + (channelMap.map { [("channel_map", .ints($0)), ("out_channels", .int(mappedChannels))] } ?? [])
    }
    public static func make(_ h: HyperParameters) throws -> any Module {
        let pad = try h.pair("pad")
        let a = try h.bool("automatic") ? ShortcutA() : try ShortcutA(stride: try h.int("stride"), padBefore: pad.0, padAfter: pad.1)
        if h.has("channel_map") { try a.setChannelMap(try h.ints("channel_map"), outputs: try h.int("out_channels")) }
        return a
    }
    /// The pruning graph maps channels through the shortcut's offsets itself.
    public var channelRole: ChannelRole { .opaque("option-A shortcut (the dependency graph maps its channels)") }
}
