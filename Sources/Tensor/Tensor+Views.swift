/// Views: new shapes and strides over the same storage. Dimensions are 0-based here;
/// every argument is checked and a bad one throws a `TensorError` naming the op.
extension Tensor {
    /// Checks a 0-based dim against the rank (negative counts from the end).
    public func checkDim(_ d: Int, _ op: String, rank: Int? = nil) throws -> Int {
        let r = rank ?? dim
        let dd = d < 0 ? d + r : d
        guard dd >= 0 && dd < max(r, 1) else {
            throw TensorError("\(op): dimension \(d + 1) out of range for a \(r)-d tensor (shape \(shapeString(shape)))")
        }
        return dd
    }

    /// Resolves a shape with at most one -1 against `numel`.
    public func inferShape(_ s: [Int], _ op: String) throws -> [Int] {
        var out = s
        let unknown = s.indices.filter { s[$0] == -1 }
        guard unknown.count <= 1, s.allSatisfy({ $0 >= -1 }) else {
            throw TensorError("\(op): invalid shape \(shapeString(s)) (at most one -1, no other negatives)")
        }
        try Tensor.checkShape(s.map { $0 == -1 ? 1 : $0 }, op)
        let known = s.filter { $0 != -1 }.reduce(1, *)
        if let u = unknown.first {
            guard known > 0, numel % known == 0 else {
                throw TensorError("\(op): shape \(shapeString(s)) is invalid for input of size \(numel)")
            }
            out[u] = numel / known
        }
        guard out.reduce(1, *) == numel else {
            throw TensorError("\(op): shape \(shapeString(s)) is invalid for input of size \(numel)")
        }
        return out
    }

    /// A view with a new shape (one dim may be -1). Requires a layout that allows it;
    /// `reshape` copies when needed.
    public func view(_ s: [Int]) throws -> Tensor {
        let ns = try inferShape(s, "view")
        guard isContiguous else {
            throw TensorError("view: tensor is not contiguous (shape \(shapeString(shape))); use reshape or contiguous()")
        }
        return Tensor(storage: storage, shape: ns, strides: Tensor.contiguousStrides(ns), offset: offset)
    }

    /// Like `view`, copying first when the tensor is not contiguous.
    public func reshape(_ s: [Int]) throws -> Tensor {
        let ns = try inferShape(s, "reshape")
        let c = try contiguous()
        return Tensor(storage: c.storage, shape: ns, strides: Tensor.contiguousStrides(ns), offset: c.offset)
    }

    /// Reorders the dimensions: `perm` is a permutation of 0..<dim.
    public func permute(_ perm: [Int]) throws -> Tensor {
        guard perm.count == dim, Set(perm) == Set(0..<dim) else {
            throw TensorError("permute: \(shapeString(perm.map { $0 + 1 })) is not a permutation of the \(dim) dimensions")
        }
        return Tensor(storage: storage, shape: perm.map { shape[$0] }, strides: perm.map { strides[$0] }, offset: offset)
    }

    /// Swaps two dimensions.
    public func transpose(_ a: Int, _ b: Int) throws -> Tensor {
        let a = try checkDim(a, "transpose"), b = try checkDim(b, "transpose")
        if dim == 0 { return self }
        var p = Array(0..<dim)
        p.swapAt(a, b)
        return try permute(p)
    }

    /// `length` entries of dimension `d` starting at `start` (0-based).
    public func narrow(_ d: Int, _ start: Int, _ length: Int) throws -> Tensor {
        guard dim > 0 else { throw TensorError("narrow: cannot narrow a 0-d tensor") }
        let d = try checkDim(d, "narrow")
        guard start >= 0, length >= 0, length <= shape[d] - start else {
            throw TensorError("narrow: range [\(start &+ 1), \(start &+ length)] out of bounds for dimension \(d + 1) of size \(shape[d])")
        }
        var s = shape
        s[d] = length
        return Tensor(storage: storage, shape: s, strides: strides, offset: offset + start * strides[d])
    }

    /// Removes dimension `d`, taking entry `index` (0-based).
    public func select(_ d: Int, _ index: Int) throws -> Tensor {
        guard dim > 0 else { throw TensorError("select: cannot select from a 0-d tensor") }
        let d = try checkDim(d, "select")
        let i = index < 0 ? index + shape[d] : index
        guard i >= 0 && i < shape[d] else {
            throw TensorError("select: index \(index + 1) out of range for dimension \(d + 1) of size \(shape[d])")
        }
        var s = shape, st = strides
        s.remove(at: d)
        st.remove(at: d)
        return Tensor(storage: storage, shape: s, strides: st, offset: offset + i * strides[d])
    }

    /// Removes all size-1 dimensions, or only `d` if given (and of size 1).
    public func squeeze(_ d: Int? = nil) throws -> Tensor {
        if let d {
            let d = try checkDim(d, "squeeze")
            if dim == 0 { return self }
            guard shape[d] == 1 else { return self }
            var s = shape, st = strides
            s.remove(at: d)
            st.remove(at: d)
            return Tensor(storage: storage, shape: s, strides: st, offset: offset)
        }
        let keep = shape.indices.filter { shape[$0] != 1 }
        return Tensor(storage: storage, shape: keep.map { shape[$0] }, strides: keep.map { strides[$0] }, offset: offset)
    }

    /// Inserts a size-1 dimension at `d` (0 ... dim).
    public func unsqueeze(_ d: Int) throws -> Tensor {
        let d = try checkDim(d, "unsqueeze", rank: dim + 1)
        guard dim < Tensor.maxDims else { throw TensorError("unsqueeze: too many dimensions (\(dim + 1); at most \(Tensor.maxDims))") }
        var s = shape, st = strides
        s.insert(1, at: d)
        st.insert(d < dim ? strides[d] * shape[d] : 1, at: d)
        return Tensor(storage: storage, shape: s, strides: st, offset: offset)
    }

    /// Broadcasts size-1 dimensions to `s` without copying (stride 0). -1 keeps a size.
    public func expand(_ s: [Int]) throws -> Tensor {
        guard s.count >= dim else {
            throw TensorError("expand: target \(shapeString(s)) has fewer dimensions than \(shapeString(shape))")
        }
        let lead = s.count - dim
        var ns = s, nst = [Int](repeating: 0, count: s.count)
        for i in 0..<s.count {
            if i < lead {
                guard s[i] >= 0 else { throw TensorError("expand: -1 not allowed for a new leading dimension") }
                continue
            }
            let j = i - lead
            if s[i] == -1 || s[i] == shape[j] { ns[i] = shape[j]; nst[i] = strides[j] }
            else if shape[j] == 1 && s[i] >= 0 { nst[i] = 0 }
            else {
                throw TensorError("expand: size \(shape[j]) of dimension \(j + 1) cannot expand to \(s[i]) (shape \(shapeString(shape)) to \(shapeString(s)))")
            }
        }
        try Tensor.checkShape(ns, "expand")
        return Tensor(storage: storage, shape: ns, strides: nst, offset: offset)
    }

    /// Flattens dimensions `from ... to` (inclusive, 0-based) into one.
    public func flatten(_ from: Int = 0, _ to: Int = -1) throws -> Tensor {
        if dim == 0 { return try reshape([1]) }
        let a = try checkDim(from, "flatten"), b = try checkDim(to, "flatten")
        guard a <= b else { throw TensorError("flatten: start dimension \(a + 1) after end dimension \(b + 1)") }
        let s = Array(shape[..<a]) + [shape[a...b].reduce(1, *)] + Array(shape[(b + 1)...])
        return try reshape(s)
    }
}

/// The NumPy broadcast of two shapes, or an error naming the op.
public func broadcastShapes(_ a: [Int], _ b: [Int], _ op: String) throws -> [Int] {
    let n = max(a.count, b.count)
    var out = [Int](repeating: 1, count: n)
    for i in 0..<n {
        let x = i < n - a.count ? 1 : a[i - (n - a.count)]
        let y = i < n - b.count ? 1 : b[i - (n - b.count)]
        guard x == y || x == 1 || y == 1 else {
            throw TensorError("\(op): shapes \(shapeString(a)) and \(shapeString(b)) cannot broadcast")
        }
        out[i] = x == 1 ? y : x
    }
    try Tensor.checkShape(out, op)
    return out
}
