import Data
import Foundation
import NN
import Tensor

/// Training checkpoints: one safetensors file holding the model's state dict, the
/// optimizer's state under `optimizer.<index>.<buffer>`, and metadata (`topiary.epoch`,
/// the optimizer's description, the model's architecture for `nn.load`). Written
/// atomically (temporary file, then rename), so an interrupted run never leaves a
/// half-written checkpoint.
enum Checkpoint {
    static let optimizerPrefix = "optimizer."

    static func save(_ path: FilePath, model: any Module, optimizer: any Optimizer, epoch: Int,
                     metadata extra: [String: String] = [:]) throws {
        let params = model.namedParameters().map(\.parameter)
        var entries = model.stateDict().map { ($0.key, $0.tensor) }
        entries += try optimizer.state(params).map { (optimizerPrefix + $0.0, $0.1) }
        var meta = extra
        meta["topiary.format"] = "checkpoint"
        meta["topiary.epoch"] = String(epoch)
        meta["topiary.optimizer"] = optimizer.description
        if let arch = try? ModelSpec.encode(model) { meta[ModelSpec.metadataKey] = arch }
        try SafeTensors.write(path, entries, metadata: meta, op: "checkpoint")
    }

    /// Loads a checkpoint into `model` and `optimizer` (all-or-nothing for the model)
    /// and returns the number of epochs it had completed.
    static func restore(_ path: FilePath, model: any Module, optimizer: any Optimizer) throws -> Int {
        try restore(try SafeTensors.read(path, op: "checkpoint"), from: path, model: model, optimizer: optimizer)
    }

    /// `restore(_:model:optimizer:)` of a checkpoint already read (`path` names it in errors).
    static func restore(_ file: SafeTensors, from path: FilePath, model: any Module, optimizer: any Optimizer) throws -> Int {
        guard file.metadata["topiary.format"] == "checkpoint", let epoch = file.metadata["topiary.epoch"] else {
            throw TensorError("checkpoint: \(path) is not a Topiary training checkpoint (no topiary.epoch metadata)")
        }
        guard let e = Int(epoch), e >= 0 else {
            throw TensorError("checkpoint: \(path) has an invalid topiary.epoch '\(epoch)' (expected the number of completed epochs, a whole number >= 0)")
        }
        let modelEntries = file.entries.filter { !$0.name.hasPrefix(optimizerPrefix) }.map { ($0.name, $0.tensor) }
        do { try model.loadStateDict(modelEntries, strict: true) } catch let e as TensorError {
            // the checkpoint of another network (often: of the net before or after pruning)
            throw TensorError("checkpoint: \(path) does not fit this network (resume = true reads it): \(e.message); "
                              + "delete it or give another `checkpoint` path to start afresh")
        }
        var state: [String: Tensor] = [:]
        for entry in file.entries where entry.name.hasPrefix(optimizerPrefix) {
            state[String(entry.name.dropFirst(optimizerPrefix.count))] = entry.tensor
        }
        do { try optimizer.loadState(state, model.namedParameters().map(\.parameter)) } catch let e as TensorError {
            // most often the checkpoint of another optimizer (sgd's state read by adam)
            throw TensorError("checkpoint: \(path) does not fit this optimizer (resume = true reads it): \(e.message); "
                              + "resume with the optimizer that wrote it, or delete it or give another `checkpoint` path to start afresh")
        }
        return e
    }
}
