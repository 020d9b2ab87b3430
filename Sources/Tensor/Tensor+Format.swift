import Foundation

/// NumPy-style printing: aligned columns, `...` summaries past `threshold` elements
/// (`edgeItems` kept at each end of every dimension), and a footer naming dtype and shape.
public struct TensorFormat: Sendable {
    public var precision = 4
    public var threshold = 1000
    public var edgeItems = 3
    public var lineWidth = 100
    public init() {}
}

extension Tensor {
    /// The printed form: the values, then `[float32 tensor, shape [2, 3]]`.
    public func formatted(_ f: TensorFormat = TensorFormat()) -> String {
        let summarise = numel > f.threshold
        let body = dim == 0 ? formatValues([value(at: [])], f).first! : formatBody(f, summarise: summarise)
        return body + "\n[\(dtype.rawValue) tensor, shape \(shapeString(shape))]"
    }

    private func shownIndices(_ n: Int, _ f: TensorFormat, _ summarise: Bool) -> [Int?] {
        if summarise && n > 2 * f.edgeItems {
            return Array(0..<f.edgeItems).map { Optional($0) } + [nil] + Array((n - f.edgeItems)..<n).map { Optional($0) }
        }
        return Array(0..<n).map { Optional($0) }
    }

    private func formatBody(_ f: TensorFormat, summarise: Bool) -> String {
        // Gather the shown values in order to choose one format for all of them.
        var shown: [Double] = []
        func collect(_ prefix: [Int]) {
            if prefix.count == dim { shown.append(value(at: prefix)); return }
            for i in shownIndices(shape[prefix.count], f, summarise) { if let i { collect(prefix + [i]) } }
        }
        if numel > 0 { collect([]) }
        let strs = formatValues(shown, f)
        let width = strs.map(\.count).max() ?? 0
        var next = 0
        func render(_ prefix: [Int], indent: Int) -> String {
            let d = prefix.count
            if shape[d] == 0 { return "[]" }
            if d == dim - 1 {
                var items: [String] = []
                for i in shownIndices(shape[d], f, summarise) {
                    if i == nil { items.append("...") } else {
                        let s = strs[next]; next += 1
                        items.append(String(repeating: " ", count: width - s.count) + s)
                    }
                }
                // Wrap long rows.
                var lines: [String] = [], line = "["
                for (k, it) in items.enumerated() {
                    let piece = (k == 0 ? "" : " ") + it
                    if line.count + piece.count > f.lineWidth - 1 && k > 0 {
                        lines.append(line)
                        line = String(repeating: " ", count: indent + 1) + it
                    } else { line += piece }
                }
                lines.append(line + "]")
                return lines.joined(separator: "\n")
            }
            var parts: [String] = []
            for i in shownIndices(shape[d], f, summarise) {
                if let i { parts.append(render(prefix + [i], indent: indent + 1)) }
                else { parts.append(String(repeating: " ", count: indent + 1) + "...") }
            }
            let sep = "\n" + String(repeating: "\n", count: Swift.max(0, dim - d - 2))
            return "[" + parts.enumerated().map { k, p in
                k == 0 ? p : (p.hasPrefix(" ") ? p : String(repeating: " ", count: indent + 1) + p)
            }.joined(separator: sep) + "]"
        }
        return render([], indent: 0)
    }

    private func formatValues(_ v: [Double], _ f: TensorFormat) -> [String] {
        if dtype == .int64 { return v.map { String(Int64($0)) } }
        let finite = v.filter { $0.isFinite }
        let absMax = finite.map { Swift.abs($0) }.max() ?? 0
        let absMin = finite.filter { $0 != 0 }.map { Swift.abs($0) }.min() ?? 0
        let allIntegral = finite.allSatisfy { $0 == $0.rounded() } && absMax < 1e8
        let scientific = !allIntegral && (absMax >= 1e8 || (absMin > 0 && absMin < 1e-4) || (absMin > 0 && absMax / absMin > 1e3 && absMin < 1e-3))
        return v.map { x -> String in
            if x.isNaN { return "nan" }
            if x.isInfinite { return x > 0 ? "inf" : "-inf" }
            if allIntegral { return String(Int64(x)) + "." }
            if scientific { return String(format: "%.\(f.precision)e", x) }
            var s = String(format: "%.\(f.precision)f", x)
            while s.hasSuffix("0") { s.removeLast() }
            return s
        }
    }
}
