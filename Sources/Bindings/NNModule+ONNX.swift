import CLua
import LuaHost
import NN
import ONNX
import Tensor

extension NNModule {
    /// ONNX export.
    static let onnxMethods: [LuaFunction] = [
        method("export_onnx", doc: """
            net:export_onnx(path, {input = {1, 3, 32, 32}, opset = 17, dynamic_batch = true, fold_bn = false}) -> net
            Writes the network (pruned or not, every zoo family) as an ONNX model, atomically. The net is
            traced in eval mode on zeros of `input` (batch first); each layer becomes ONNX nodes: Conv,
            BatchNormalization (or folded into the conv before it with fold_bn = true), Relu, Clip (ReLU6),
            LeakyRelu, MaxPool, AveragePool, GlobalAveragePool, Add, Concat, Slice + Pad (+ Gather after
            pruning) for option-A shortcuts, Flatten, Gemm; ACConv2d blocks are fused into one Conv.
            Weights are initializers. The graph's input is "input", its output "output"; with
            dynamic_batch the batch size is symbolic ("batch"). opset: 13 to 21. A layer kind without a
            mapping is an error naming the layer, and nothing is written.
            Example:
              local net = nn.zoo.resnet56{classes = 10}
              net:export_onnx("resnet56.onnx", {input = {1, 3, 32, 32}})
            """) { L, m in
            let path = try L.checkPath(2)
            let o = try LuaOptions(L, 3)
            try o.checkKnown(["input", "opset", "dynamic_batch", "fold_bn"], "export_onnx")
            guard o.push("input") == LUA_TTABLE else {
                L.pop()
                throw o.invalid("input", "the input shape is required, a table such as {1, 3, 32, 32}")
            }
            let shape = try L.checkShape(from: L.top)
            L.pop()
            let options = ONNXExportOptions(inputShape: shape, opset: try o.integer("opset", 17),
                                            dynamicBatch: try o.bool("dynamic_batch", true),
                                            foldBatchNorm: try o.bool("fold_bn", false))
            try ONNXExport.write(m, to: path, options)
            L.pushValue(1); return 1
        },
    ]
}
