import Tensor

/// Input checks shared by layers; messages name the layer the way a user wrote it
/// (`conv2d: input has 3 channels, layer expects 1`).
enum Check {
    /// A float32 contiguous version of `x`, which must have rank `rank`.
    static func input(_ x: Tensor, rank: Int, _ op: String, _ layout: String) throws -> Tensor {
        guard x.dim == rank else {
            throw TensorError("\(op): expected a \(rank)-d input \(layout), got shape \(shapeString(x.shape))")
        }
        return try x.toFloat().contiguous()
    }

    static func channels(_ x: Tensor, _ expected: Int, _ op: String) throws {
        guard x.shape[1] == expected else {
            throw TensorError("\(op): input has \(x.shape[1]) channels, layer expects \(expected)")
        }
    }

    /// The gradient of an output of shape `shape`, made contiguous float32.
    static func grad(_ g: Tensor, _ shape: [Int], _ op: String) throws -> Tensor {
        guard g.shape == shape else {
            throw TensorError("\(op): gradient has shape \(shapeString(g.shape)), the output had \(shapeString(shape))")
        }
        return try g.toFloat().contiguous()
    }

    /// The largest kernel size, stride, padding or dilation a layer accepts (2^31):
    /// window arithmetic (2·padding, dilation·(kernel − 1)) then cannot overflow.
    static let maxWindow = 1 << 31

    /// Refuses window parameters past `maxWindow`.
    static func window(_ pairs: [(String, (Int, Int))], _ op: String) throws {
        for (what, p) in pairs where p.0 > maxWindow || p.1 > maxWindow {
            throw TensorError("\(op): \(what) \(pair(p)) is too large (at most \(maxWindow))")
        }
    }

    static func positive(_ v: Int, _ what: String, _ op: String) throws {
        guard v > 0 else { throw TensorError("\(op): \(what) must be positive, got \(v)") }
    }
}
