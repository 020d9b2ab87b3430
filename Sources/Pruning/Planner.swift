import Foundation
import NN
import Tensor

/// How much to prune.
public enum PruningAmount {
    /// Remove this fraction of every prunable group (local) or of all their channels
    /// together (global); `perGroup` overrides it for some groups.
    case ratio(Double, perGroup: [Int: Double])
    /// Prune until the MACs (Conv2d + Linear) fall to this count.
    case targetMACs(Int)
    /// Prune until the parameters fall to this count.
    case targetParams(Int)
}

/// Options of a plan beyond the criterion.
public struct PlanOptions {
    public var amount: PruningAmount = .ratio(0.5, perGroup: [:])
    /// Global ranking of normalised scores across groups instead of a ratio per group.
    public var global = false
    /// Groups left whole (any member ignored).
    public var ignored: Set<Int> = []
    /// At most this fraction of any group is removed.
    public var maxRatio = 1.0
    /// Kept channel counts are rounded up to a multiple of this.
    public var roundTo = 1
    /// Per-group normalisation of scores (global plans rank normalised scores).
    public var normalizer: ScoreNormalizer = .none
    /// Ratios of the original channels (`of = "original"`): every group's width before any
    /// recorded pruning, by group index (`PruningHistory.originalWidths`). A group then keeps
    /// ⌊n0·(1 − ratio)⌋ of its original n0, so an iterative schedule's steps end where a
    /// one-shot plan at the final ratio does. Empty: ratios count the present channels.
    public var originalWidths: [Int: Int] = [:]

    public init() {}
}

/// What to keep, per group: the result of scoring every prunable group.
public struct GroupPlan {
    public let group: Int
    public let name: String
    public let before: Int
    /// Kept channels, 0-based, ascending.
    public var kept: [Int]
    /// The criterion's scores (nil for selection-based criteria or untouched groups).
    public var scores: [Double]?
    /// Why the criterion did not score this group (it is left whole), or nil.
    public var skipped: String?
    public var after: Int { kept.count }

    public init(group: Int, name: String, before: Int, kept: [Int], scores: [Double]?, skipped: String? = nil) {
        self.group = group; self.name = name; self.before = before; self.kept = kept
        self.scores = scores; self.skipped = skipped
    }
}

/// A pruning plan: per group the channels before and after and the kept indices, the
/// MACs and parameters before and after. Planning touches nothing; `apply` performs it
/// after checking the net is still the one planned.
public final class PruningPlan: CustomStringConvertible {
    public let graph: DependencyGraph
    public let criterion: String
    public internal(set) var groups: [GroupPlan]
    public let macs: (before: Int, after: Int)
    public let params: (before: Int, after: Int)
    /// Every layer with MACs before and after: channels, MACs, parameters.
    /// Made when first read (a MACs or params target builds ~40 candidate plans and reads
    /// only their totals), at the latest by `apply`: it reads the modules' parameters, which
    /// the surgery then shrinks.
    public private(set) lazy var layers: [LayerChange] = graph.layerChanges(removing: removed)
    /// The channel classes the plan removes.
    private let removed: Set<Int>
    /// The shapes of every state entry when planned.
    let fingerprint: [String: [Int]]
    public internal(set) var applied = false

    init(graph: DependencyGraph, criterion: String, groups: [GroupPlan], fingerprint: [String: [Int]]) throws {
        self.graph = graph; self.criterion = criterion; self.groups = groups; self.fingerprint = fingerprint
        removed = try graph.removedClasses(keepMapOf(groups))
        let before = graph.estimate(removing: []), after = graph.estimate(removing: removed)
        macs = (before.macs, after.macs); params = (before.params, after.params)
    }

    /// Group index → kept channels, for `DependencyGraph.apply`.
    public var keepMap: [Int: [Int]] { keepMapOf(groups) }

    /// Kept indices by group name.
    public var kept: [String: [Int]] { Dictionary(uniqueKeysWithValues: groups.map { ($0.name, $0.kept) }) }

    /// Performs the plan on the net it was made for.
    @discardableResult
    public func apply(to model: any Module, optimizer: (any Optimizer)? = nil) throws -> SurgeryReport {
        try checkUnchanged(model, "plan:apply")
        _ = layers   // before the surgery (see `layers`)
        let report = try graph.apply(keepMap, optimizer: optimizer)
        applied = true
        PruningHistory.record(model, step: kept.filter { k in groups.contains { $0.name == k.key && $0.kept.count != $0.before } },
                              before: Dictionary(groups.map { ($0.name, $0.before) }, uniquingKeysWith: { a, _ in a }))
        return report
    }

    /// Soft pruning (`DependencyGraph.zero`): the parameters of the channels the plan
    /// removes set to zero in place, no shape changed (only their filters with
    /// `filtersOnly`), and with `optimizer` the same entries of their optimizer state; the
    /// plan can still be applied. Returns how many parameter elements were zeroed.
    @discardableResult
    public func mask(_ model: any Module, filtersOnly: Bool = false, optimizer: (any Optimizer)? = nil) throws -> Int {
        try checkUnchanged(model, "plan:mask")
        return try graph.zero(keepMap, filtersOnly: filtersOnly, optimizer: optimizer)
    }

    /// Throws unless `model` is this plan's net, unpruned by it and with the shapes it had.
    private func checkUnchanged(_ model: any Module, _ op: String) throws {
        guard !applied else { throw TensorError("\(op): this plan was already applied") }
        guard graph.rootModule === model else { throw TensorError("\(op): the plan was made for another net") }
        let now = stateShapes(model)
        if now != fingerprint {
            let key = fingerprint.keys.sorted().first { now[$0] != fingerprint[$0] } ?? now.keys.sorted().first { fingerprint[$0] == nil } ?? "?"
            throw TensorError("\(op): the net changed since it was planned (\(key) is \(now[key].map(shapeString) ?? "gone"), was \(fingerprint[key].map(shapeString) ?? "absent"))")
        }
    }

    public var description: String {
        var rows = [["group", "channels", "kept", "ratio"]]
        for g in groups {
            rows.append([g.name, String(g.before), String(g.after), g.skipped != nil ? "skipped"
                         : String(format: "%.2f", 1 - Double(g.after) / Double(max(g.before, 1)))])
        }
        let w = (0..<4).map { c in rows.map { $0[c].count }.max() ?? 0 }
        var out = rows.map { r in (0..<4).map { c in c == 0 ? r[c].padding(toLength: w[c], withPad: " ", startingAt: 0)
            : String(repeating: " ", count: w[c] - r[c].count) + r[c] }.joined(separator: "  ") }
        out.append(String(format: "plan (%@): MACs %.2f M → %.2f M (−%.1f %%), params %.3f M → %.3f M (−%.1f %%)",
                          criterion, Double(macs.before) / 1e6, Double(macs.after) / 1e6,
                          100 * (1 - Double(macs.after) / Double(max(macs.before, 1))),
                          Double(params.before) / 1e6, Double(params.after) / 1e6,
                          100 * (1 - Double(params.after) / Double(max(params.before, 1)))))
        for g in groups { if let why = g.skipped { out.append("skipped \(g.name): \(criterion) does not score it (\(why))") } }
        return out.joined(separator: "\n") + "\n\n" + LayerChange.table(layers)
    }
}

func keepMapOf(_ groups: [GroupPlan]) -> [Int: [Int]] {
    var m: [Int: [Int]] = [:]
    for g in groups where g.kept.count != g.before { m[g.group] = g.kept }
    return m
}

/// Shapes of every state entry, to tell whether a net changed since it was planned.
func stateShapes(_ model: any Module) -> [String: [Int]] {
    Dictionary(model.stateDict().map { ($0.key, $0.tensor.shape) }, uniquingKeysWith: { a, _ in a })
}
