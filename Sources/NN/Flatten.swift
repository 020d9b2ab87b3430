import Tensor

/// Flattens dims start_dim…end_dim into one (PyTorch's `nn.Flatten`, default 1…−1).
/// The output is a view of the input. In a trace it is the node where channels become
/// features (each channel owning `outputShape[1] / inChannels` consecutive features).
public final class Flatten: Module {
    public let typeName = "Flatten"
    public var training = true
    public var startDim: Int, endDim: Int
    private var inputShape: [Int]?

    public init(startDim: Int = 1, endDim: Int = -1) {
        self.startDim = startDim; self.endDim = endDim
    }

    public var extraDescription: String { "start_dim=\(startDim), end_dim=\(endDim)" }

    public func forward(_ input: Tensor) throws -> Tensor {
        let r = input.dim
        let a = startDim < 0 ? startDim + r : startDim, b = endDim < 0 ? endDim + r : endDim
        guard a >= 0, b < r, a <= b else {
            throw TensorError("flatten: dims \(startDim)…\(endDim) are out of range for an input of shape \(shapeString(input.shape))")
        }
        inputShape = GradMode.enabled ? input.shape : nil
        let s = input.shape
        let merged = s[a...b].reduce(1, *)
        return try input.reshape(Array(s[..<a]) + [merged] + Array(s[(b + 1)...]))
    }

    public func backward(_ gradOutput: Tensor) throws -> Tensor {
        guard let s = inputShape else { throw noForward("flatten") }
        guard gradOutput.numel == s.reduce(1, *) else {
            throw TensorError("flatten: gradient has shape \(shapeString(gradOutput.shape)), which does not match the input \(shapeString(s))")
        }
        return try gradOutput.reshape(s)
    }
}

/// Returns its input (PyTorch's `nn.Identity`); invisible in traces.
public final class Identity: Module {
    public let typeName = "Identity"
    public var training = true
    public init() {}
    public func forward(_ input: Tensor) throws -> Tensor { input }
    public func backward(_ gradOutput: Tensor) throws -> Tensor { gradOutput }
}
