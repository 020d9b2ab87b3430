/// Boolean-mask indexing, `x[mask]` and `x[mask] = v` in Lua: a mask is a tensor of
/// exactly this tensor's shape holding only 0 and 1 (what comparisons such as `gt`
/// return, float32 or int64). Selected elements are taken in row-major order.
/// (`maskedSelect` is the broadcasting, non-zero-means-true form.)
extension Tensor {
    /// Storage offsets of the elements where `mask` is 1, in row-major order.
    func maskedOffsets(_ mask: Tensor, _ op: String) throws -> [Int] {
        guard mask.shape == shape else {
            throw TensorError("\(op): mask shape \(shapeString(mask.shape)) does not match the tensor's shape \(shapeString(shape))")
        }
        var out: [Int] = []
        let m = try mask.toFloat().contiguous()
        try m.withFloats { p in
            try Tensor.forEachPosition(shape) { k, pos in
                let v = p[k]
                if v == 1 { out.append(storageOffset(pos)) } else if v != 0 {
                    throw TensorError("\(op): a mask holds only 0 and 1 (as x:gt(0) returns), got \(v) at element \(k + 1)")
                }
            }
        }
        return out
    }

    /// The elements where `mask` is 1, as a 1-d tensor of this dtype.
    public func maskedValues(_ mask: Tensor) throws -> Tensor {
        let at = try maskedOffsets(mask, "mask indexing")
        let out = try Tensor.allocate([at.count], dtype: dtype, zeroed: false, "mask indexing")
        let es = dtype.size, from = UnsafeRawPointer(storage.raw)
        out.withBytes { to in
            for (k, o) in at.enumerated() { (to + k * es).copyMemory(from: from + o * es, byteCount: es) }
        }
        return out
    }

    /// Writes `values` into the elements where `mask` is 1, in place: a tensor with one
    /// element per selected element (any shape; taken in row-major order) or a single
    /// value written to all of them. Converted to this dtype (an int64 value writes an
    /// int64 tensor exactly).
    public func maskedAssign(_ mask: Tensor, _ values: Tensor) throws {
        let op = "mask assignment"
        let at = try maskedOffsets(mask, op)
        guard values.numel == at.count || values.numel == 1 else {
            throw TensorError("\(op): the mask selects \(at.count) elements but \(values.numel) values were given (shape \(shapeString(values.shape)))")
        }
        var v = try values.converted(to: dtype).contiguous()
        if v.storage === storage { v = try v.clone() }   // x[mask] = a view of x: read before writing
        let es = dtype.size, step = values.numel == 1 ? 0 : 1, to = storage.raw
        v.withBytes { from in
            for (k, o) in at.enumerated() { (to + o * es).copyMemory(from: from + k * step * es, byteCount: es) }
        }
    }
}
