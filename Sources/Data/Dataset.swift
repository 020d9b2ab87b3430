import Tensor

/// An in-memory labelled dataset: `count` samples of shape `sampleShape` (images are
/// C×H×W, values in [0, 1]) and their targets (int64 class ids, 0-based as in PyTorch,
/// shape [count]; or any tensor whose first dimension is `count`).
///
/// Image datasets keep their pixels as bytes (a quarter of the memory) and scale them
/// by 1/255 when a batch is gathered.
public final class Dataset: @unchecked Sendable {
    /// Where the inputs live.
    public enum Inputs {
        /// Bytes 0…255, read as byte / 255.
        case bytes([UInt8])
        /// Float32 values (contiguous, first dimension = count).
        case floats(Tensor)
    }

    public let name: String
    public let inputs: Inputs
    public let sampleShape: [Int]
    /// Contiguous; first dimension = `count`.
    public let targets: Tensor
    /// Class names by class id (empty when unknown).
    public let classes: [String]
    public let count: Int

    /// An image dataset from bytes (`count * sampleShape.product` of them).
    public init(name: String, bytes: [UInt8], sampleShape: [Int], targets: Tensor, classes: [String] = []) throws {
        let size = sampleShape.reduce(1, *)
        guard size > 0, bytes.count % size == 0 else {
            throw TensorError("\(name): \(bytes.count) pixel bytes do not divide into samples of shape \(shapeString(sampleShape))")
        }
        let n = bytes.count / size
        guard targets.dim >= 1, targets.shape[0] == n else {
            throw TensorError("\(name): \(n) images but \(targets.dim >= 1 ? targets.shape[0] : 0) labels")
        }
        self.name = name
        self.inputs = .bytes(bytes)
        self.sampleShape = sampleShape
        self.targets = try targets.contiguous()
        self.classes = classes
        self.count = n
        Storage.noteExternal(bytes.count)   // so Lua's collector sees the pixels (a data cell run again)
    }

    deinit {
        if case .bytes(let b) = inputs { Storage.releaseExternal(b.count) }
    }

    /// A dataset over tensors: `inputs` N×…, `targets` N or N×… (either dtype).
    public init(name: String = "tensor_dataset", inputs: Tensor, targets: Tensor, classes: [String] = []) throws {
        guard inputs.dim >= 1 else { throw TensorError("\(name): inputs must have a sample dimension, got a 0-d tensor") }
        guard targets.dim >= 1 else { throw TensorError("\(name): targets must have a sample dimension, got a 0-d tensor") }
        guard inputs.shape[0] == targets.shape[0] else {
            throw TensorError("\(name): inputs have \(inputs.shape[0]) samples (shape \(shapeString(inputs.shape))), targets have \(targets.shape[0]) (shape \(shapeString(targets.shape)))")
        }
        self.name = name
        self.inputs = .floats(try inputs.toFloat().contiguous())
        self.sampleShape = Array(inputs.shape.dropFirst())
        self.targets = try targets.contiguous()
        self.classes = classes
        self.count = inputs.shape[0]
    }

    /// byte / 255 in float32, exactly as torchvision's ToTensor divides.
    static let byteScale: [Float] = (0..<256).map { Float($0) / 255 }

    /// Elements per sample.
    public var sampleSize: Int { sampleShape.reduce(1, *) }
    var targetShape: [Int] { Array(targets.shape.dropFirst()) }
    var targetSize: Int { targetShape.reduce(1, *) }

    /// Checks a 0-based sample index.
    public func check(_ i: Int, _ op: String) throws {
        guard i >= 0 && i < count else {
            throw TensorError("\(op): sample \(i + 1) out of range (dataset has \(count))")
        }
    }

    /// Copies the inputs of `indices` into `out` (indices.count × sampleSize floats).
    public func gatherInputs(_ indices: ArraySlice<Int>, into out: UnsafeMutablePointer<Float>) {
        let s = sampleSize
        switch inputs {
        case .bytes(let b):
            b.withUnsafeBufferPointer { src in
                var q = out
                let scale = Dataset.byteScale
                for i in indices {
                    let p = src.baseAddress! + i * s
                    for k in 0..<s { q[k] = scale[Int(p[k])] }
                    q += s
                }
            }
        case .floats(let t):
            var q = out
            for i in indices {
                q.update(from: t.ptr + i * s, count: s)
                q += s
            }
        }
    }

    /// The targets of `indices`, stacked.
    public func gatherTargets(_ indices: ArraySlice<Int>) throws -> Tensor {
        let out = try Tensor(uninitialized: [indices.count] + targetShape, dtype: targets.dtype)
        let s = targetSize
        for (j, i) in indices.enumerated() {
            if targets.dtype == .int64 { (out.iptr + j * s).update(from: targets.iptr + i * s, count: s) }
            else { (out.ptr + j * s).update(from: targets.ptr + i * s, count: s) }
        }
        return out
    }

    /// Inputs (N×sampleShape, float32) and targets of the samples at `indices` (0-based).
    public func gather(_ indices: ArraySlice<Int>) throws -> (input: Tensor, target: Tensor) {
        let x = try Tensor(uninitialized: [indices.count] + sampleShape)
        gatherInputs(indices, into: x.ptr)
        return (x, try gatherTargets(indices))
    }

    /// One sample: its input (sampleShape) and target (0-d for class ids).
    public func sample(_ i: Int) throws -> (input: Tensor, target: Tensor) {
        try check(i, "dataset")
        let (x, y) = try gather([i][...])
        return (try x.select(0, 0), try y.select(0, 0))
    }

    /// A new dataset holding copies of the samples at `indices` (0-based, checked).
    public func subset(_ indices: [Int], name: String? = nil) throws -> Dataset {
        for i in indices { try check(i, "subset") }
        let y = try gatherTargets(indices[...])
        switch inputs {
        case .bytes(let b):
            let s = sampleSize
            var out: [UInt8] = []
            out.reserveCapacity(indices.count * s)
            for i in indices { out.append(contentsOf: b[(i * s)..<((i + 1) * s)]) }
            return try Dataset(name: name ?? self.name, bytes: out, sampleShape: sampleShape, targets: y, classes: classes)
        case .floats:
            return try Dataset(name: name ?? self.name, inputs: gather(indices[...]).input, targets: y, classes: classes)
        }
    }
}
