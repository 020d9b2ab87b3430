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

    /// name, value, grad (nil before a backward and after zero_grad), requires_grad.
    static let parameterFields = LuaFields<NamedParameter>(names: { _ in ["name", "value", "grad", "requires_grad"] },
                                                           title: { "parameter \($0.name)" }) { L, p, key in
        switch key {
        case "name": L.push(p.name)
        case "value": L.push(p.parameter.value)
        case "grad": if let g = p.parameter.grad { L.push(g) } else { L.pushNil() }
        case "requires_grad": L.push(p.parameter.requiresGrad)
        default: return false
        }
        return true
    }

    static let parameterMetamethods: [LuaFunction] = [
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
