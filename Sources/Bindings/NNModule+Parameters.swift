import CLua
import LuaHost
import NN
import Tensor

/// The entries of `net:parameters()`: each a live view of one parameter (type name
/// "nn.Parameter"), so a list taken once still shows the gradient of a later backward and the
/// tensor the module holds after surgery replaced it.
///
/// ```lua
/// local ps = net:parameters()                 -- taken once
/// net:backward(net:forward(x))
/// for _, p in ipairs(ps) do p.value:copy(p.value - p.grad * 0.1) end
/// ```
extension NNModule {
    /// A module's parameter under its state-dict name.
    final class NamedParameter {
        let name: String
        let parameter: Parameter
        init(name: String, parameter: Parameter) { self.name = name; self.parameter = parameter }
    }

    static let parameterType = LuaType<NamedParameter>("nn.Parameter")

    /// Freezes (`on` false: its gradient goes too) or thaws a parameter: `p.requires_grad`
    /// and `net:requires_grad`.
    static func setRequiresGrad(_ p: Parameter, _ on: Bool) {
        p.requiresGrad = on
        if !on { p.grad = nil }
    }

    /// name, value, grad (nil before a backward and after zero_grad), requires_grad.
    static let parameterFields = LuaFields<NamedParameter>(names: { _ in ["name", "value", "grad", "requires_grad", "lr_scale", "weight_decay"] },
                                                           title: { "parameter \($0.name)" }) { L, p, key in
        switch key {
        case "name": L.push(p.name)
        case "value": L.push(p.parameter.value)
        case "grad": if let g = p.parameter.grad { L.push(g) } else { L.pushNil() }
        case "requires_grad": L.push(p.parameter.requiresGrad)
        case "lr_scale": L.push(p.parameter.lrScale)
        case "weight_decay": if let w = p.parameter.weightDecay { L.push(w) } else { L.pushNil() }
        default: return false
        }
        return true
    }

    static let parameterMetamethods: [LuaFunction] = [
        LuaFunction("__newindex", doc: """
            p.requires_grad = false | true;  p.lr_scale = k;  p.weight_decay = wd | nil
            requires_grad freezes a parameter (or thaws it): a frozen one gets no gradient in backward,
            and the optimizers and train.fit leave it as it is (weight decay too). lr_scale multiplies the
            optimizer's learning rate for this parameter (default 1) and weight_decay replaces the
            optimizer's (nil: the optimizer's), as PyTorch's param groups do, in train.fit's steps (opt:step
            on plain tensors has no parameter to read them from); both follow the parameter through
            pruning and net:clone(). The other fields are read-only.
            Example:
              for _, p in ipairs(net:parameters()) do
                if p.value:dim() == 1 then p.weight_decay = 0 end   -- no decay on BN scales and biases
                if p.name:find("^fc%.") then p.lr_scale = 10 end    -- a new classifier learns faster
              end
            """) { L in
            let p = try parameterType.check(L, 1)
            let key = try L.checkString(2)
            switch key {
            case "requires_grad":
                guard L.type(3) == LUA_TBOOLEAN else { throw LuaError.argument(3, "requires_grad must be true or false, got \(L.typeName(3))") }
                setRequiresGrad(p.parameter, L.toBool(3))
            case "lr_scale":
                guard let k = L.toNumber(3), L.type(3) == LUA_TNUMBER, k >= 0, k.isFinite else {
                    throw LuaError.argument(3, "lr_scale must be a non-negative number, got \(L.type(3) == LUA_TNUMBER ? "\(L.toNumber(3) ?? .nan)" : L.typeName(3))")
                }
                p.parameter.lrScale = k
            case "weight_decay":
                if L.isNoneOrNil(3) { p.parameter.weightDecay = nil; return 0 }
                guard let w = L.toNumber(3), L.type(3) == LUA_TNUMBER, w >= 0, w.isFinite else {
                    throw LuaError.argument(3, "weight_decay must be a non-negative number (or nil for the optimizer's), got \(L.type(3) == LUA_TNUMBER ? "\(L.toNumber(3) ?? .nan)" : L.typeName(3))")
                }
                p.parameter.weightDecay = w
            default:
                throw LuaError.message("parameter \(p.name): field '\(key)' is read-only (requires_grad, lr_scale and weight_decay can be set; change the values with p.value:copy(t))")
            }
            return 0
        },
        parameterType.tostring { p in
            "nn.Parameter \(p.name) \(shapeString(p.parameter.value.shape))\(p.parameter.grad == nil ? "" : " (with grad)")"
        },
    ]

    /// Pushes the list `net:parameters()` returns.
    static func pushParameters(_ L: Lua, _ m: any Module) {
        let ps = m.namedParameters()
        L.newTable(array: Int32(ps.count))
        for (i, p) in ps.enumerated() {
            parameterType.push(L, NamedParameter(name: p.name, parameter: p.parameter))
            L.setIndex(-2, i + 1)
        }
    }
}
