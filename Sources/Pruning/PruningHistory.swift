import NN
import Tensor
import Text

/// The pruning steps applied to each live net (kept channels by group name, per step),
/// so a pruned net can be saved with its history and the steps replayed on fresh weights,
/// and each pruned group's width before its first step (`widths`), so a plan can count a
/// ratio of the original channels (`prune.plan{of = "original"}`, iterative schedules).
public enum PruningHistory {
    /// The metadata key of the history in a weights file.
    public static let metadataKey = "topiary.pruning"
    /// The metadata key of the original widths of the pruned groups.
    public static let widthsKey = "topiary.pruning.widths"

    final class Entry {
        weak var model: (any Module)?
        var steps: [[String: [Int]]]
        var widths: [String: Int]
        init(_ m: any Module, _ s: [[String: [Int]]], _ w: [String: Int]) { model = m; steps = s; widths = w }
    }
    nonisolated(unsafe) static var entries: [ObjectIdentifier: Entry] = [:]

    /// The steps applied to `model` so far (oldest first).
    public static func steps(_ model: any Module) -> [[String: [Int]]] {
        guard let e = entries[ObjectIdentifier(model)], e.model === model else { return [] }
        return e.steps
    }

    /// The channels each group pruned so far had before its first step, by group name
    /// (a group not in it has never been pruned, or was pruned in a file that did not say).
    public static func widths(_ model: any Module) -> [String: Int] {
        guard let e = entries[ObjectIdentifier(model)], e.model === model else { return [:] }
        return e.widths
    }

    /// Sets the history (after loading a pruned net).
    public static func set(_ model: any Module, _ steps: [[String: [Int]]], widths: [String: Int] = [:]) {
        entries = entries.filter { $0.value.model != nil }
        entries[ObjectIdentifier(model)] = Entry(model, steps, widths)
    }

    /// Appends one step; `before` holds the channels each of its groups had before it (a
    /// group's first step sets its original width).
    public static func record(_ model: any Module, step: [String: [Int]], before: [String: Int]) {
        guard !step.isEmpty else { return }
        var w = widths(model)
        for name in step.keys where w[name] == nil { w[name] = before[name] }
        set(model, steps(model) + [step], widths: w)
    }

    /// The original width of every group of `graph` by index: the recorded width of a pruned
    /// group, the present one of a group never pruned. Throws for a group the history prunes
    /// without a recorded width (a net read from a file written before widths were kept).
    public static func originalWidths(_ model: any Module, _ graph: DependencyGraph) throws -> [Int: Int] {
        let w = widths(model)
        let pruned = Set(steps(model).flatMap(\.keys))
        var out: [Int: Int] = [:]
        for g in graph.groups {
            if let n = w[g.name] { out[g.index] = max(n, g.channels); continue }
            guard !pruned.contains(g.name) else {
                throw TensorError("prune: group \(g.name) was pruned before, but its original width is not known (a net read from a file saved without it); plan with ratios of the current channels instead")
            }
            out[g.index] = g.channels
        }
        return out
    }

    /// Repeats `steps` on `model` (the same architecture, unpruned or pruned as far as the
    /// steps before them): each step's groups are found by name in a fresh graph.
    public static func replay(_ model: any Module, _ steps: [[String: [Int]]], inputShape: [Int]) throws {
        for (i, step) in steps.enumerated() {
            let graph = try DependencyGraph(model, inputShape: inputShape)
            var kept: [Int: [Int]] = [:]
            for (name, k) in step {
                guard let g = graph.group(named: name) else {
                    throw TensorError("prune.replay: step \(i + 1) names group \(name), which the net does not have")
                }
                kept[g.index] = k
            }
            let before = Dictionary(uniqueKeysWithValues: step.keys.compactMap { name in graph.group(named: name).map { (name, $0.channels) } })
            try graph.apply(kept)
            record(model, step: step, before: before)
        }
    }

    /// The history as JSON text: `[{"layer1.0.conv1": [0, 2, …]}, …]` (0-based).
    public static func encode(_ steps: [[String: [Int]]]) -> String {
        JSON.array(steps.map { step in
            .object(step.keys.sorted().map { ($0, JSON.array(step[$0]!.map { .int($0) })) })
        }).text
    }

    /// The original widths as JSON text: `{"layer1.0.conv1": 16, …}`.
    public static func encodeWidths(_ widths: [String: Int]) -> String {
        JSON.object(widths.keys.sorted().map { ($0, .int(widths[$0]!)) }).text
    }

    /// Reads `encodeWidths`' JSON.
    public static func decodeWidths(_ text: String) throws -> [String: Int] {
        let bad = TensorError("prune: the original widths in the file are not an object {group: channels} of positive counts")
        guard let o = (try? JSON.parse(text))?.object else { throw bad }
        var out: [String: Int] = [:]
        for (k, v) in o {
            guard let n = v.int, n > 0, n <= 1 << 24 else { throw bad }
            out[k] = n
        }
        return out
    }

    /// Reads `encode`'s JSON.
    public static func decode(_ text: String) throws -> [[String: [Int]]] {
        let bad = TensorError("prune: the pruning history is not valid JSON (a list of {group: [indices]})")
        guard let list = (try? JSON.parse(text))?.array else { throw bad }
        return try list.map { step in
            guard let o = step.object else { throw bad }
            var out: [String: [Int]] = [:]
            for (k, v) in o {
                guard let a = v.array else { throw bad }
                out[k] = try a.map { guard let i = $0.int else { throw bad }; return i }
            }
            return out
        }
    }
}
