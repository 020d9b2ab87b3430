/// The "did you mean" of an error for a misspelled name: the known names closest to what
/// was typed, by edit distance (insertions, deletions, substitutions and swaps of two
/// neighbours each count one).
public enum NameSuggestion {
    /// The names within `max(1, key.count / 3)` edits of `key` at the least distance, in
    /// their given order; empty when none is that close. A name that differs from `key` only
    /// in its digits is no suggestion (`conv2` is not a misspelled `conv1`).
    public static func nearest(_ key: String, in names: [String]) -> [String] {
        let k = Array(key.utf8), limit = max(1, k.count / 3)
        let letters = { (s: String) in s.filter { !$0.isNumber } }, keyLetters = letters(key)
        var best = limit + 1, found: [String] = []
        for n in names where letters(n) != keyLetters {
            let d = distance(k, Array(n.utf8), limit: limit)
            if d < best { best = d; found = [n] } else if d == best { found.append(n) }
        }
        return best <= limit ? found : []
    }

    /// " (did you mean 'x'?)", " (did you mean 'x' or 'y'?)" for `nearest`, "" without one.
    public static func hint(_ key: String, in names: [String]) -> String {
        let near = nearest(key, in: names).prefix(3).map { "'\($0)'" }
        return near.isEmpty ? "" : " (did you mean " + near.joined(separator: " or ") + "?)"
    }

    /// Optimal-string-alignment distance, or `limit + 1` once it must exceed `limit`.
    static func distance(_ a: [UInt8], _ b: [UInt8], limit: Int) -> Int {
        if abs(a.count - b.count) > limit { return limit + 1 }
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var before = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count), current = previous
        for i in 1...a.count {
            current[0] = i
            var rowBest = i
            for j in 1...b.count {
                var d = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { d = min(d, before[j - 2] + 1) }
                current[j] = d
                rowBest = min(rowBest, d)
            }
            if rowBest > limit { return limit + 1 }
            (before, previous, current) = (previous, current, before)
        }
        return previous[b.count]
    }
}
