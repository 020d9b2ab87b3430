/// Sorting along a dimension: `sort`, `argsort` and `topk`, returning values and 0-based int64
/// positions. The order is stable (equal values keep their original order) and NaN
/// counts as larger than every number, as in torch: last when ascending, first when
/// descending or taking the largest.
extension Tensor {
    /// Sorts along `d`: (values, positions), both of this tensor's shape.
    public func sort(_ d: Int = -1, descending: Bool = false) throws -> (Tensor, Tensor) {
        let dd = try checkDim(d, "sort")
        return try sortedLines(dd, k: dim == 0 ? 1 : shape[dd], descending: descending)
    }

    /// The positions that sort along `d` (stably; NaN as largest): `sort(d).1`, int64
    /// of this tensor's shape.
    public func argsort(_ d: Int = -1, descending: Bool = false) throws -> Tensor {
        let dd = try checkDim(d, "argsort")
        return try sortedLines(dd, k: dim == 0 ? 1 : shape[dd], descending: descending).1
    }

    /// The `k` largest (or smallest) entries along `d`, in order: (values, positions),
    /// of this tensor's shape with dimension `d` of size k.
    public func topk(_ k: Int, _ d: Int = -1, largest: Bool = true) throws -> (Tensor, Tensor) {
        let dd = try checkDim(d, "topk")
        let m = dim == 0 ? 1 : shape[dd]
        guard k >= 0 && k <= m else {
            throw TensorError("topk: k = \(k) out of range for a dimension of size \(m) (shape \(shapeString(shape)))")
        }
        return try sortedLines(dd, k: k, descending: largest)
    }

    /// Sorts every line along `d` and keeps the first `k` of each.
    func sortedLines(_ d: Int, k: Int, descending: Bool) throws -> (Tensor, Tensor) {
        if dim == 0 {
            let v = try clone(), i = try Tensor(zeros: [], dtype: .int64)
            return k == 0 ? (try Tensor.zeros([0], dtype: dtype), try Tensor.zeros([0], dtype: .int64)) : (v, i)
        }
        var s = shape
        s[d] = k
        let vals = try Tensor(uninitialized: s, dtype: dtype), idx = try Tensor(uninitialized: s, dtype: .int64)
        let m = shape[d], lines = k == 0 ? 0 : numel / Swift.max(m, 1)
        if lines == 0 { return (vals, idx) }
        // Lines of the input (any strides) and of the contiguous outputs.
        var inner = Array(0..<dim)
        inner.remove(at: d)
        let ist = strides[d], ost = vals.strides[d]
        let ishape = inner.map { shape[$0] }
        let inStr = inner.map { strides[$0] }, outStr = inner.map { vals.strides[$0] }
        let ip = idx.storage.int64s
        if dtype == .float32 {
            Tensor.sortLines(storage.floats + offset, vals.storage.floats, ip, lines: lines, m: m, k: k, ist: ist, ost: ost,
                             ishape: ishape, inStr: inStr, outStr: outStr, descending: descending) { $0.isNaN }
        } else {
            Tensor.sortLines(storage.int64s + offset, vals.storage.int64s, ip, lines: lines, m: m, k: k, ist: ist, ost: ost,
                             ishape: ishape, inStr: inStr, outStr: outStr, descending: descending) { _ in false }
        }
        return (vals, idx)
    }

    static func sortLines<T: Comparable>(_ src: UnsafeMutablePointer<T>, _ dst: UnsafeMutablePointer<T>,
                                         _ ip: UnsafeMutablePointer<Int64>, lines: Int, m: Int, k: Int,
                                         ist: Int, ost: Int, ishape: [Int], inStr: [Int], outStr: [Int],
                                         descending: Bool, isNaN: @escaping (T) -> Bool) {
        Parallel.ranges(lines, grain: Swift.max(1, 4096 / Swift.max(m, 1))) { lo, hi in
            var order = [Int](repeating: 0, count: m)
            var keys = [T](repeating: src[0], count: m)
            for line in lo..<hi {
                var io = 0, oo = 0, rem = line
                for a in stride(from: ishape.count - 1, through: 0, by: -1) {
                    let c = rem % ishape[a]
                    rem /= ishape[a]
                    io += c * inStr[a]
                    oo += c * outStr[a]
                }
                for j in 0..<m { order[j] = j; keys[j] = src[io + j * ist] }
                stableSort(&order, keys, descending: descending, isNaN: isNaN)
                for j in 0..<k {
                    dst[oo + j * ost] = keys[order[j]]
                    ip[oo + j * ost] = Int64(order[j])
                }
            }
        }
    }

    /// Sorts positions by their keys; ties keep position order; NaN is the largest.
    static func stableSort<T: Comparable>(_ order: inout [Int], _ keys: [T], descending: Bool,
                                          isNaN: (T) -> Bool) {
        keys.withUnsafeBufferPointer { kp in
            order.sort { a, b in
                let x = kp[a], y = kp[b]
                let xn = isNaN(x), yn = isNaN(y)
                if xn || yn {
                    if xn && yn { return a < b }
                    return descending ? xn : yn
                }
                if x != y { return descending ? x > y : x < y }
                return a < b
            }
        }
    }
}
