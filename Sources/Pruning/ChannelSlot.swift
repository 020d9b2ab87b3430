import NN
import Tensor

/// One channel dimension of one layer as the dependency graph sees it: for every
/// position along that dim, the channel (a class id of the graph) found there.
public struct ChannelSlot {
    public enum Role: String, Sendable {
        /// The channels a conv or linear makes (`weight` dim 0, `bias`).
        case output = "out"
        /// The channels a conv or linear reads (`weight` dim 1).
        case input = "in"
        /// Per-channel state of a layer that passes channels through (BN, depthwise conv).
        case perChannel = "channel"
        /// The channels an option-A shortcut reads.
        case shortcutIn = "shortcut in"
        /// The channels an option-A shortcut writes (its pads included).
        case shortcutOut = "shortcut out"
    }

    /// The layer's module path (`layer1.0.conv1`).
    public let layer: String
    public let module: any Module
    public let role: Role
    /// State entries sliced along this dim, with the dim (`weight` 0, `bias` 0).
    public let entries: [(entry: String, dim: Int)]
    /// The channel class at each position (resolved after all unions).
    public internal(set) var classes: [Int]
    /// Entries hold `factor` consecutive features per channel (a linear after a flatten
    /// of H×W maps reads H·W features per channel).
    public let factor: Int

    /// Positions of this dim that survive when `removed` classes go.
    func keptPositions(removing removed: Set<Int>) -> [Int] {
        classes.indices.filter { !removed.contains(classes[$0]) }
    }

    /// The entry indices along the dim for kept channel positions (expanded by `factor`).
    func entryIndices(_ positions: [Int]) -> [Int] {
        factor == 1 ? positions : positions.flatMap { p in (p * factor)..<((p + 1) * factor) }
    }

    /// `weight[0]`, `bias[0]`: what this slot slices, for printing.
    public var entryList: String {
        entries.map { "\($0.entry)[\($0.dim + 1)]" }.joined(separator: ", ") + (factor > 1 ? " ×\(factor)" : "")
    }
}

/// A small union-find over channel variables.
struct UnionFind {
    private var parent: [Int] = []

    /// A fresh variable.
    mutating func make() -> Int {
        parent.append(parent.count)
        return parent.count - 1
    }

    mutating func make(_ n: Int) -> [Int] { (0..<n).map { _ in make() } }

    mutating func find(_ x: Int) -> Int {
        var r = x
        while parent[r] != r { r = parent[r] }
        var y = x
        while parent[y] != r { let next = parent[y]; parent[y] = r; y = next }
        return r
    }

    /// Joins two variables; the smaller root wins so classes are named by their first variable.
    mutating func union(_ a: Int, _ b: Int) {
        let ra = find(a), rb = find(b)
        if ra == rb { return }
        if ra < rb { parent[rb] = ra } else { parent[ra] = rb }
    }
}
