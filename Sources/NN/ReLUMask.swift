import Kernels
import Tensor

/// What a gradient pass keeps of a ReLU's output when the next layer writes over it: where it
/// was positive, as bits (`ReLUBits`, 1/32 of the map). `tensor()` gives it back as 1 / 0
/// floats, which gate a gradient exactly as the output did (`ReLUGate` reads `> 0`).
final class ReLUMask {
    let shape: [Int]
    private let bits: [UInt16]

    /// The mask of `y` (a float32 ReLU output).
    init(_ y: Tensor) throws {
        let x = try y.toFloat().contiguous()
        shape = x.shape
        let n = x.numel
        bits = n == 0 ? [] : [UInt16](unsafeUninitializedCapacity: ReLUBits.words(n)) { buf, count in
            x.withFloats { ReLUBits.pack($0, count: n, into: buf.baseAddress!) }
            count = ReLUBits.words(n)
        }
    }

    /// The mask as a float tensor: 1 where the output was positive, else 0.
    func tensor() throws -> Tensor {
        let t = try Tensor(uninitialized: shape)
        if t.numel > 0 { bits.withUnsafeBufferPointer { ReLUBits.unpack($0.baseAddress!, count: t.numel, into: t.ptr) } }
        return t
    }
}
