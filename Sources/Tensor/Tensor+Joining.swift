/// Joining tensors: `cat` along an existing dimension, `stack` along a new one, and the
/// `*_like` constructors. Inputs of any strides; the result is contiguous, int64 only
/// when every input is int64 (otherwise float32).
extension Tensor {
    /// Concatenates along `d` (0-based; negative from the end). All shapes must agree
    /// outside `d`; 1-d empty tensors are skipped, as in torch.
    public static func cat(_ ts: [Tensor], _ d: Int = 0) throws -> Tensor {
        guard let first = ts.first(where: { !($0.dim == 1 && $0.numel == 0) }) ?? ts.first else {
            throw TensorError("cat: expected a non-empty list of tensors")
        }
        guard first.dim > 0 else { throw TensorError("cat: zero-dimensional tensor cannot be concatenated") }
        let dd = try first.checkDim(d, "cat")
        let parts = ts.filter { !($0.dim == 1 && $0.numel == 0) || $0 === first }
        var size = 0
        for (i, t) in parts.enumerated() {
            guard t.dim == first.dim,
                  (0..<t.dim).allSatisfy({ $0 == dd || t.shape[$0] == first.shape[$0] }) else {
                throw TensorError("cat: tensor \(i + 1) has shape \(shapeString(t.shape)), expected \(shapeString(first.shape)) outside dimension \(dd + 1)")
            }
            size += t.shape[dd]
        }
        var s = first.shape
        s[dd] = size
        try checkShape(s, "cat")
        let dtype: DType = parts.allSatisfy({ $0.dtype == .int64 }) ? .int64 : .float32
        let out = try Tensor(uninitialized: s, dtype: dtype)
        var at = 0
        for t in parts {
            let n = t.shape[dd]
            if n > 0 { copyStrided(from: t, to: try out.narrow(dd, at, n)) }
            at += n
        }
        return out
    }

    /// Stacks tensors of one shape along a new dimension `d` (0 ... rank).
    public static func stack(_ ts: [Tensor], _ d: Int = 0) throws -> Tensor {
        guard let first = ts.first else { throw TensorError("stack: expected a non-empty list of tensors") }
        for (i, t) in ts.enumerated() where t.shape != first.shape {
            throw TensorError("stack: tensor \(i + 1) has shape \(shapeString(t.shape)), expected \(shapeString(first.shape))")
        }
        let dd = try first.checkDim(d, "stack", rank: first.dim + 1)
        return try cat(ts.map { try $0.unsqueeze(dd) }, dd)
    }

    /// A new tensor of this shape and dtype filled with `v`.
    public func fullLike(_ v: Float) throws -> Tensor {
        let t = try Tensor(uninitialized: shape, dtype: dtype)
        t.fill(v)
        return t
    }
}
