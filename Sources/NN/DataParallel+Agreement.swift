import Tensor

/// The checks that keep the ranks of a data-parallel job in step: every rank must hold the
/// same model and run the same steps, or a broadcast or reduction would pair tensors of
/// different shapes (MPI_ERR_TRUNCATE on one rank) or wait for a rank that never comes.
/// Each check is one collective and ends in the same error on every rank.
extension DataParallel {
    /// Checks that every rank holds the same model: the parameter count and the number of
    /// parameter tensors, then every state-dict tensor's name, shape, dtype and (for
    /// parameters) whether it is trained, in order — compared through one fingerprint per
    /// rank, then tensor by tensor when the fingerprints differ. The error names every
    /// rank's value (for the list of tensors: the first tensor that differs).
    public func checkAgreement(_ op: String) throws {
        let named = model.namedParameters()
        let entries = Self.stateSignature(model)
        let prints = entries.map { Self.fingerprint(Array($0.utf8)) }
        let mine: [Int64] = [Int64(named.reduce(0) { $0 + $1.parameter.value.numel }), Int64(named.count),
                             Int64(entries.count), Self.fingerprint(prints)]
        let all = try collective.allgather(mine)
        func column(_ i: Int) -> [Int64] { stride(from: i, to: all.count, by: mine.count).map { all[$0] } }
        let counts = column(0), tensors = column(1), states = column(2), whole = column(3)
        let rule = " (every rank must build the same model)"
        if Set(counts).count > 1 {
            throw TensorError("\(op): ranks disagree on the model's parameter count: \(Self.ranks(counts))\(rule)")
        }
        if Set(tensors).count > 1 {
            throw TensorError("\(op): ranks disagree on the model's number of parameter tensors: \(Self.ranks(tensors))\(rule)")
        }
        guard Set(whole).count > 1 || Set(states).count > 1 else { return }
        let m = Int(states.min() ?? 0)
        let each = try collective.allgather(Array(prints.prefix(m)))
        let first = (0..<m).first { i in Set(stride(from: i, to: each.count, by: max(m, 1)).map { each[$0] }).count > 1 }
        if let i = first {
            let described = try collective.allgather(string: entries[i])
            throw TensorError("\(op): ranks disagree on the model's state tensor \(i + 1): \(Self.ranks(described))\(rule)")
        }
        throw TensorError("\(op): ranks disagree on the model's number of state tensors (parameters and buffers): "
                          + Self.ranks(states) + rule)
    }

    /// Checks that every rank has the same value for each of `values` (one collective for
    /// all); the error names the first that differs and every rank's value of it, then `hint`.
    public func checkSame(_ values: [(what: String, value: Int)], _ op: String, hint: String = "") throws {
        let all = try collective.allgather(values.map { Int64($0.value) })
        for (i, v) in values.enumerated() {
            let column = stride(from: i, to: all.count, by: values.count).map { all[$0] }
            if Set(column).count > 1 {
                throw TensorError("\(op): ranks disagree on \(v.what): \(Self.ranks(column))\(hint)")
            }
        }
    }

    /// One line per state-dict tensor: its key, shape, dtype when not float32, and whether
    /// a parameter is frozen (data-parallel training reduces only trained gradients).
    static func stateSignature(_ model: any Module) -> [String] {
        var frozen = Set<String>()
        for (name, p) in model.namedParameters() where !p.requiresGrad { frozen.insert(name) }
        return model.stateDict().map { key, t in
            "'\(key)' \(shapeString(t.shape))" + (t.dtype == .float32 ? "" : " \(t.dtype)")
                + (frozen.contains(key) ? " (requires_grad = false)" : "")
        }
    }

    /// FNV-1a of `bytes`, the same in every process (Swift's `Hasher` is seeded per process).
    static func fingerprint(_ bytes: [UInt8]) -> Int64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return Int64(bitPattern: h)
    }

    /// FNV-1a of the values' bytes.
    static func fingerprint(_ values: [Int64]) -> Int64 {
        fingerprint(values.flatMap { v in (0..<8).map { UInt8(truncatingIfNeeded: UInt64(bitPattern: v) >> (8 * $0)) } })
    }

    /// "rank 1 has a, rank 2 has b" (ranks 1-based, as the Lua API shows them).
    static func ranks<T>(_ values: [T]) -> String {
        values.enumerated().map { "rank \($0.offset + 1) has \($0.element)" }.joined(separator: ", ")
    }
}
