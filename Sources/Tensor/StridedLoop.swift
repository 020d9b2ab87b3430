/// An element-wise loop over up to three operands with arbitrary strides (zero strides
/// for broadcast dimensions). Adjacent dimensions that are contiguous for every operand
/// are merged, so a contiguous tensor is one row whatever its rank. Rows are split across
/// threads (or a single long row into chunks) in a fixed way.
@usableFromInline
struct StridedLoop {
    @usableFromInline var shape: [Int]
    @usableFromInline var strides: [[Int]]
    @usableFromInline var offsets: [Int]

    /// `operands`: (strides, offset) of each operand, all of `shape` (already broadcast).
    @usableFromInline
    init(shape: [Int], operands: [([Int], Int)]) {
        offsets = operands.map { $0.1 }
        var dims: [Int] = []
        var st: [[Int]] = Array(repeating: [], count: operands.count)
        for d in stride(from: shape.count - 1, through: 0, by: -1) where shape[d] != 1 {
            if let inner = dims.first,
               operands.indices.allSatisfy({ operands[$0].0[d] == st[$0][0] * inner }) {
                dims[0] *= shape[d]
                continue
            }
            dims.insert(shape[d], at: 0)
            for k in operands.indices { st[k].insert(operands[k].0[d], at: 0) }
        }
        if dims.isEmpty {
            dims = [shape.contains(0) ? 0 : 1]
            for k in operands.indices { st[k] = [1] }
        }
        if shape.contains(0) { dims = [0]; for k in operands.indices { st[k] = [1] } }
        self.shape = dims
        self.strides = st
    }

    @inlinable var inner: Int { shape[shape.count - 1] }
    @inlinable var rows: Int { shape.dropLast().reduce(1, *) }
    @inlinable func innerStride(_ k: Int) -> Int { strides[k][strides[k].count - 1] }

    /// Base offset of operand k at row r.
    @inlinable
    func base(_ k: Int, row r: Int) -> Int {
        var o = offsets[k], rem = r
        var d = shape.count - 2
        while d >= 0 {
            let s = shape[d]
            o += (rem % s) * strides[k][d]
            rem /= s
            d -= 1
        }
        return o
    }

    /// Calls `body(o0, o1, o2, n)` once per row chunk with each operand's base offset and
    /// the chunk length; operands beyond the loop's count get 0. Runs in parallel when
    /// the loop has at least `minParallel` elements.
    @inlinable
    func run(minParallel: Int = 32768, _ body: (Int, Int, Int, Int) -> Void) {
        let n = inner, r = rows
        let total = n * r
        if total == 0 { return }
        let k = offsets.count
        let threads = total >= minParallel ? Parallel.threads : 1
        let s0 = innerStride(0), s1 = k > 1 ? innerStride(1) : 0, s2 = k > 2 ? innerStride(2) : 0
        if r >= threads {
            Parallel.ranges(r, grain: max(1, r / threads)) { lo, hi in
                for row in lo..<hi {
                    body(base(0, row: row), k > 1 ? base(1, row: row) : 0, k > 2 ? base(2, row: row) : 0, n)
                }
            }
        } else {
            // Few long rows: split each row into `threads` chunks.
            let chunks = threads
            Parallel.forEach(r * chunks) { item in
                let row = item / chunks, c = item % chunks
                let lo = n * c / chunks, hi = n * (c + 1) / chunks
                guard hi > lo else { return }
                body(base(0, row: row) + lo * s0,
                     k > 1 ? base(1, row: row) + lo * s1 : 0,
                     k > 2 ? base(2, row: row) + lo * s2 : 0, hi - lo)
            }
        }
    }
}

/// Copies `src` into `dst` element by element (same shape; any strides; same dtype or
/// float32 <- int64 conversion).
public func copyStrided(from src: Tensor, to dst: Tensor) {
    let loop = StridedLoop(shape: dst.shape, operands: [(src.strides, src.offset), (dst.strides, dst.offset)])
    let si = loop.innerStride(0), di = loop.innerStride(1)
    switch (src.dtype, dst.dtype) {
    case (.float32, .float32):
        let p = src.storage.floats, q = dst.storage.floats
        loop.run { a, b, _, n in
            if si == 1 && di == 1 { (q + b).update(from: p + a, count: n) }
            else { for i in 0..<n { q[b + i * di] = p[a + i * si] } }
        }
    case (.int64, .int64):
        let p = src.storage.int64s, q = dst.storage.int64s
        loop.run { a, b, _, n in for i in 0..<n { q[b + i * di] = p[a + i * si] } }
    case (.int64, .float32):
        let p = src.storage.int64s, q = dst.storage.floats
        loop.run { a, b, _, n in for i in 0..<n { q[b + i * di] = Float(p[a + i * si]) } }
    case (.float32, .int64):
        let p = src.storage.floats, q = dst.storage.int64s
        loop.run { a, b, _, n in for i in 0..<n { q[b + i * di] = Int64(exactly: p[a + i * si].rounded(.towardZero)) ?? 0 } }
    }
}
