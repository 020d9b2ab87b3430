import Foundation
import Tensor

/// FOAD's keep-set (PAPERS.md, read in the authors' code): a greedy pass over a channel
/// similarity matrix S (higher = more alike).
public enum FOAD {
    /// The greedy keep-set of a C × C similarity matrix `s` (row-major):
    ///
    ///     for i in channel index order (0, 1, …):
    ///       if i was removed: skip it
    ///       keep i
    ///       for the top-t channels j ≠ i not removed, by S[i, j] descending:
    ///         if j is not kept and S[i, j] ≥ threshold: remove j
    ///
    /// Kept channels still take top-t slots (they are never removed, but they use up one
    /// of the t places). Exact ties in S[i, j] rank the lower index first. `t` ≥ C − 1
    /// considers every alive channel. Returns (kept, removed), 0-based and ascending.
    public static func greedy(_ s: [Double], channels c: Int, t: Int, threshold: Double) throws
        -> (kept: [Int], removed: [Int]) {
        guard s.count == c * c, c >= 1 else {
            throw TensorError("foad_greedy: S must be a square (C, C) matrix with C ≥ 1")
        }
        guard t >= 1 else { throw TensorError("foad_greedy: t must be an integer ≥ 1, got \(t)") }
        guard threshold.isFinite else { throw TensorError("foad_greedy: s must be a finite number, got \(threshold)") }
        if let k = s.firstIndex(where: { $0.isNaN }) {
            throw TensorError("foad_greedy: S[\(k / c + 1)][\(k % c + 1)] is NaN")
        }
        var kept = [Bool](repeating: false, count: c), removed = kept
        var candidates: [Int] = []
        candidates.reserveCapacity(c)
        for i in 0..<c where !removed[i] {
            kept[i] = true
            candidates.removeAll(keepingCapacity: true)
            for j in 0..<c where j != i && !removed[j] { candidates.append(j) }
            let row = i * c
            let top = topIndices(candidates, count: t) { a, b in
                s[row + a] != s[row + b] ? s[row + a] > s[row + b] : a < b
            }
            for j in top where !kept[j] && s[row + j] >= threshold { removed[j] = true }
        }
        return ((0..<c).filter { kept[$0] }, (0..<c).filter { removed[$0] })
    }

    /// The first `count` of `items` in the order `before` (a strict total order).
    static func topIndices(_ items: [Int], count: Int, by before: (Int, Int) -> Bool) -> [Int] {
        if count >= items.count { return items.sorted(by: before) }
        var top: [Int] = []
        top.reserveCapacity(count + 1)
        for j in items {
            guard top.count < count || before(j, top[top.count - 1]) else { continue }
            var k = top.count
            while k > 0 && before(j, top[k - 1]) { k -= 1 }
            top.insert(j, at: k)
            if top.count > count { top.removeLast() }
        }
        return top
    }
}
