import Data
import Dist
import NN
import Tensor

extension Checkpoint {
    /// `resume = true` in a distributed fit: rank 1's checkpoint decides for every rank.
    /// Rank 1 reads its file, when it has one, and sends its bytes to the others; every
    /// rank restores from them, so all resume after the same epoch with the same weights,
    /// buffers and optimizer state, even when the path is node-local (another rank may see
    /// no file there, or another run's). Returns the epochs completed, or nil when rank 1
    /// has no checkpoint (every rank starts afresh). Rank 1's error reading the file is
    /// every rank's error. The ranks must hold the same model (checked before).
    static func restoreShared(_ path: FilePath, model: any Module, optimizer: any Optimizer,
                              world: Communicator) throws -> Int? {
        // rank 1 sends one tag byte, then: nothing (no checkpoint), the file, or its error
        var payload: [UInt8] = []
        if world.rank == 0 {
            if !path.exists {
                payload = [Tag.absent.rawValue]
            } else {
                do { payload = [Tag.file.rawValue] + (try FileBytes.read(path, op: "checkpoint")) } catch {
                    payload = [Tag.error.rawValue] + Array(((error as? TensorError)?.message ?? "\(error)").utf8)
                }
            }
        }
        let got = try world.broadcast(bytes: payload, root: 0)
        // errors name the file read, rank 1's (the same path string, on another node)
        let read = FilePath(bytes: try world.broadcast(bytes: path.bytes, root: 0)) ?? path
        switch got.first.flatMap(Tag.init(rawValue:)) {
        case .file?:
            let file = try SafeTensors.decode(Array(got.dropFirst()), context: "checkpoint: \(read)")
            return try restore(file, from: read, model: model, optimizer: optimizer)
        case .error?:
            throw TensorError(String(decoding: got.dropFirst(), as: UTF8.self))
        case .absent?, nil:
            return nil
        }
    }

    /// What rank 1 found at the checkpoint path.
    private enum Tag: UInt8 { case absent, file, error }
}
