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
    /// The ranks to synchronise over (nil: this process's batch only).
    public var collective: (any Collective)?

    public init(_ features: Int, eps: Double = 1e-5, momentum: Double? = 0.1, affine: Bool = true,
                trackRunningStats: Bool = true, collective: (any Collective)? = nil) throws {
        self.collective = collective
        try super.init(numFeatures: features, eps: eps, momentum: momentum, affine: affine, trackRunningStats: trackRunningStats)
    }

    override func layout(_ input: Tensor) throws -> (Tensor, Int, Int, Int) {
        guard input.dim >= 2 else {
            throw TensorError("\(op): expected an input of at least 2 dimensions [N, C, ...], got shape \(shapeString(input.shape))")
        }
        let x = try input.toFloat().contiguous()
        return (x, x.shape[0], x.shape[1], x.shape.dropFirst(2).reduce(1, *))
    }

    override var synchronizesBatchStatistics: Bool { collective != nil }

    override func synchronize(mean: inout [Double], variance: inout [Double], count: inout Int) throws -> Bool {
        guard let collective else { return false }
        let c = mean.count, k = Double(count)
        var sums = [Double](repeating: 0, count: 1 + 2 * c)
        sums[0] = k
        for i in 0..<c {
            sums[1 + i] = k * mean[i]
            sums[1 + c + i] = k * (variance[i] + mean[i] * mean[i])
        }
        sums = try collective.allreduceSum(sums)
        let total = sums[0]
        for i in 0..<c {
            mean[i] = sums[1 + i] / total
            variance[i] = max(0, sums[1 + c + i] / total - mean[i] * mean[i])
        }
        count = Int(total)
        return true
    }

    override func synchronize(sumDy: inout [Double], sumDyX: inout [Double]) throws {
        guard let collective else { return }
        let sums = try collective.allreduceSum(sumDy + sumDyX)
        let c = sumDy.count
        sumDy = Array(sums[0..<c])
        sumDyX = Array(sums[c...])
    }

    /// Swaps every BatchNorm layer of `net` (BatchNorm1d, BatchNorm2d) for a SyncBatchNorm
    /// over `collective` with the same hyper-parameters, parameters and running
    /// statistics; layers already synchronised get `collective`. BatchNorms inside a
    /// layer (ACConv2d's branches) stay local. Returns the new root and the swapped paths.
    public static func convert(_ net: any Module, collective: (any Collective)?) throws -> (net: any Module, paths: [String]) {
        attach(net, collective)
        let r = try net.replacingLayers { _, m in
            guard let b = m as? BatchNorm, !(b is SyncBatchNorm) else { return nil }
            let s = try SyncBatchNorm(b.numFeatures, eps: b.eps, momentum: b.momentum, affine: b.weight != nil,
                                      trackRunningStats: b.trackRunningStats, collective: collective)
            s.weight = b.weight; s.bias = b.bias
            s.runningMean = b.runningMean; s.runningVar = b.runningVar; s.numBatchesTracked = b.numBatchesTracked
            s.training = b.training
            return s
        }
        return (r.root, r.paths)
    }

    /// Sets `collective` on every SyncBatchNorm of `net`.
    public static func attach(_ net: any Module, _ collective: (any Collective)?) {
        for (_, m) in net.namedModules() { (m as? SyncBatchNorm)?.collective = collective }
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
