import NN
import Tensor

/// One layer with multiply-adds (a convolution or a linear layer) before and after pruning:
/// its input and output channels, MACs and parameters. `print(plan)` and `prune.report`
/// list these.
public struct LayerChange: Sendable, Equatable {
    public let name: String
    public let inBefore: Int, inAfter: Int
    public let outBefore: Int, outAfter: Int
    public let macsBefore: Int, macsAfter: Int
    public let paramsBefore: Int, paramsAfter: Int

    public init(name: String, inBefore: Int, inAfter: Int, outBefore: Int, outAfter: Int,
                macsBefore: Int, macsAfter: Int, paramsBefore: Int, paramsAfter: Int) {
        self.name = name
        self.inBefore = inBefore; self.inAfter = inAfter; self.outBefore = outBefore; self.outAfter = outAfter
        self.macsBefore = macsBefore; self.macsAfter = macsAfter; self.paramsBefore = paramsBefore; self.paramsAfter = paramsAfter
    }

    /// The layers of two counts of the same architecture (`Module.count`) that have MACs,
    /// matched by name: what pruning `before` into `after` changed.
    public static func between(_ before: ModelCount, _ after: ModelCount) -> [LayerChange] {
        let later = Dictionary(after.layers.map { ($0.name, $0) }, uniquingKeysWith: { x, _ in x })
        return before.layers.compactMap { l in
            guard l.macs > 0, let n = later[l.name] else { return nil }
            return LayerChange(name: l.name, inBefore: channels(l.inputShape), inAfter: channels(n.inputShape),
                               outBefore: channels(l.outputShape), outAfter: channels(n.outputShape),
                               macsBefore: l.macs, macsAfter: n.macs, paramsBefore: l.params, paramsAfter: n.params)
        }
    }

    /// The channel dim (1) of a traced shape; 0 for a shape without one.
    static func channels(_ shape: [Int]) -> Int { shape.count >= 2 ? shape[1] : 0 }

    /// A fixed-width table: layer, in and out channels, MACs (M) and parameters (K) before →
    /// after; an unchanged layer shows its value once.
    public static func table(_ rows: [LayerChange]) -> String {
        func change(_ a: Int, _ b: Int) -> String { a == b ? String(a) : "\(a) → \(b)" }
        func change(_ a: Double, _ b: Double, _ digits: Int) -> String {
            let f = "%.\(digits)f", x = String(format: f, a), y = String(format: f, b)
            return x == y ? x : "\(x) → \(y)"
        }
        let header = ["layer", "in", "out", "MACs (M)", "params (K)"]
        let body = rows.map { r in
            [r.name, change(r.inBefore, r.inAfter), change(r.outBefore, r.outAfter),
             change(Double(r.macsBefore) / 1e6, Double(r.macsAfter) / 1e6, 2),
             change(Double(r.paramsBefore) / 1e3, Double(r.paramsAfter) / 1e3, 1)]
        }
        let all = [header] + body
        let widths = (0..<header.count).map { c in all.map { $0[c].count }.max() ?? 0 }
        return all.map { r in
            (0..<r.count).map { c in
                let pad = String(repeating: " ", count: widths[c] - r[c].count)
                return c == 0 ? r[c] + pad : pad + r[c]
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
