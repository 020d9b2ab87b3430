import CLua
import LuaHost
import NN
import Tensor

extension NNModule {
    /// Counting (flops, summary) and tracing.
    static let analysisMethods: [LuaFunction] = [
        method("flops", doc: """
            net:flops(input_shape) -> {macs =, flops =, params =, flops_rule =, layers = {...}}
            Runs a traced forward on zeros of input_shape (eval mode, nothing cached) and counts:
            macs = multiply-accumulates of Conv2d, ACConv2d and Linear (the "FLOPs" of most papers),
            flops = 2 per MAC plus element-wise work (rule in flops_rule), params = all parameters.
            layers: one {name =, type =, output = shape, params =, macs =, flops =} per layer and residual add.
            Example:
              local c = nn.zoo.resnet56{}:flops{1, 3, 32, 32}
              print(c.macs / 1e6, c.params / 1e6)   -- 125.49  0.853
            """) { L, m in
            let shape = try L.checkShape(from: 2)
            let c = try m.count(inputShape: shape)
            L.newTable(record: 5)
            L.push(c.macs); L.setField(-2, "macs")
            L.push(c.flops); L.setField(-2, "flops")
            L.push(c.params); L.setField(-2, "params")
            L.push(ModelCount.flopsRule); L.setField(-2, "flops_rule")
            L.newTable(array: Int32(c.layers.count))
            for (i, l) in c.layers.enumerated() {
                L.newTable(record: 6)
                L.push(l.name); L.setField(-2, "name")
                L.push(l.typeName); L.setField(-2, "type")
                L.push(ints: l.outputShape); L.setField(-2, "output")
                L.push(l.params); L.setField(-2, "params")
                L.push(l.macs); L.setField(-2, "macs")
                L.push(l.flops); L.setField(-2, "flops")
                L.setIndex(-2, i + 1)
            }
            L.setField(-2, "layers")
            return 1
        },
        method("summary", doc: """
            net:summary(input_shape) -> string
            The per-layer table of net:flops as text (layer, type, output shape, params, MACs) with totals.
            Example:
              print(nn.zoo.small_cnn{}:summary{1, 1, 28, 28})
            """) { L, m in
            let shape = try L.checkShape(from: 2)
            L.push(try m.count(inputShape: shape).description); return 1
        },
        method("trace", doc: """
            net:trace(input_shape) -> {nodes = {...}, output = id}
            Records the data flow of a forward pass on zeros (eval mode). Each node:
            {id =, kind = "input"|"layer"|"add"|"concat", name =, type =, inputs = {ids}, in_channels =,
            out_channels =, input_shapes = {...}, output_shape = {...}} with 1-based ids; an add or concat is
            named after the block that performed it. Identity and eval-mode Dropout are invisible.
            Example:
              local g = nn.zoo.resnet20{}:trace{1, 3, 32, 32}
              for _, n in ipairs(g.nodes) do if n.kind == "add" then print(n.name, #n.inputs) end end
            """) { L, m in
            let shape = try L.checkShape(from: 2)
            try Tensor.checkShape(shape, "trace")
            let g = try Tracer.trace(m, input: try Tensor(zeros: shape))
            L.newTable(record: 2)
            L.newTable(array: Int32(g.nodes.count))
            for n in g.nodes {
                L.newTable(record: 9)
                L.push(n.id + 1); L.setField(-2, "id")
                L.push(n.kind.rawValue); L.setField(-2, "kind")
                L.push(n.name); L.setField(-2, "name")
                L.push(n.typeName); L.setField(-2, "type")
                L.push(ints: n.inputs.map { $0 + 1 }); L.setField(-2, "inputs")
                if let c = n.inChannels { L.push(c); L.setField(-2, "in_channels") }
                if let c = n.outChannels { L.push(c); L.setField(-2, "out_channels") }
                L.newTable(array: Int32(n.inputShapes.count))
                for (i, s) in n.inputShapes.enumerated() { L.push(ints: s); L.setIndex(-2, i + 1) }
                L.setField(-2, "input_shapes")
                L.push(ints: n.outputShape); L.setField(-2, "output_shape")
                L.setIndex(-2, n.id + 1)
            }
            L.setField(-2, "nodes")
            L.push(g.output + 1); L.setField(-2, "output")
            return 1
        },
    ]
}
