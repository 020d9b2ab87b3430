import Tensor

/// A module whose backward can add another gradient to the input gradient it returns
/// while writing it: `backward(g, adding: r)` equals `backward(g) + r` bit for bit, with
/// one pass over the input's size (two reads, one write) fewer. A residual block's body
/// takes its shortcut's gradient this way (`Residual.backward`): a `Conv2d` adds it in its
/// input gradient's output pass, a `Sequential` hands it to its first child.
public protocol InputGradientAdding: Module {
    /// ∂L/∂input + `extra` (of the input's shape); parameter gradients as `backward`.
    func backward(_ gradOutput: Tensor, adding extra: Tensor) throws -> Tensor
}

extension Tracer {
    /// `runBackward(name, module, g)` + `extra`: in the module's own backward when it can
    /// add it (`InputGradientAdding`), else one pass after it. The gradient hook sees `g`,
    /// as for `runBackward`.
    /// `op` and `what` name the two gradients in a shape error, as `addSameShape` does.
    static func runBackward(_ name: String, _ module: any Module, _ g: Tensor, adding extra: Tensor,
                            _ op: String, _ what: (String, String)) throws -> Tensor {
        guard let m = module as? InputGradientAdding else {
            return try addSameShape(try runBackward(name, module, g), extra, op, what)
        }
        return try reportingBackward(name, module, g) { try m.backward(g, adding: extra) }
    }
}
