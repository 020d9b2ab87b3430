import NN
import Tensor
import Text

/// The pruning steps applied to each live net (kept channels by group name, per step),
/// so a pruned net can be saved with its history and the steps replayed on fresh weights.
public enum PruningHistory {
    /// The metadata key of the history in a weights file.
    public static let metadataKey = "topiary.pruning"

    final class Entry {
        weak var model: (any Module)?
        var steps: [[String: [Int]]]
        init(_ m: any Module, _ s: [[String: [Int]]]) { model = m; steps = s }
    }
    nonisolated(unsafe) static var entries: [ObjectIdentifier: Entry] = [:]

    /// The steps applied to `model` so far (oldest first).
    public static func steps(_ model: any Module) -> [[String: [Int]]] {
        guard let e = entries[ObjectIdentifier(model)], e.model === model else { return [] }
        return e.steps
    }

    /// Sets the history (after loading a pruned net).
    public static func set(_ model: any Module, _ steps: [[String: [Int]]]) {
        entries = entries.filter { $0.value.model != nil }
        entries[ObjectIdentifier(model)] = Entry(model, steps)
    }

    /// Appends one step.
    public static func record(_ model: any Module, step: [String: [Int]]) {
        guard !step.isEmpty else { return }
        set(model, steps(model) + [step])
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
            try graph.apply(kept)
            record(model, step: step)
        }
    }

    /// The history as JSON text: `[{"layer1.0.conv1": [0, 2, …]}, …]` (0-based).
    public static func encode(_ steps: [[String: [Int]]]) -> String {
        JSON.array(steps.map { step in
            .object(step.keys.sorted().map { ($0, JSON.array(step[$0]!.map { .int($0) })) })
        }).text
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
