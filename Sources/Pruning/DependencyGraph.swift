import NN
import Tensor

/// The channel dependencies of a network, found by tracing one forward pass: every
/// channel dim of every layer (a `ChannelSlot`), which channels are the same channel
/// (joined through residual adds, passed through BN, activations, pooling, depthwise
/// convs, concatenations at their offsets, flattens, option-A shortcuts), and the groups
/// of channels that must shrink together.
///
/// A layer the engine cannot follow (a grouped conv, an unknown module) freezes the
/// channels it touches; `problems` names each such layer and why, so the pre-flight
/// check reports them before anything is changed.
public final class DependencyGraph {
    public let trace: TraceGraph
    public let inputShape: [Int]
    /// The traced network.
    public private(set) weak var rootModule: (any Module)?
    public internal(set) var slots: [ChannelSlot] = []
    public internal(set) var groups: [PruningGroup] = []
    /// Layers the engine cannot follow, with the reason (pre-flight report).
    public private(set) var problems: [(layer: String, reason: String)] = []
    /// Why a class cannot be pruned (network input, logits, an opaque layer).
    private(set) var frozen: [Int: String] = [:]
    /// Option-A shortcuts: slot indices of (input, output) and the original mapping of
    /// input position → output position.
    private(set) var shortcuts: [(input: Int, output: Int, module: ShortcutA)] = []
    /// The channel class at each channel of each traced node's output (by node id).
    public internal(set) var nodeClasses: [[Int]] = []
    /// `estimate(removing: [])`, kept until the next surgery.
    var fullCost: (macs: Int, params: Int)?

    /// Traces `model` on zeros of `inputShape` (batch 1 is enough) and builds the groups.
    public init(_ model: any Module, inputShape: [Int]) throws {
        try Tensor.checkShape(inputShape, "prune.groups")
        guard inputShape.count >= 2 else {
            throw TensorError("prune.groups: input shape \(shapeString(inputShape)) needs a batch and a channel dimension")
        }
        self.inputShape = inputShape
        rootModule = model
        trace = try Tracer.trace(model, input: try Tensor(zeros: inputShape))
        var b = Builder()
        try b.run(trace)
        slots = b.slots
        problems = b.problems
        for i in slots.indices { slots[i].classes = slots[i].classes.map { b.uf.find($0) } }
        for (v, why) in b.frozen { let c = b.uf.find(v); if frozen[c] == nil { frozen[c] = why } }
        shortcuts = b.shortcuts
        nodeClasses = b.labels.map { $0.map { b.uf.find($0) } }
        groups = makeGroups()
    }

    /// The group defined by the layer `name` (its first producer), or nil.
    public func group(named name: String) -> PruningGroup? { groups.first { $0.name == name } }

    /// Groups from producer slots: producers sharing a channel class are one group.
    private func makeGroups() -> [PruningGroup] {
        let producers = slots.indices.filter { slots[$0].role == .output || slots[$0].role == .shortcutOut }
        // Class ids are union-find variables: small integers, so arrays index them.
        let classCount = (slots.lazy.compactMap { $0.classes.max() }.max() ?? -1) + 1
        var uf = UnionFind()
        let ids = uf.make(producers.count)
        var owner = [Int](repeating: -1, count: classCount)  // class -> producer index
        for (k, s) in producers.enumerated() {
            for c in slots[s].classes {
                if owner[c] >= 0 { uf.union(ids[owner[c]], ids[k]) } else { owner[c] = k }
            }
        }
        var order: [Int] = [], byRoot: [Int: [Int]] = [:]
        for k in producers.indices {
            let r = uf.find(ids[k])
            if byRoot[r] == nil { order.append(r) }
            byRoot[r, default: []].append(k)
        }
        // The group of each class, and each group's channels.
        var groupOf = [Int](repeating: -1, count: classCount)
        var specs: [(name: String, channels: [Int])] = []
        for r in order {
            let ks = byRoot[r]!
            // The group is named by its first real producer (a conv or linear), else the
            // shortcut; its channels are numbered in that producer's order.
            let named = ks.first { slots[producers[$0]].role == .output } ?? ks[0]
            var channels: [Int] = []
            for k in [named] + ks {
                for c in slots[producers[k]].classes where groupOf[c] < 0 { groupOf[c] = specs.count; channels.append(c) }
            }
            specs.append((slots[producers[named]].layer, channels))
        }
        // Members: every slot holding one of the group's channels, in slot order.
        var members = [[Int]](repeating: [], count: specs.count)
        for (s, slot) in slots.enumerated() {
            for c in slot.classes {
                let g = groupOf[c]
                if g >= 0 && members[g].last != s { members[g].append(s) }
            }
        }
        return specs.enumerated().map { g, spec in
            let why = spec.channels.lazy.compactMap { self.frozen[$0] }.first
            return PruningGroup(index: g, name: spec.name, classes: spec.channels, members: members[g], frozen: why, graph: self)
        }
    }
}

/// Builds slots and channel classes from a trace (one pass in execution order).
private struct Builder {
    var uf = UnionFind()
    var slots: [ChannelSlot] = []
    var problems: [(layer: String, reason: String)] = []
    var frozen: [Int: String] = [:]
    var shortcuts: [(input: Int, output: Int, module: ShortcutA)] = []
    /// Channel variables and features-per-channel of every node's output.
    var labels: [[Int]] = [], factors: [Int] = []
    /// First slots of each module (a module run twice joins its channels).
    var seen: [ObjectIdentifier: [Int]] = [:]

    mutating func freeze(_ vars: [Int], _ why: String) { for v in vars where frozen[v] == nil { frozen[v] = why } }

    mutating func slot(_ n: TraceNode, _ m: any Module, _ role: ChannelSlot.Role,
                       _ entries: [(entry: String, dim: Int)], _ vars: [Int], factor: Int = 1) -> Int {
        slots.append(ChannelSlot(layer: n.name, module: m, role: role, entries: entries, classes: vars, factor: factor))
        return slots.count - 1
    }

    mutating func run(_ g: TraceGraph) throws {
        for n in g.nodes {
            let inLabels = n.inputs.first.map { labels[$0] } ?? []
            let inFactor = n.inputs.first.map { factors[$0] } ?? 1
            var out: [Int] = [], factor = 1
            let channels = n.outputShape.count >= 2 ? n.outputShape[1] : 0
            switch n.kind {
            case .input:
                out = uf.make(channels)
                freeze(out, "network input")
            case .add, .scale:   // a scale's s ([N, C, 1, 1]) ties its channels to x's as an add does
                out = inLabels
                factor = inFactor
                for i in n.inputs.dropFirst() {
                    guard labels[i].count == out.count else { opaque(n, "add of tensors with different channel counts", &out); break }
                    for (a, b) in zip(out, labels[i]) { uf.union(a, b) }
                }
            case .concat:
                out = n.inputs.flatMap { labels[$0] }
                if n.inputs.contains(where: { factors[$0] != 1 }) { opaque(n, "concatenation of flattened features", &out) }
            case .layer:
                guard let m = n.module else { continue }
                (out, factor) = layer(n, m, inLabels, inFactor, channels)
            }
            labels.append(out)
            factors.append(factor)
        }
        freeze(labels[g.output], "network output")
    }

    mutating func opaque(_ n: TraceNode, _ why: String, _ out: inout [Int]) {
        problems.append((n.name, why))
        freeze(n.inputs.flatMap { labels[$0] }, "\(n.name): \(why)")
        out = uf.make(n.outputShape.count >= 2 ? n.outputShape[1] : 0)
        freeze(out, "\(n.name): \(why)")
    }

    mutating func layer(_ n: TraceNode, _ m: any Module, _ inLabels: [Int], _ inFactor: Int,
                        _ channels: Int) -> ([Int], Int) {
        var out: [Int] = []
        if let a = m as? ShortcutA {
            guard n.inputShapes.first?.count == 4, inFactor == 1 else { opaque(n, "option-A shortcut on a non-4-d input", &out); return (out, 1) }
            out = uf.make(channels)
            let si = slot(n, m, .shortcutIn, [], inLabels), so = slot(n, m, .shortcutOut, [], out)
            if joinRepeat(m, [si, so]) { shortcuts.append((si, so, a)) }
            return (out, 1)
        }
        guard let d = m.layerDescription else {
            opaque(n, "\(m.typeName) has no layer description (not a built-in layer)", &out)
            return (out, 1)
        }
        switch d.channelRole {
        case .produces(let o, let i):
            if (m is Conv2d || m is ACConv2d) && inFactor != 1 { opaque(n, "convolution of flattened features", &out); return (out, 1) }
            // a Linear reads the last dimension: on [N, C, H, W] that is W, not the channels
            if m is Linear, let shape = n.inputShapes.first, shape.count != 2 {
                opaque(n, "Linear on a \(shape.count)-d input (it reads the last dimension, not the channels)", &out); return (out, 1)
            }
            out = uf.make(channels)
            let si = slot(n, m, .input, i, inLabels, factor: inFactor), so = slot(n, m, .output, o, out)
            joinRepeat(m, [si, so])
            return (out, 1)
        case .perChannel(let e):
            let s = slot(n, m, .perChannel, e, inLabels, factor: inFactor)
            joinRepeat(m, [s])
            return (inLabels, inFactor)
        case .passThrough:
            return (inLabels, inFactor)
        case .flattens:
            guard let shape = n.inputShapes.first, shape.count >= 2 else { return (inLabels, inFactor) }
            return (inLabels, inFactor * shape[2...].reduce(1, *))
        case .opaque(let why):
            opaque(n, why, &out)
            return (out, 1)
        }
    }

    /// Records a module's slots the first time; a repeated module (shared weights) joins
    /// its channels with the first use's instead. Returns whether this was the first use.
    @discardableResult
    mutating func joinRepeat(_ m: any Module, _ new: [Int]) -> Bool {
        let key = ObjectIdentifier(m)
        guard let first = seen[key] else { seen[key] = new; return true }
        for (a, b) in zip(first, new) {
            for (x, y) in zip(slots[a].classes, slots[b].classes) { uf.union(x, y) }
        }
        slots.removeLast(new.count)
        return false
    }
}

extension DependencyGraph {
    func setClasses(_ slot: Int, _ classes: [Int]) { slots[slot].classes = classes }

    func pruneGroups(removing removed: Set<Int>) {
        for g in groups.indices { groups[g].classes.removeAll { removed.contains($0) } }
    }
}
