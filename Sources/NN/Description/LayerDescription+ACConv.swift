import Tensor

// The layer description of the composite ACNet block: its hyper-parameters, and the
// channel role and cost assembled from its branches' own descriptions.

extension ACConv2d: LayerDescription {
    public static let specClass = "ACConv2d"

    public var hyperParameters: [(name: String, value: HyperValue)] {
        [("in_channels", .int(inChannels)), ("out_channels", .int(outChannels)), ("kernel_size", .int(kernel)),
         ("stride", .pair(stride.0, stride.1)), ("padding", .pair(padding.0, padding.1)),
         ("bias", .bool(square.bias != nil)), ("eps", .double(squareBN.eps)),
         ("momentum", squareBN.momentum.map { .double($0) } ?? .none)]
    }

    public static func make(_ h: HyperParameters) throws -> any Module {
        try ACConv2d(try h.int("in_channels"), try h.int("out_channels"), kernelSize: try h.int("kernel_size"),
                     stride: try h.pair("stride"), padding: try h.pair("padding"), bias: try h.bool("bias"),
                     eps: try h.double("eps"), momentum: try h.optionalDouble("momentum"))
    }

    /// A producer like a dense conv: every branch conv's filters and every branch BN
    /// shrink with the block's output channels, and the three convs' input slices
    /// shrink together with its input channels. Entries carry the branch prefix
    /// (`hor_bn.running_mean`), which is how the block names its state.
    public var channelRole: ChannelRole {
        var output: [(entry: String, dim: Int)] = [], input: [(entry: String, dim: Int)] = []
        for (name, m) in branches {
            switch m.layerDescription?.channelRole {
            case .produces(let o, let i)?:
                output += o.map { (name + "." + $0.entry, $0.dim) }
                input += i.map { (name + "." + $0.entry, $0.dim) }
            case .perChannel(let e)?:
                output += e.map { (name + "." + $0.entry, $0.dim) }
            default:
                break
            }
        }
        return .produces(output: output, input: input)
    }

    /// The three convs, the three BNs and the two adds at the block's output shape.
    public func cost(input: [Int], output: [Int]) -> (macs: Int, flops: Int) {
        var macs = 0, flops = 0
        for (_, m) in branches {
            guard let c = m.layerDescription?.cost(input: input, output: output) else { continue }
            macs += c.macs; flops += c.flops
        }
        return (macs, flops + 2 * output.reduce(1, *))
    }
}
