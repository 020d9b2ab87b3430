import NN
import Tensor

/// Calibration batches whose gradient criteria (Taylor, a Lua criterion with needs =
/// "grads") take the gradient of a loss of the researcher's choosing instead of
/// cross-entropy: `gradient(logits, targets, inputs)` returns ∂loss/∂logits for one whole
/// batch (logits' shape). A distillation loss against a teacher's logits on the inputs, a
/// regression loss, or a label-free one (targets are then the placeholders of an
/// unlabelled tensor). Batches are never split into parts for it, so `gradient` always
/// sees whole batches. It runs outside the calibration's observation (a teacher's forward
/// is not captured), but must not run the network being scored: that forward would
/// replace what the network's backward needs.
public final class LossSource: BatchSource {
    public typealias Gradient = (_ logits: Tensor, _ targets: Tensor, _ inputs: Tensor) throws -> Tensor
    public let base: any BatchSource
    public let gradient: Gradient

    public init(_ base: any BatchSource, gradient: @escaping Gradient) {
        self.base = base
        self.gradient = gradient
    }

    public var batchCount: Int { base.batchCount }
    public var sampleCount: Int { base.sampleCount }
    public func batches(epoch: Int) throws -> () throws -> (input: Tensor, target: Tensor)? { try base.batches(epoch: epoch) }

    /// ∂loss/∂logits of one batch, checked: a float tensor of the logits' shape.
    func logitGradient(_ logits: Tensor, _ targets: Tensor, _ inputs: Tensor) throws -> Tensor {
        let g = try Tracer.suspended { try gradient(logits, targets, inputs) }
        guard g.shape == logits.shape, g.dtype == .float32 else {
            throw TensorError("calibration: the loss gradient must be a float tensor of the logits' shape \(shapeString(logits.shape)), got \(g.dtype) \(shapeString(g.shape))")
        }
        return try g.contiguous()
    }
}
