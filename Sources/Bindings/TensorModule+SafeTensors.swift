import CLua
import Data
import LuaHost
import Tensor

extension TensorModule {
    /// Weights files in the safetensors format (PyTorch state_dict key names).
    static let safetensorsFunctions: [LuaFunction] = [
        LuaFunction("load_safetensors", doc: """
        tensor.load_safetensors(path) -> {name = tensor}, {key = value}
        Reads a .safetensors file: every tensor by name (F32/F16/BF16/F64 as float32, integer types
        as int64) and the __metadata__ strings. A truncated or corrupt file is an error; nothing is
        returned half-read.
        Example:
          local w, meta = tensor.load_safetensors("resnet56.safetensors")
          print(w["conv1.weight"]:shape())
        """) { L in
            let st = try SafeTensors.read(try L.checkPath(1))
            L.newTable(record: Int32(st.entries.count))
            for e in st.entries { L.push(e.tensor); L.setField(-2, e.name) }
            L.newTable(record: Int32(st.metadata.count))
            for (k, v) in st.metadata { L.push(v); L.setField(-2, k) }
            return 2
        },
        LuaFunction("save_safetensors", doc: """
        tensor.save_safetensors(path, {name = tensor}, [{key = "value"}])
        Writes tensors (float32 as F32, int64 as I64) and string metadata in the safetensors format,
        atomically: a temporary file is renamed over `path` once complete.
        Example:
          tensor.save_safetensors("w.safetensors", {["fc.weight"] = tensor.randn(10, 64)}, {arch = "mlp"})
        """) { L in
            let path = try L.checkPath(1)
            try L.checkTable(2)
            var tensors: [(String, Tensor)] = []
            try L.forEachPair(2) {
                guard let k = try L.toUTF8String(-2, "tensor name", argument: 2) else {
                    throw LuaError.argument(2, "keys must be strings (tensor names), got \(L.typeName(-2))")
                }
                guard let t = try L.tensor(-1) else {
                    throw LuaError.argument(2, "value of '\(k)' must be a tensor, got \(L.typeName(-1))")
                }
                tensors.append((k, t))
            }
            var metadata: [String: String] = [:]
            if !L.isNoneOrNil(3) {
                try L.checkTable(3)
                try L.forEachPair(3) {
                    guard let k = try L.toUTF8String(-2, "metadata key", argument: 3),
                          let v = try L.toUTF8String(-1, "metadata value", argument: 3) else {
                        throw LuaError.argument(3, "metadata must map strings to strings, got \(L.typeName(-2)) -> \(L.typeName(-1))")
                    }
                    metadata[k] = v
                }
            }
            try SafeTensors.write(path, tensors, metadata: metadata)
            return 0
        },
    ]
}
