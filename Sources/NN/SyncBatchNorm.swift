import Tensor

/// Batch normalisation whose training statistics cover the whole data-parallel batch
/// (PyTorch's `SyncBatchNorm`): forward sums each channel's count, Σx and Σx² over the
/// ranks of `collective`; backward sums Σdy and Σdy·(x − μ), so the input gradient is
/// that of one BatchNorm over every rank's samples. γ and β get this rank's gradient
/// (summed over the ranks with the other gradients). Without a collective it is a
/// BatchNorm; evaluation mode uses the running statistics (the same on every rank).
/// Takes [N, C, ...] input (any rank ≥ 2). State keys are BatchNorm's.
public final class SyncBatchNorm: BatchNorm {
    public override var typeName: String { "SyncBatchNorm" }

    public init(_ features: Int, eps: Double = 1e-5, momentum: Double? = 0.1, affine: Bool = true,
                trackRunningStats: Bool = true, collective: (any Collective)? = nil) throws {
        try super.init(numFeatures: features, eps: eps, momentum: momentum, affine: affine, trackRunningStats: trackRunningStats)
        self.collective = collective
    }

    override func layout(_ input: Tensor) throws -> (Tensor, Int, Int, Int) {
        guard input.dim >= 2 else {
            throw TensorError("\(op): expected an input of at least 2 dimensions [N, C, ...], got shape \(shapeString(input.shape))")
        }
        let x = try input.toFloat().contiguous()
        return (x, x.shape[0], x.shape[1], x.shape.dropFirst(2).reduce(1, *))
    }

    /// Swaps every BatchNorm layer of `net` (BatchNorm1d, BatchNorm2d) for a SyncBatchNorm
    /// over `collective` with the same hyper-parameters, parameters and running
    /// statistics; layers already synchronised get `collective`. The BatchNorms inside an
    /// ACConv2d (its three branches') keep their type and synchronise over `collective`
    /// too (paths `….square_bn` …). Returns the new root and the paths made synchronous.
    public static func convert(_ net: any Module, collective: (any Collective)?) throws -> (net: any Module, paths: [String]) {
        attach(net, collective)
        var inside: [String] = []
        for (path, m) in net.namedModules() {
            guard let a = m as? ACConv2d else { continue }
            for (name, bn) in a.norms {
                bn.collective = collective
                inside.append(path.isEmpty ? name : path + "." + name)
            }
        }
        let r = try net.replacingLayers { _, m in
            guard let b = m as? BatchNorm, !(b is SyncBatchNorm) else { return nil }
            let s = try SyncBatchNorm(b.numFeatures, eps: b.eps, momentum: b.momentum, affine: b.weight != nil,
                                      trackRunningStats: b.trackRunningStats, collective: collective)
            s.weight = b.weight; s.bias = b.bias
            s.runningMean = b.runningMean; s.runningVar = b.runningVar; s.numBatchesTracked = b.numBatchesTracked
            s.training = b.training
            return s
        }
        return (r.root, r.paths + inside)
    }

    /// Sets `collective` on every SyncBatchNorm of `net`, and on the BatchNorms inside its
    /// ACConv2d layers that already synchronise (`convert` made them so).
    public static func attach(_ net: any Module, _ collective: (any Collective)?) {
        for (_, m) in net.namedModules() {
            (m as? SyncBatchNorm)?.collective = collective
            for (_, bn) in (m as? ACConv2d)?.norms ?? [] where bn.collective != nil { bn.collective = collective }
        }
    }
}

extension SyncBatchNorm: LayerDescription {
    public static let specClass = "SyncBatchNorm"
    public var hyperParameters: [(name: String, value: HyperValue)] { normHyperParameters }
    public var channelRole: ChannelRole { normChannelRole }
    public func cost(input: [Int], output: [Int]) -> (macs: Int, flops: Int) { normCost(output: output) }

    public static func make(_ h: HyperParameters) throws -> any Module {
        try SyncBatchNorm(try h.int("num_features"), eps: try h.double("eps"), momentum: try h.optionalDouble("momentum"),
                          affine: try h.bool("affine"), trackRunningStats: try h.bool("track_running_stats"))
    }
}
