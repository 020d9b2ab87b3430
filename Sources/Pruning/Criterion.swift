import Foundation
import NN
import Tensor

/// What a criterion returns for one group: one score per channel (higher = keep), the
/// channels to keep (0-based, selection-based criteria such as FOAD's greedy), or that
/// it does not score this group, and why (bn_scale on a group without a BatchNorm, as
/// Torch-Pruning's BNScaleImportance): a skipped group is left whole.
public enum CriterionResult {
    case scores([Double])
    case keep([Int])
    case skip(String)
}

/// What a criterion asks the engine to collect before it runs.
public struct CriterionNeeds: OptionSet, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    /// Feature maps at the group's hook point over the calibration batches.
    public static let featureMaps = CriterionNeeds(rawValue: 1)
    /// Gradients of the loss at the hook point (and the maps), from labelled batches.
    public static let gradients = CriterionNeeds(rawValue: 2)
}

/// Where feature maps are taken for a group: the defining layer's output, after its BN,
/// after the activation that follows (the default), or `pool`: after the max- or
/// average-pooling that directly follows that activation, else after the activation (FOAD's
/// VGG protocol: the convs before a pooling are compared on the pooled maps).
public enum HookPoint: String, CaseIterable, Sendable {
    case conv, bn, act, pool
}

/// A pruning criterion: scores the channels of one group, or selects the ones to keep.
public protocol Criterion {
    var name: String { get }
    var needs: CriterionNeeds { get }
    /// Reduces one batch of feature maps [B, C, …] (group order) to what `evaluate`
    /// needs; the reductions of all batches are concatenated along dim 0 (the batch
    /// dim, so a reduction keeps it first) and memory stays bounded. nil keeps the maps
    /// themselves.
    func reduceBatch(_ maps: Tensor, grads: Tensor?) throws -> Tensor?
    /// True when `reduceBatch` maps each image to rows of its own, whatever else is in the
    /// batch (one row per image and channel, as taylor's): the engine may then run a large
    /// calibration batch in parts and reduce each part (`Calibration.partRanges`), which
    /// gives the same concatenation.
    var reducesEachImage: Bool { get }
    func evaluate(_ ctx: CriterionContext) throws -> CriterionResult
    /// True when the criterion decides itself how many channels each group keeps (FOAD's
    /// greedy, DBSCAN clusters): a plan's ratio or MACs / params target cannot apply.
    var choosesKeptCount: Bool { get }
    /// The options that decide the kept count when `choosesKeptCount` (named in errors
    /// where a ratio cannot apply, e.g. "t, s").
    var keptCountOptions: String { get }
}

extension Criterion {
    public var needs: CriterionNeeds { [] }
    public var choosesKeptCount: Bool { false }
    public var reducesEachImage: Bool { false }
    public var keptCountOptions: String { "its own options" }
    public func reduceBatch(_ maps: Tensor, grads: Tensor?) throws -> Tensor? { nil }
}

/// Everything a criterion sees of one group. Channel order is the group's (the
/// defining layer's filter order) everywhere.
public final class CriterionContext {
    public let graph: DependencyGraph
    public let group: PruningGroup
    public let model: any Module
    /// The defining layer and its weight (output channels in dim 0). Looked up on first use,
    /// as are the BatchNorm and its γ, β below: criteria that do not read them (every
    /// feature-map criterion) pay nothing for them.
    public private(set) lazy var layer: (any Module)? = definingSlot?.module
    /// An ACConv2d block's weight is its eval-mode equivalent kernel (`equivalentKernel`):
    /// the block scores as its fused conv, so an SFM model ranks the same before and after
    /// `nn.fuse`.
    public private(set) lazy var weight: Tensor? = definingSlot.flatMap { d in
        d.entries.first.flatMap { try? scored(d.module, $0.entry) }
    }
    /// The first BatchNorm holding the group's channels and its γ, β in group order (copies).
    public var bn: BatchNorm? { bnOrder?.bn }
    public var gamma: Tensor? {
        get throws {
            if gammaCopy == nil { gammaCopy = .some(try gammaValues.map { try Tensor(shape: [$0.count], values: $0) }) }
            return gammaCopy!
        }
    }
    public var beta: Tensor? {
        get throws {
            if betaCopy == nil {
                betaCopy = .some(try bnOrder.flatMap { b in
                    try b.bn.bias.map { p -> Tensor in let v = Self.gathered(p.value, b.order); return try Tensor(shape: [v.count], values: v) }
                })
            }
            return betaCopy!
        }
    }
    private var gammaCopy: Tensor??, betaCopy: Tensor??
    /// γ's values in group order (what `gamma` holds), without building a tensor.
    public private(set) lazy var gammaValues: [Float]? = bnOrder.flatMap { b in b.bn.weight.map { Self.gathered($0.value, b.order) } }
    /// Feature maps at the hook point [N, C, …] (or what `reduceBatch` made of them).
    public var fmaps: Tensor?
    /// Gradients at the hook point, when the criterion asked for them and did not
    /// reduce them away.
    public var grads: Tensor?
    /// The hook point's layer path.
    public var point: String?
    /// Whether the maps at `point` are an activation's output (nil when no maps were read).
    public var pointIsActivation: Bool?
    /// That activation (nil when there is none, or no maps were read).
    public var pointActivation: Activation?
    /// The share of the group's channels the plan asks to remove (its `ratio`, or the
    /// group's `ratios` entry); nil when the plan aims at a MACs or params target, or when
    /// scoring without a ratio. Selection-based criteria that size their keep-set from a
    /// ratio (k-means clustering) read it here.
    public var ratio: Double?

    public init(graph: DependencyGraph, group: PruningGroup, model: any Module) throws {
        self.graph = graph; self.group = group; self.model = model
    }

    private lazy var definingSlot: ChannelSlot? = group.definingSlot

    /// The BatchNorm and, for each group channel, its position in the BN's channels (nil
    /// when the BN holds exactly the group's channels in group order, as it usually does).
    private lazy var bnOrder: (bn: BatchNorm, order: [Int]?)? = {
        for m in group.members {
            let s = graph.slots[m]
            guard s.role == .perChannel, let b = s.module as? BatchNorm else { continue }
            if s.classes == group.classes { return (b, nil) }
            let pos = group.positions(in: s)
            guard pos.count == group.channels else { continue }
            var order = [Int](repeating: 0, count: group.channels)
            for (p, c) in pos { order[c] = p }
            return (b, order)
        }
        return nil
    }()

    /// The tensor weight criteria read for `entry` of `m`: its state tensor, except that an
    /// ACConv2d's k×k kernel (its first entry) stands for the whole block, read as the
    /// block's eval-mode equivalent kernel (branches and their BNs folded in).
    private func scored(_ m: any Module, _ entry: String) throws -> Tensor? {
        if let block = m as? ACConv2d, entry == "square_conv.weight" { return try block.equivalentKernel().weight }
        return graph.stateTensor(m, entry)
    }

    /// `t`'s values at `order` (all of them when nil).
    private static func gathered(_ t: Tensor, _ order: [Int]?) -> [Float] {
        let v = t.toFloats()
        return order.map { $0.map { v[$0] } } ?? v
    }

    /// Per-channel p-norms of every member's weights (group order), for group reductions:
    /// (layer, role, norms). Members without weights (activations, shortcuts) are skipped;
    /// BatchNorm contributes |γ|.
    public func memberNorms(p: Double) throws -> [(layer: String, role: ChannelSlot.Role, norms: [Double])] {
        try group.slots.compactMap { s in try norms(of: s, p: p).map { (s.layer, s.role, $0) } }
    }

    /// Per-channel p-norms (group order) of one member's first sliced entry, or nil when
    /// it has none or does not hold every channel of the group.
    public func norms(of s: ChannelSlot, p: Double) throws -> [Double]? {
        guard let (entry, dim) = s.entries.first, let t = try scored(s.module, entry) else { return nil }
        // most members hold exactly the group's channels in its order: the rows are the norms
        if s.classes == group.classes { return try channelNorms(t, dim: dim, factor: s.factor, p: p) }
        let pos = group.positions(in: s)
        guard pos.count == group.channels, let rows = try channelNorms(t, dim: dim, factor: s.factor, p: p) else { return nil }
        var norms = [Double](repeating: 0, count: group.channels)
        for (position, c) in pos { norms[c] = rows[position] }
        return norms
    }
}
