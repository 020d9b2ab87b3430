import Tensor

/// Where a state-dict key lives: a parameter or a buffer of some module.
public enum StateSlot {
    case parameter(Parameter)
    case buffer(any Module, String)

    /// The live tensor.
    public var tensor: Tensor {
        switch self {
        case .parameter(let p): return p.value
        case .buffer(let m, let n): return m.buffers.first { $0.name == n }!.tensor
        }
    }
}

extension Module {
    /// Every state-dict key with its slot.
    public func stateSlots() -> [(key: String, slot: StateSlot)] {
        namedModules().flatMap { m -> [(key: String, slot: StateSlot)] in
            let p = m.name.isEmpty ? "" : m.name + "."
            return m.module.parameters.map { (p + $0.name, StateSlot.parameter($0.parameter)) }
                + m.module.buffers.map { (p + $0.name, StateSlot.buffer(m.module, $0.name)) }
        }
    }

    /// Assigns one entry by its PyTorch key (copying into the live tensor). The shape
    /// must match: the error names the key and both shapes ("assigned [3], model has …").
    public func setStateEntry(_ key: String, _ value: Tensor) throws {
        try load([(key, value)], strict: false, reshape: false, given: "assigned")
    }

    /// Loads entries by key, all-or-nothing: every key and shape is checked before
    /// anything is written, so a failed load leaves the model untouched.
    ///
    /// - strict: keys of the model missing from `entries`, or keys of `entries` the model
    ///   does not have, are errors. Non-strict loads skip both and return them.
    /// - reshape: entries may change a tensor's shape (the tensor is replaced), which
    ///   loads a pruned checkpoint into an unpruned definition: channel counts follow
    ///   the weights. Without it a shape difference is an error.
    @discardableResult
    public func loadStateDict(_ entries: [(key: String, tensor: Tensor)], strict: Bool = true,
                              reshape: Bool = false) throws -> (missing: [String], unexpected: [String]) {
        try load(entries, strict: strict, reshape: reshape, given: "checkpoint has")
    }

    /// `loadStateDict`; `given` says where the entries come from in a shape error
    /// ("checkpoint has [3]", "assigned [3]").
    private func load(_ entries: [(key: String, tensor: Tensor)], strict: Bool, reshape: Bool,
                      given: String) throws -> (missing: [String], unexpected: [String]) {
        let slots = stateSlots()
        var index: [String: Int] = [:]
        for (i, s) in slots.enumerated() { index[s.key] = i }
        var seen = Set<String>(), unexpected: [String] = []
        var plan: [(StateSlot, String, Tensor)] = []
        for (key, t) in entries {
            guard let i = index[key] else { unexpected.append(key); continue }
            guard seen.insert(key).inserted else { throw TensorError("load_state_dict: key '\(key)' appears twice") }
            let slot = slots[i].slot, current = slot.tensor
            if current.shape != t.shape && !(reshape || (current.numel == 1 && t.numel == 1)) {
                throw TensorError("load_state_dict: shape mismatch for '\(key)': \(given) \(shapeString(t.shape)), model has \(shapeString(current.shape))")
            }
            plan.append((slot, key, t))
        }
        let missing = slots.map(\.key).filter { !seen.contains($0) }
        if strict {
            if let k = missing.first {
                throw TensorError("load_state_dict: missing key '\(k)'" + (missing.count > 1 ? " (and \(missing.count - 1) more)" : ""))
            }
            if let k = unexpected.first {
                throw TensorError("load_state_dict: unexpected key '\(k)'" + (unexpected.count > 1 ? " (and \(unexpected.count - 1) more)" : ""))
            }
        }
        for (slot, _, t) in plan { try assign(slot, t) }
        return (missing, unexpected)
    }

    private func assign(_ slot: StateSlot, _ t: Tensor) throws {
        let current = slot.tensor
        if current.shape == t.shape {
            try current.copy(from: t)
        } else if current.numel == 1 && t.numel == 1 {
            try current.copy(from: t.reshape(current.shape))
        } else {
            // reshape mode: a fresh tensor of the slot's dtype
            let fresh = try Tensor(zeros: t.shape, dtype: current.dtype)
            try fresh.copy(from: t)
            switch slot {
            case .parameter(let p): p.value = fresh; p.grad = nil
            case .buffer(let m, let n): _ = m.setBuffer(n, fresh)
            }
        }
    }
}
