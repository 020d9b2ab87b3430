import NN
import Tensor

extension ONNXGraphBuilder {
    /// The error for a layer the exporter cannot express; it names the layer.
    func unmapped(_ n: TraceNode, _ why: String) -> TensorError {
        TensorError("export_onnx: layer '\(n.name)' (\(n.typeName)) \(why); nothing was written")
    }

    /// Emits the nodes of one traced layer.
    mutating func emitLayer(_ n: TraceNode) throws {
        let out = values[n.id]!, x = value(n.inputs[0])
        if emitActivation(n, x, out) { return }
        switch n.module {
        case let c as Conv2d:
            try emitConv(c, n, x, out, foldedInto: nil)
        case let a as ACConv2d:
            try emitConv(try a.fused(), n, x, out, foldedInto: nil)
        case let bn as BatchNorm:
            if let convID = folded[n.id] {
                let cn = trace.nodes[convID]
                let conv = try (cn.module as? ACConv2d)?.fused() ?? (cn.module as! Conv2d)
                try emitConv(conv, cn, value(cn.inputs[0]), out, foldedInto: bn)
            } else {
                try emitBatchNorm(bn, n, x, out)
            }
        case let p as MaxPool2d:
            node("MaxPool", [x], out, name: n.name, [
                attr("kernel_shape", [p.kernelSize.0, p.kernelSize.1]), attr("strides", [p.stride.0, p.stride.1]),
                attr("pads", [p.padding.0, p.padding.1, p.padding.0, p.padding.1]),
                attr("dilations", [p.dilation.0, p.dilation.1]), attr("ceil_mode", p.ceilMode ? 1 : 0)])
        case let p as AvgPool2d:
            node("AveragePool", [x], out, name: n.name, [
                attr("kernel_shape", [p.kernelSize.0, p.kernelSize.1]), attr("strides", [p.stride.0, p.stride.1]),
                attr("pads", [p.padding.0, p.padding.1, p.padding.0, p.padding.1]),
                attr("ceil_mode", p.ceilMode ? 1 : 0), attr("count_include_pad", p.countIncludePad ? 1 : 0)])
        case let p as AdaptiveAvgPool2d:
            try emitAdaptiveAvgPool(p, n, x, out)
        case let f as Flatten:
            try emitFlatten(f, n, x, out)
        case let l as Linear:
            guard n.inputShapes[0].count == 2 else {
                throw unmapped(n, "has a rank-\(n.inputShapes[0].count) input (only [N, features] maps to Gemm)")
            }
            var ins = [x, initializer(n.name + ".weight", l.weight.value.shape, l.weight.value.toFloats())]
            if let b = l.bias { ins.append(initializer(n.name + ".bias", b.value.shape, b.value.toFloats())) }
            node("Gemm", ins, out, name: n.name, [attr("transB", 1)])
        case let s as ShortcutA:
            try emitShortcutA(s, n, x, out)
        default:
            throw unmapped(n, "has no ONNX mapping")
        }
    }

    /// A Conv node; with `foldedInto`, that BatchNorm's eval affine is folded into the
    /// weights and bias (W·scale, b·scale + shift).
    mutating func emitConv(_ c: Conv2d, _ n: TraceNode, _ x: String, _ out: String, foldedInto bn: BatchNorm?) throws {
        let shape = c.weight.value.shape
        var w = c.weight.value.toFloats()
        var b: [Float]? = c.bias?.value.toFloats()
        if let bn {
            let (scale, shift) = bn.affine(Double.self)
            let per = w.count / max(shape[0], 1)
            for o in 0..<shape[0] {
                for i in 0..<per { w[o * per + i] = Float(Double(w[o * per + i]) * scale[o]) }
            }
            let b0 = b ?? [Float](repeating: 0, count: shape[0])
            b = (0..<shape[0]).map { Float(Double(b0[$0]) * scale[$0] + shift[$0]) }
        }
        var ins = [x, initializer(n.name + ".weight", shape, w)]
        if let b { ins.append(initializer(n.name + ".bias", [shape[0]], b)) }
        node("Conv", ins, out, name: n.name, [
            attr("kernel_shape", [shape[2], shape[3]]), attr("strides", [c.stride.0, c.stride.1]),
            attr("pads", [c.padding.0, c.padding.1, c.padding.0, c.padding.1]),
            attr("dilations", [c.dilation.0, c.dilation.1]), attr("group", c.groups)])
    }

    /// A BatchNormalization node with the running statistics (γ = 1, β = 0 when not affine).
    mutating func emitBatchNorm(_ bn: BatchNorm, _ n: TraceNode, _ x: String, _ out: String) throws {
        guard bn.trackRunningStats else {
            throw unmapped(n, "keeps no running statistics (it normalises with batch statistics even in eval mode)")
        }
        let c = bn.numFeatures
        let gamma = bn.weight?.value.toFloats() ?? [Float](repeating: 1, count: c)
        let beta = bn.bias?.value.toFloats() ?? [Float](repeating: 0, count: c)
        let ins = [x, initializer(n.name + ".weight", [c], gamma), initializer(n.name + ".bias", [c], beta),
                   initializer(n.name + ".running_mean", [c], bn.runningMean.toFloats()),
                   initializer(n.name + ".running_var", [c], bn.runningVar.toFloats())]
        node("BatchNormalization", ins, out, name: n.name, [attr("epsilon", Float(bn.eps))])
    }

    /// GlobalAveragePool for a 1×1 output, AveragePool when the input divides evenly.
    mutating func emitAdaptiveAvgPool(_ p: AdaptiveAvgPool2d, _ n: TraceNode, _ x: String, _ out: String) throws {
        let s = n.inputShapes[0], (oh, ow) = p.outputSize
        if oh == 1 && ow == 1 {
            node("GlobalAveragePool", [x], out, name: n.name)
        } else if s[2] % oh == 0 && s[3] % ow == 0 {
            let k = [s[2] / oh, s[3] / ow]
            node("AveragePool", [x], out, name: n.name, [attr("kernel_shape", k), attr("strides", k)])
        } else {
            throw unmapped(n, "pools \(s[2])×\(s[3]) to \(oh)×\(ow), which is not an even division (no ONNX pooling equals it)")
        }
    }

    /// Flatten from dim 1 to the end; other ranges become a Reshape (batch kept).
    mutating func emitFlatten(_ f: Flatten, _ n: TraceNode, _ x: String, _ out: String) throws {
        let rank = n.inputShapes[0].count
        let start = f.startDim < 0 ? f.startDim + rank : f.startDim, end = f.endDim < 0 ? f.endDim + rank : f.endDim
        if start == 1 && end == rank - 1 {
            node("Flatten", [x], out, name: n.name, [attr("axis", 1)])
            return
        }
        guard start >= 1 else { throw unmapped(n, "flattens the batch dimension (start_dim = \(f.startDim))") }
        let target = [0] + n.outputShape.dropFirst()
        let shape = initializer(n.name + ".shape", [target.count], ints: target)
        node("Reshape", [x, shape], out, name: n.name)
    }
}
