import Data
import LuaHost
import NN
import Pruning
import Tensor
import Text

extension NNModule {
    /// Weights files: safetensors with PyTorch state_dict key names, plus the
    /// architecture in the metadata so `nn.load` needs no model definition.
    static let fileMethods: [LuaFunction] = [
        method("load", doc: """
        net:load(path [, {strict = true}]) -> net
        Loads weights from a safetensors file with PyTorch state_dict names (layer1.0.conv1.weight,
        bn1.running_mean, ...), e.g. one exported from PyTorch. All-or-nothing: a missing key, an
        unexpected key (strict) or a shape mismatch is an error naming the key and both shapes, and
        leaves the model unchanged.
        Example:
          local net = nn.zoo.resnet56{classes = 10}
          net:load("resnet56.safetensors")
        """) { L, m in
            let path = try L.checkPath(2)
            let o = try LuaOptions(L, 3)
            try o.checkKnown(["strict"], "load")
            let file = try SafeTensors.read(path, op: "load")
            let entries = file.entries.filter { !$0.name.hasPrefix(Checkpoint.optimizerPrefix) }.map { ($0.name, $0.tensor) }
            do { try m.loadStateDict(entries, strict: try o.bool("strict", true)) }
            catch let e as TensorError { throw LuaError.message("load: \(path): " + e.message.replacingOccurrences(of: "load_state_dict: ", with: "")) }
            L.pushValue(1); return 1
        },
        method("save", doc: """
        net:save(path [, metadata]) -> net
        Writes the weights (PyTorch state_dict names, F32; num_batches_tracked as I64) and the
        architecture to a safetensors file, atomically. nn.load(path) rebuilds the model from it,
        pruned or not, with its pruning history (prune.history), the original widths of its
        pruned groups (prune.plan's of = "original") and the input shape it was last traced
        with (so pruning calls on the loaded net need no `input`). `metadata` is an optional
        table of extra string entries.
        Example:
          net:save("pruned.safetensors", {note = "l1 50%"})
        """) { L, m in
            let path = try L.checkPath(2)
            var meta: [String: String] = [:]
            if !L.isNoneOrNil(3) {
                try L.checkTable(3)
                try L.forEachPair(3) {
                    guard let k = try L.toUTF8String(-2, "metadata key", argument: 3),
                          let v = try L.toUTF8String(-1, "metadata value", argument: 3) ?? L.toNumber(-1).map({ "\($0)" }) else {
                        throw LuaError.argument(3, "metadata must map strings to strings or numbers")
                    }
                    meta[k] = v
                }
            }
            try saveModel(m, to: path, metadata: meta, op: "save")
            L.pushValue(1); return 1
        },
    ]

    static let fileFunctions: [LuaFunction] = [
        LuaFunction("load", doc: """
        nn.load(path) -> net
        Rebuilds a model saved by net:save (or a training checkpoint) from the architecture in the
        file's metadata, then loads its weights. Pruned models come back with their pruned channel
        counts.
        Example:
          local net = nn.load("pruned.safetensors")
        """) { L in
            push(L, try loadModel(try L.checkPath(1), op: "nn.load").model); return 1
        },
    ]

    /// The metadata key of the input shape a net was last traced with (prune.plan and the
    /// other pruning calls remember it), so a net read back needs no `input` for them.
    static let inputShapeKey = "topiary.input"

    /// Writes `m` as `net:save` does: its state dict, its architecture and pruning history
    /// in the metadata (beside `extra`), atomically.
    static func saveModel(_ m: any Module, to path: FilePath, metadata extra: [String: String], op: String) throws {
        var meta = extra
        meta[ModelSpec.metadataKey] = try ModelSpec.encode(m)
        meta["topiary.format"] = "model"
        let history = PruningHistory.steps(m)
        if !history.isEmpty { meta[PruningHistory.metadataKey] = PruningHistory.encode(history) }
        let widths = PruningHistory.widths(m)
        if !widths.isEmpty { meta[PruningHistory.widthsKey] = PruningHistory.encodeWidths(widths) }
        if let shape = PruneModule.knownShape(m) { meta[inputShapeKey] = JSON.array(shape.map { .int($0) }).text }
        try SafeTensors.write(path, m.stateDict().map { ($0.key, $0.tensor) }, metadata: meta, op: op)
    }

    /// Rebuilds the model a file written by `saveModel` (or a checkpoint) holds, in eval
    /// mode, and returns it with the file's metadata.
    static func loadModel(_ path: FilePath, op: String) throws -> (model: any Module, metadata: [String: String]) {
        let file = try SafeTensors.read(path, op: op)
        guard let arch = file.metadata[ModelSpec.metadataKey] else {
            throw LuaError.message("\(op): \(path) has no architecture in its metadata (not written by net:save); build the model and use net:load(path)")
        }
        let m = try ModelSpec.decode(arch)
        let entries = file.entries.filter { !$0.name.hasPrefix(Checkpoint.optimizerPrefix) }.map { ($0.name, $0.tensor) }
        try m.loadStateDict(entries, strict: true)
        if let h = file.metadata[PruningHistory.metadataKey] {
            PruningHistory.set(m, try PruningHistory.decode(h),
                               widths: try file.metadata[PruningHistory.widthsKey].map(PruningHistory.decodeWidths) ?? [:])
        }
        if let text = file.metadata[inputShapeKey] {
            guard let list = (try? JSON.parse(text))?.array, (1...8).contains(list.count),
                  case let dims = list.compactMap(\.int), dims.count == list.count, dims.allSatisfy({ $0 > 0 && $0 <= 1 << 24 })
            else { throw LuaError.message("\(op): \(path): the input shape in its metadata is not a list of 1–8 positive sizes") }
            PruneModule.remember(m, dims)
        }
        m.eval()
        return (m, file.metadata)
    }
}
