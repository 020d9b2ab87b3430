/// A unified diff of two lists of lines under a custom equality (numbers within
/// tolerance count as equal), with three lines of context.
enum UnifiedDiff {
    /// The diff text, or "" when the lines agree.
    static func diff(_ a: [String], _ b: [String], from: String, to: String, context: Int = 3,
                     equal: (String, String) -> Bool) -> String {
        let ops = script(a, b, equal)
        guard ops.contains(where: { $0.kind != " " }) else { return "" }
        var out = "--- \(from)\n+++ \(to)\n"
        // Group changes with their context into hunks.
        var i = 0
        while i < ops.count {
            guard let firstChange = ops[i...].firstIndex(where: { $0.kind != " " }) else { break }
            let start = max(firstChange - context, i)
            var end = firstChange
            var lastChange = firstChange
            while end < ops.count {
                if ops[end].kind != " " { lastChange = end }
                if end - lastChange > 2 * context { break }
                end += 1
            }
            let stop = min(lastChange + context + 1, ops.count)
            let hunk = ops[start..<stop]
            let aStart = hunk.first.map { $0.aLine } ?? 0, bStart = hunk.first.map { $0.bLine } ?? 0
            let aCount = hunk.filter { $0.kind != "+" }.count, bCount = hunk.filter { $0.kind != "-" }.count
            out += "@@ -\(aCount == 0 ? aStart : aStart + 1),\(aCount) +\(bCount == 0 ? bStart : bStart + 1),\(bCount) @@\n"
            for op in hunk { out += "\(op.kind)\(op.text)\n" }
            i = stop
        }
        return out
    }

    struct Op {
        let kind: Character   // " ", "-", "+"
        let text: String
        let aLine: Int, bLine: Int   // 0-based positions before this op
    }

    /// An edit script from the longest common subsequence (quadratic; outputs are small,
    /// and very long ones fall back to replacing everything after the common prefix).
    static func script(_ a: [String], _ b: [String], _ equal: (String, String) -> Bool) -> [Op] {
        var prefix = 0
        while prefix < a.count, prefix < b.count, equal(a[prefix], b[prefix]) { prefix += 1 }
        var ops: [Op] = (0..<prefix).map { Op(kind: " ", text: b[$0], aLine: $0, bLine: $0) }
        let ra = Array(a[prefix...]), rb = Array(b[prefix...])
        let n = ra.count, m = rb.count
        if n * m > 4_000_000 {
            for (k, s) in ra.enumerated() { ops.append(Op(kind: "-", text: s, aLine: prefix + k, bLine: prefix)) }
            for (k, s) in rb.enumerated() { ops.append(Op(kind: "+", text: s, aLine: prefix + n, bLine: prefix + k)) }
            return ops
        }
        var lcs = [[Int32]](repeating: [Int32](repeating: 0, count: m + 1), count: n + 1)
        for i in stride(from: n - 1, through: 0, by: -1) {
            for j in stride(from: m - 1, through: 0, by: -1) {
                lcs[i][j] = equal(ra[i], rb[j]) ? lcs[i + 1][j + 1] + 1 : max(lcs[i + 1][j], lcs[i][j + 1])
            }
        }
        var i = 0, j = 0
        while i < n || j < m {
            if i < n, j < m, equal(ra[i], rb[j]) {
                ops.append(Op(kind: " ", text: rb[j], aLine: prefix + i, bLine: prefix + j)); i += 1; j += 1
            } else if i < n, j == m || lcs[i + 1][j] >= lcs[i][j + 1] {
                ops.append(Op(kind: "-", text: ra[i], aLine: prefix + i, bLine: prefix + j)); i += 1
            } else {
                ops.append(Op(kind: "+", text: rb[j], aLine: prefix + i, bLine: prefix + j)); j += 1
            }
        }
        return ops
    }
}
