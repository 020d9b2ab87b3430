import Tensor

/// A trainable tensor and its accumulated gradient. Layers own parameters; optimizers
/// update `value` in place from `grad`. Pruning surgery replaces `value` (and clears
/// `grad`) when channels are removed.
public final class Parameter {
    public var value: Tensor
    /// The gradient accumulated by backward passes (nil until the first one, or after
    /// `zeroGrad`).
    public var grad: Tensor?
    /// Whether optimizers should update it (and weight decay apply).
    public var requiresGrad = true
    /// This parameter's learning rate as a multiple of the optimizer's (1: the same), as a
    /// PyTorch param group's own lr: a backbone fine-tuned slower than a new classifier.
    public var lrScale = 1.0
    /// This parameter's weight decay in place of the optimizer's (nil: the optimizer's), as
    /// a param group's: 0 for BatchNorm scales and biases, a common recipe.
    public var weightDecay: Double?

    public init(_ value: Tensor) { self.value = value }

    /// Adds `g` into `grad` (allocating it on first use).
    public func accumulate(_ g: Tensor) throws {
        if let grad { try grad.copy(from: try grad.add(g)) } else { grad = try g.contiguous().clone() }
    }

    public func zeroGrad() { grad = nil }
}
