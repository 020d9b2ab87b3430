import Foundation
import NN
import Tensor

/// Every slice that must shrink together: a conv's output channels, its BN, the input
/// channels of every consumer, the members of a residual add chain, the offsets of a
/// concatenation. Named by its first producer in execution order (`layer1.0.conv1`).
/// Channels are numbered 0..<channels in the order of that producer's filters.
public struct PruningGroup: CustomStringConvertible {
    public let index: Int
    /// The defining layer's path.
    public let name: String
    /// Channel classes of the graph, in group order.
    public internal(set) var classes: [Int]
    /// Indices into the graph's `slots` of every slot holding one of the group's channels.
    public let members: [Int]
    /// Why the group cannot be pruned (it reaches the network input or output, or an
    /// opaque layer), or nil.
    public let frozen: String?
    unowned let graph: DependencyGraph

    public var channels: Int { classes.count }

    /// The member slots.
    public var slots: [ChannelSlot] { members.map { graph.slots[$0] } }

    /// The defining producer's slot (`weight[1]` of the conv that names the group).
    public var definingSlot: ChannelSlot? {
        slots.first { $0.layer == name && ($0.role == .output || $0.role == .shortcutOut) }
    }

    /// Why the defining layer's weights cannot score the group — its channels come from
    /// several layers (Concat branches that an SE block or an add ties together later) and
    /// the defining one makes only some — or nil. Weight criteria skip such a group.
    public var definingLayerMakesPart: String? {
        guard let d = definingSlot, !Set(d.classes).isSuperset(of: classes) else { return nil }
        let layers = slots.filter { $0.role == .output }.count
        return "its \(channels) channels come from \(layers) layers and \(name) makes only \(d.classes.count), so no one layer's weights hold them all"
    }

    /// For a member slot: (position along the slot's dim, group channel) pairs.
    public func positions(in slot: ChannelSlot) -> [(position: Int, channel: Int)] {
        // Most members hold exactly the group's channels in its order.
        if slot.classes == classes { return classes.indices.map { ($0, $0) } }
        var where_: [Int: Int] = [:]
        for (i, c) in classes.enumerated() { where_[c] = i }
        return slot.classes.enumerated().compactMap { p, c in where_[c].map { (p, $0) } }
    }

    /// Checks a keep-set of this group (0-based channels): not empty, in range, no
    /// channel twice. `source` begins the message ("prune.apply", "criterion 'l1'").
    public func checkKeep(_ keep: [Int], _ source: String) throws {
        guard !keep.isEmpty else {
            throw TensorError("\(source): the keep-set of group \(name) is empty (it kept no channel)")
        }
        var seen = [Bool](repeating: false, count: channels)
        for i in keep {
            guard i >= 0 && i < channels else {
                throw TensorError("\(source): group \(name) has \(channels) channels, index \(i + 1) is out of range")
            }
            guard !seen[i] else { throw TensorError("\(source): the keep-set of group \(name) lists channel \(i + 1) twice") }
            seen[i] = true
        }
    }

    /// Layer names of the members, without repeats, in execution order.
    public var layers: [String] {
        var seen = Set<String>()
        return slots.map(\.layer).filter { seen.insert($0).inserted }
    }

    /// `group layer1.0.conv1 (16 channels)` and one line per member: layer, type, role,
    /// sliced entries, and the positions when the member holds other channels too.
    public var description: String {
        var lines = ["group \(name) (\(channels) channels)" + (frozen.map { ", not prunable: \($0)" } ?? "")]
        let rows = slots.map { s -> [String] in
            let pos = positions(in: s)
            var at = ""
            if pos.count != s.classes.count, let lo = pos.map(\.position).min(), let hi = pos.map(\.position).max() {
                at = hi - lo + 1 == pos.count ? "channels \(lo + 1)–\(hi + 1) of \(s.classes.count)"
                    : "\(pos.count) of \(s.classes.count) channels"
            }
            return [s.layer, s.module.typeName, s.role.rawValue, s.entries.isEmpty ? "" : s.entryList, at]
        }
        let widths = (0..<5).map { c in rows.map { $0[c].count }.max() ?? 0 }
        for r in rows {
            lines.append("  " + (0..<5).map { r[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression))
        }
        return lines.joined(separator: "\n")
    }
}
