import CLua
import LuaHost
import NN
import Tensor

/// An optimizer as Lua sees it: the Swift optimizer, the learning rate it was created
/// with (schedules scale from it), and the parameters made for tensors stepped from Lua.
public final class OptimizerBox {
    public let optimizer: Optimizer
    /// The `lr` given at creation.
    public let baseLR: Double
    /// Tensors stepped from Lua, held weakly, and the parameter standing for each between
    /// calls (its value is the tensor only during a step, so a dropped tensor is freed and
    /// its entry and state go with it).
    var tensorParams: [ObjectIdentifier: (tensor: WeakTensor, parameter: Parameter)] = [:]
    private var sweepAt = 8
    /// What a stepped tensor's parameter holds between steps.
    static let vacant: Tensor? = try? Tensor(zeros: [0])

    struct WeakTensor { weak var value: Tensor? }

    init(_ optimizer: Optimizer) {
        self.optimizer = optimizer
        baseLR = optimizer.lr
    }

    /// The parameter standing for `t` (the same one on every call, so state carries over),
    /// its value set to `t` until `vacate`.
    func parameter(for t: Tensor) -> Parameter {
        if let e = tensorParams[ObjectIdentifier(t)], e.tensor.value === t {
            e.parameter.value = t
            return e.parameter
        }
        if tensorParams.count >= sweepAt {
            tensorParams = tensorParams.filter { $0.value.tensor.value != nil }
            sweepAt = max(8, 2 * tensorParams.count)
        }
        let p = Parameter(t)
        tensorParams[ObjectIdentifier(t)] = (WeakTensor(value: t), p)
        return p
    }

    /// Lets go of the tensors of a step's parameters (see `parameter(for:)`).
    func vacate(_ params: [Parameter]) {
        for p in params {
            if let v = Self.vacant { p.value = v }
            p.grad = nil
        }
    }
}

extension TrainModule {
    /// The optimizer at stack slot `i` (for train.fit).
    public static func checkOptimizer(_ L: Lua, _ i: Int32) throws -> OptimizerBox {
        try optimizerType.check(L, i)
    }

    static func adam(_ name: String, decoupled: Bool) -> LuaFunction {
        LuaFunction(name, doc: """
        train.\(name){lr = 1e-3, betas = {0.9, 0.999}, eps = 1e-8, weight_decay = \(decoupled ? "0.01" : "0"), amsgrad = false} -> optimizer
        \(decoupled ? "AdamW (decoupled weight decay: p ← p·(1 − lr·wd))" : "Adam (L2 weight decay added to the gradient)"), with PyTorch's update formulas.
        Example:
          local opt = train.\(name){lr = 3e-4}
        """) { L in
            let o = try LuaOptions(L, 1)
            try o.checkKnown(["lr", "betas", "eps", "weight_decay", "amsgrad"], name)
            var betas = [0.9, 0.999]
            if o.push("betas") != LUA_TNIL {
                betas = try L.checkNumbers(-1, "betas")
                guard betas.count == 2 else { L.pop(); throw LuaError.argument(1, "field 'betas': expected {beta1, beta2}") }
            }
            L.pop()
            let opt = try Adam(lr: try o.number("lr", 1e-3), beta1: betas[0], beta2: betas[1], eps: try o.number("eps", 1e-8),
                               weightDecay: try o.number("weight_decay"), amsgrad: try o.bool("amsgrad", false),
                               decoupled: decoupled)
            optimizerType.push(L, OptimizerBox(opt))
            return 1
        }
    }

    static let optimizerConstructors: [LuaFunction] = [
        LuaFunction("sgd", doc: """
        train.sgd{lr = 1e-3, momentum = 0, dampening = 0, nesterov = false, weight_decay = 0} -> optimizer
        Stochastic gradient descent with momentum, as torch.optim.SGD.
        Example:
          local opt = train.sgd{lr = 0.1, momentum = 0.9, weight_decay = 5e-4, nesterov = true}
        """) { L in
            let o = try LuaOptions(L, 1)
            try o.checkKnown(["lr", "momentum", "dampening", "nesterov", "weight_decay"], "sgd")
            let opt = try SGD(lr: try o.number("lr", 1e-3), momentum: try o.number("momentum", 0),
                              dampening: try o.number("dampening", 0), weightDecay: try o.number("weight_decay", 0),
                              nesterov: try o.bool("nesterov", false))
            optimizerType.push(L, OptimizerBox(opt))
            return 1
        },
        adam("adam", decoupled: false),
        adam("adamw", decoupled: true),
    ]

    /// A list of tensors at slot `i`.
    static func tensorList(_ L: Lua, _ i: Int32, _ what: String) throws -> [Tensor] {
        try L.checkTensorList(i) { k, type in "\(what) \(k) must be a tensor, got \(type)" }
    }

    static let optimizerMethods: [LuaFunction] = [
        LuaFunction("step", doc: """
        opt:step({params}, {grads})
        Updates each parameter tensor in place from its gradient (same shapes). State (momentum,
        moments) follows each tensor from one call to the next.
        Example:
          local w = tensor.randn(10); opt:step({w}, {w * 2})
        """) { L in
            let box = try checkOptimizer(L, 1)
            let ps = try tensorList(L, 2, "parameter"), gs = try tensorList(L, 3, "gradient")
            guard ps.count == gs.count else {
                throw LuaError.argument(3, "\(ps.count) parameters but \(gs.count) gradients")
            }
            for (k, (p, g)) in zip(ps, gs).enumerated() {
                guard p.dtype == .float32 else { throw LuaError.argument(2, "parameter \(k + 1) must be float32") }
                guard p.shape == g.shape else {
                    throw LuaError.argument(3, "gradient \(k + 1) has shape \(shapeString(g.shape)), its parameter \(shapeString(p.shape))")
                }
            }
            let params = ps.map { box.parameter(for: $0) }
            for (p, g) in zip(params, gs) { p.grad = g }
            defer { box.vacate(params) }
            try box.optimizer.step(params)
            return 0
        },
        LuaFunction("lr", doc: """
        opt:lr([value]) -> lr
        The learning rate of the next step; with a value, sets it first.
        Example:
          opt:lr(opt:lr() * 0.1)
        """) { L in
            let box = try checkOptimizer(L, 1)
            if !L.isNoneOrNil(2) {
                let v = try L.checkNumber(2)
                guard v >= 0, v.isFinite else { throw LuaError.argument(2, "learning rate must be a non-negative number") }
                box.optimizer.lr = v
            }
            L.push(box.optimizer.lr)
            return 1
        },
        LuaFunction("base_lr", doc: """
        opt:base_lr() -> lr
        The learning rate the optimizer was created with (schedules scale from it).
        Example:
          opt:lr(sched:lr(opt:base_lr(), epoch))
        """) { L in L.push(try checkOptimizer(L, 1).baseLR); return 1 },
    ]
}
