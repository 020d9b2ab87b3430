import NN
import Tensor

extension ONNXGraphBuilder {
    /// Emits an element-wise activation, or returns false for a module that is not one.
    /// Single ONNX operators where the opset has them (HardSwish from 14); SiLU and GELU as
    /// the compositions torch.onnx writes below opset 20 (Sigmoid·x; 0.5·x·(1 + Erf(x/√2)),
    /// or the tanh form), which every supported opset runs.
    mutating func emitActivation(_ n: TraceNode, _ x: String, _ out: String) -> Bool {
        switch n.module {
        case is ReLU:
            node("Relu", [x], out, name: n.name)
        case is ReLU6:
            let lo = initializer(n.name + ".min", [], [0]), hi = initializer(n.name + ".max", [], [6])
            node("Clip", [x, lo, hi], out, name: n.name)
        case let l as LeakyReLU:
            node("LeakyRelu", [x], out, name: n.name, [attr("alpha", l.negativeSlope)])
        case is Sigmoid:
            node("Sigmoid", [x], out, name: n.name)
        case is Tanh:
            node("Tanh", [x], out, name: n.name)
        case let e as ELU:
            node("Elu", [x], out, name: n.name, [attr("alpha", e.alpha)])
        case is Hardsigmoid:
            node("HardSigmoid", [x], out, name: n.name, [attr("alpha", Float(1) / 6), attr("beta", Float(0.5))])
        case is Hardswish:
            if options.opset >= 14 {
                node("HardSwish", [x], out, name: n.name)
            } else {
                let s = unique(n.name + ".hardsigmoid")
                node("HardSigmoid", [x], s, name: n.name + ".hardsigmoid", [attr("alpha", Float(1) / 6), attr("beta", Float(0.5))])
                node("Mul", [x, s], out, name: n.name + ".mul")
            }
        case is SiLU:
            let s = unique(n.name + ".sigmoid")
            node("Sigmoid", [x], s, name: n.name + ".sigmoid")
            node("Mul", [x, s], out, name: n.name + ".mul")
        case let g as GELU:
            emitGELU(g, n, x, out)
        default:
            return false
        }
        return true
    }

    /// GELU as a chain of element-wise nodes: 0.5·x·(1 + Erf(x·(1/√2))), or with the tanh
    /// approximation 0.5·x·(1 + Tanh(√(2/π)·(x + 0.044715·x³))).
    mutating func emitGELU(_ g: GELU, _ n: TraceNode, _ x: String, _ out: String) {
        func constant(_ label: String, _ v: Float) -> String { initializer(n.name + "." + label, [], [v]) }
        func step(_ op: String, _ inputs: [String], _ label: String) -> String {
            let v = unique(n.name + "." + label)
            node(op, inputs, v, name: n.name + "." + label)
            return v
        }
        let inner: String
        if g.tanhApproximation {
            let cube = step("Mul", [step("Mul", [x, x], "square"), x], "cube")
            let sum = step("Add", [x, step("Mul", [cube, constant("c", GELU.c)], "scaled_cube")], "sum")
            inner = step("Tanh", [step("Mul", [sum, constant("k", GELU.k)], "tanh_input")], "tanh")
        } else {
            inner = step("Erf", [step("Mul", [x, constant("inv_sqrt2", GELU.invSqrt2)], "erf_input")], "erf")
        }
        let onePlus = step("Add", [inner, constant("one", 1)], "one_plus")
        let half = step("Mul", [x, constant("half", 0.5)], "half_x")
        node("Mul", [half, onePlus], out, name: n.name + ".mul")
    }
}
