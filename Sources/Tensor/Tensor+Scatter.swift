/// Writing by index tensors: `indexFill` and `scatter`, torch's out-of-place forms
/// (the input is copied, then written). Indices are counted from `base` as in
/// Tensor+Indexing.swift; results are contiguous and keep the input's dtype.
extension Tensor {
    /// A copy with the entries `idx` (a 0-d or 1-d index tensor; repeats allowed) of
    /// dimension `d` set to `value` (a one-element tensor: an int64 one writes int64
    /// tensors exactly).
    public func indexFill(_ d: Int, _ idx: Tensor, _ value: Tensor, base: Int = 0) throws -> Tensor {
        let op = "index_fill"
        guard idx.dim <= 1 else {
            throw TensorError("\(op): index must be 0-d or 1-d, got shape \(shapeString(idx.shape))")
        }
        guard value.numel == 1 else {
            throw TensorError("\(op): expected one value, got a tensor of shape \(shapeString(value.shape))")
        }
        let dd = try checkDim(d, op)
        let ix = try Tensor.indexValues(idx, size: dim == 0 ? 1 : shape[dd], base: base, op)
        let out = try clone(), v = try value.reshape([])
        for i in ix { try (dim == 0 ? out : out.select(dd, i)).copy(from: v) }
        return out
    }

    /// torch.scatter: a copy with `out[idx[i][j][k]][j][k] = src[i][j][k]` for d = 0 (and
    /// so on for other dims). The index has this tensor's rank, no size larger than this
    /// tensor's outside `d` and none larger than `src`'s; a 0-d `src` is one value
    /// written at every index. Where indices repeat, the last write (row-major) wins.
    public func scatter(_ d: Int, _ idx: Tensor, _ src: Tensor, base: Int = 0) throws -> Tensor {
        let op = "scatter"
        let dd = try checkDim(d, op)
        try checkIndexShape(idx, dd, op)
        if src.dim > 0 {
            guard src.dim == idx.dim else {
                throw TensorError("\(op): source has \(src.dim) dimensions, expected \(idx.dim) like the index (shape \(shapeString(src.shape)))")
            }
            for k in 0..<idx.dim where idx.shape[k] > src.shape[k] {
                throw TensorError("\(op): index shape \(shapeString(idx.shape)) exceeds source shape \(shapeString(src.shape)) in dimension \(k + 1)")
            }
        }
        let ix = try Tensor.indexValues(idx, size: dim == 0 ? 1 : shape[dd], base: base, op)
        let out = try clone()
        if ix.isEmpty { return out }
        let s = try src.converted(to: dtype)
        let es = dtype.size
        withExtendedLifetime(s) {
            let from = UnsafeRawPointer(s.storage.raw), to = out.storage.raw
            Tensor.forEachPosition(idx.shape) { k, pos in
                (to + out.storageOffset(pos, replacing: dd, with: ix[k]) * es)
                    .copyMemory(from: from + s.storageOffset(pos) * es, byteCount: es)
            }
        }
        return out
    }

    /// This tensor in `dtype` (itself when it already is; int64 from float32 truncates).
    public func converted(to dtype: DType) throws -> Tensor {
        if self.dtype == dtype { return self }
        return dtype == .float32 ? try toFloat() : try toInt64()
    }
}

extension Tensor {
    /// Sets the entries `rows` (0-based, in range) of dimension `d` to zero in place: a
    /// contiguous float32 tensor's slices, as pruning masks and optimizer state masking
    /// write them. The caller checks the shape; rows out of range are an error.
    public func zeroSlices(_ d: Int, _ rows: [Int]) throws {
        let dd = try checkDim(d, "zero_slices")
        guard dtype == .float32, isContiguous else {
            throw TensorError("zero_slices: needs a contiguous float32 tensor, got \(dtype) \(shapeString(shape))")
        }
        let n = shape[dd], outer = shape[..<dd].reduce(1, *), inner = shape[(dd + 1)...].reduce(1, *)
        if let bad = rows.first(where: { $0 < 0 || $0 >= n }) {
            throw TensorError("zero_slices: index \(bad) is out of range for dimension \(dd + 1) of size \(n)")
        }
        withFloats { v in
            for o in 0..<outer {
                for r in rows { (v + (o * n + r) * inner).update(repeating: 0, count: inner) }
            }
        }
    }
}
