/// Diagonals: a strided view of one (`diagonal`), torch's `diag` (a vector into a square
/// matrix, or a matrix's diagonal out as a vector) and `fillDiagonal` (in place).
/// `offset` > 0 is above the main diagonal, < 0 below, as in torch.
extension Tensor {
    /// The diagonal `offset` of a 2-d tensor as a 1-d view sharing storage (stride
    /// rows + columns); empty when the offset lies outside the matrix.
    public func diagonal(offset k: Int = 0, _ op: String = "diagonal") throws -> Tensor {
        guard dim == 2 else {
            throw TensorError("\(op): expected a 2-d tensor, got shape \(shapeString(shape))")
        }
        let rows = shape[0], cols = shape[1]
        let r0 = k < 0 ? Swift.min(-k, rows) : 0, c0 = k > 0 ? Swift.min(k, cols) : 0
        let n = Swift.max(0, Swift.min(rows - r0, cols - c0))
        return Tensor(storage: storage, shape: [n], strides: [strides[0] + strides[1]],
                      offset: n == 0 ? offset : offset + r0 * strides[0] + c0 * strides[1])
    }

    /// torch.diag: a 1-d tensor of n entries becomes the (n + |k|) square matrix with
    /// them on diagonal `k` and zeros elsewhere; a 2-d tensor gives a copy of its
    /// diagonal `k` (1-d). Any other rank is an error. Keeps the dtype.
    public func diag(_ k: Int = 0) throws -> Tensor {
        switch dim {
        case 1:
            guard k.magnitude <= UInt(Tensor.maxElements) else { throw TensorError("diag: offset \(k) is too large") }
            let size = shape[0] + Swift.abs(k)
            let out = try Tensor.allocate([size, size], dtype: dtype, "diag")
            try out.diagonal(offset: k).copy(from: self)
            return out
        case 2:
            return try diagonal(offset: k, "diag").clone()
        default:
            throw TensorError("diag: expected a 1-d or 2-d tensor, got shape \(shapeString(shape))")
        }
    }

    /// The main diagonal of a 2-d tensor (any shape: min(rows, cols) entries) or of a
    /// tensor of ≥ 2 equal dimensions (entries x[i][i]…[i]), as a view.
    func mainDiagonal(_ op: String) throws -> Tensor {
        if dim == 2 { return try diagonal(offset: 0, op) }
        guard dim >= 2, shape.allSatisfy({ $0 == shape[0] }) else {
            throw TensorError("\(op): expected a 2-d tensor or one whose dimensions are all equal, got shape \(shapeString(shape))")
        }
        return Tensor(storage: storage, shape: [shape[0]], strides: [strides.reduce(0, +)], offset: offset)
    }

    /// Sets the main diagonal to `v` in place (torch's fill_diagonal_ without wrap) and
    /// returns this tensor. `v` is a 0-d tensor (an int64 one writes int64 tensors exactly).
    @discardableResult
    public func fillDiagonal(_ v: Tensor) throws -> Tensor {
        let d = try mainDiagonal("fill_diagonal")
        guard v.numel == 1 else {
            throw TensorError("fill_diagonal: expected one value, got a tensor of shape \(shapeString(v.shape))")
        }
        try d.copy(from: v.reshape([]))
        return self
    }
}
