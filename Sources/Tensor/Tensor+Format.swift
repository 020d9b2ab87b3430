import Foundation

/// How tensors print: NumPy's `str(array)` layout (print options `precision`,
/// `threshold`, `edgeitems`, `linewidth`), followed by a footer naming dtype and shape.
public struct TensorFormat: Sendable {
    /// Digits after the decimal point, at most (NumPy's `precision`).
    public var precision = 4
    /// Tensors with more elements are summarised with `...` (NumPy's `threshold`).
    public var threshold = 1000
    /// Items kept at each end of every dimension when summarising (NumPy's `edgeitems`).
    public var edgeItems = 3
    /// Rows are wrapped to this many characters (NumPy's `linewidth`).
    public var lineWidth = 75
    public init() {}
}

extension Tensor {
    /// The printed form: the values laid out as NumPy's `str` does, then a footer
    /// `[float32 tensor, shape [2, 3]]`. A 0-d tensor shows its value alone.
    ///
    ///     [[ 1.5   -2.   ]
    ///      [10.25   0.125]]
    ///     [float32 tensor, shape [2, 2]]
    public func formatted(_ f: TensorFormat = TensorFormat()) -> String {
        formattedValues(f) + "\n" + footer
    }

    /// `[float32 tensor, shape [2, 3]]`.
    public var footer: String { "[\(dtype.rawValue) tensor, shape \(shapeString(shape))]" }

    /// The values only, without the footer.
    public func formattedValues(_ f: TensorFormat = TensorFormat()) -> String {
        if dim == 0 {
            return dtype == .int64 ? String(storage.int64s[offset]) : storage.floats[offset].description
        }
        if numel == 0 { return "[]" }
        let summarise = numel > f.threshold
        // The format is chosen from the shown elements only, as NumPy does.
        let shown = shownOffsets(f, summarise)
        let element: (Int) -> String
        if dtype == .int64 {
            let vals = shown.map { storage.int64s[$0] }
            let width = max(String(vals.min() ?? 0).count, String(vals.max() ?? 0).count)
            element = { o in
                let s = String(self.storage.int64s[o])
                return String(repeating: " ", count: Swift.max(0, width - s.count)) + s
            }
        } else {
            let fmt = FloatFormat(shown.map { storage.floats[$0] }, precision: f.precision)
            element = { o in fmt(self.storage.floats[o]) }
        }
        return layout(f, summarise: summarise, element: element)
    }

    /// Indices shown along a dimension of size n: all, or the edge items at both ends
    /// with nil where `...` goes.
    private func shownIndices(_ n: Int, _ f: TensorFormat, _ summarise: Bool) -> [Int?] {
        if summarise && n > 2 * f.edgeItems {
            return (0..<f.edgeItems).map { Optional($0) } + [nil] + ((n - f.edgeItems)..<n).map { Optional($0) }
        }
        return (0..<n).map { Optional($0) }
    }

    /// Storage offsets of the shown elements.
    private func shownOffsets(_ f: TensorFormat, _ summarise: Bool) -> [Int] {
        var out: [Int] = []
        func walk(_ d: Int, _ o: Int) {
            if d == dim { out.append(o); return }
            for i in shownIndices(shape[d], f, summarise) {
                if let i { walk(d + 1, o + i * strides[d]) }
            }
        }
        walk(0, offset)
        return out
    }

    /// NumPy's `_formatArray` with separator " " and a one-space hanging indent: rows
    /// wrap at the line width, blank lines separate blocks of 3-d and higher tensors.
    private func layout(_ f: TensorFormat, summarise: Bool, element: (Int) -> String) -> String {
        func extend(_ s: inout String, _ line: inout String, _ word: String, _ width: Int, _ indent: String) {
            // Wrapping does not help when the line holds only the indent.
            if line.count + word.count > width && line.count > indent.count {
                while line.hasSuffix(" ") { line.removeLast() }
                s += line + "\n"
                line = indent
            }
            line += word
        }
        func recurse(_ d: Int, _ o: Int, _ indent: String, _ width: Int) -> String {
            if d == dim { return element(o) }
            let nextIndent = indent + " ", nextWidth = width - 1
            let items = shownIndices(shape[d], f, summarise)
            var s = ""
            if d == dim - 1 {
                let elemWidth = width - 1   // room for the closing bracket
                var line = indent
                for (k, i) in items.enumerated() {
                    let word = i.map { recurse(d + 1, o + $0 * strides[d], nextIndent, nextWidth) } ?? "..."
                    extend(&s, &line, word, elemWidth, indent)
                    if k < items.count - 1 { line += " " }
                }
                s += line
            } else {
                let sep = "\n" + String(repeating: "\n", count: dim - d - 2)
                for (k, i) in items.enumerated() {
                    let nested = i.map { recurse(d + 1, o + $0 * strides[d], nextIndent, nextWidth) } ?? "..."
                    s += indent + nested + (k < items.count - 1 ? sep : "")
                }
            }
            return "[" + s.dropFirst(indent.count) + "]"
        }
        return recurse(0, offset, " ", f.lineWidth)
    }
}
