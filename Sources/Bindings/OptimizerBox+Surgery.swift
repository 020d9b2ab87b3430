import NN
import Tensor

extension OptimizerBox {
    /// Runs pruning surgery on `model` (`body` gets the optimizer to hand it) so that a net
    /// whose tensors were stepped from Lua (`opt:step(params, grads)`) keeps its state:
    /// each stepped tensor's momentum / moments are sliced with the parameter that holds
    /// it, and go on with the new tensor surgery puts there. State of parameters stepped
    /// by `train.fit` is sliced as before.
    func surgery<R>(on model: any Module, _ body: (any Optimizer) throws -> R) throws -> R {
        var stepped: [ObjectIdentifier: (old: ObjectIdentifier, standIn: Parameter)] = [:]
        let params = model.namedParameters().map(\.parameter)
        for p in params {
            let key = ObjectIdentifier(p.value)
            if let e = tensorParams[key], e.tensor.value === p.value { stepped[ObjectIdentifier(p)] = (key, e.parameter) }
        }
        guard !stepped.isEmpty else { return try body(optimizer) }
        let result = try body(SteppedFromLua(optimizer, standIns: stepped.mapValues(\.standIn)))
        for p in params {
            guard let s = stepped[ObjectIdentifier(p)] else { continue }
            tensorParams[s.old] = nil
            tensorParams[ObjectIdentifier(p.value)] = (WeakTensor(value: p.value), s.standIn)
        }
        return result
    }
}

/// The optimizer as surgery (or a mask) sees it while Lua-stepped tensors are in the net:
/// slicing or zeroing a parameter's state also does it to the state of the stand-in
/// parameter its tensor was stepped under.
private final class SteppedFromLua: Optimizer {
    let base: any Optimizer
    let standIns: [ObjectIdentifier: Parameter]

    init(_ base: any Optimizer, standIns: [ObjectIdentifier: Parameter]) {
        self.base = base
        self.standIns = standIns
    }

    var lr: Double {
        get { base.lr }
        set { base.lr = newValue }
    }
    var description: String { base.description }
    func step(_ params: [Parameter]) throws { try base.step(params) }
    func state(_ params: [Parameter]) throws -> [(String, Tensor)] { try base.state(params) }
    func loadState(_ state: [String: Tensor], _ params: [Parameter]) throws { try base.loadState(state, params) }

    func sliceState(_ p: Parameter, dim: Int, index: Tensor) throws {
        try base.sliceState(p, dim: dim, index: index)
        if let s = standIns[ObjectIdentifier(p)] { try base.sliceState(s, dim: dim, index: index) }
    }

    func zeroState(_ p: Parameter, dim: Int, rows: [Int]) throws {
        try base.zeroState(p, dim: dim, rows: rows)
        if let s = standIns[ObjectIdentifier(p)] { try base.zeroState(s, dim: dim, rows: rows) }
    }
}
