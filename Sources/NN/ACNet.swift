import Tensor

/// Whole-network conversions between plain convolutions and ACNet blocks (`nn.acnet`,
/// `nn.fuse`).
public enum ACNet {
    /// Swaps every convertible `Conv2d` (square odd k×k with k ≥ 3, groups 1, dilation 1:
    /// the 3×3 convs of VGG and ResNet) for an `ACConv2d` whose square branch holds its
    /// weights and whose 1×k and k×1 branches start with BN γ = `gamma` (see
    /// `ACConv2d.init(converting:gamma:)`). In place; returns the new root (a bare conv
    /// is returned converted) and the converted paths. Layers such as the BN that
    /// follows a conv are kept.
    public static func convert(_ net: any Module, gamma: Double = 0) throws -> (net: any Module, converted: [String]) {
        guard gamma.isFinite else { throw TensorError("acnet: gamma must be a finite number, got \(gamma)") }
        let r = try net.replacingLayers { _, m in
            guard let c = m as? Conv2d, ACConv2d.canConvert(c) else { return nil }
            return try ACConv2d(converting: c, gamma: gamma)
        }
        return (r.root, r.paths)
    }

    /// Swaps every `ACConv2d` for its fused `Conv2d` (`ACConv2d.fused()`), in place; the
    /// net computes the same in eval mode. Every block must be in eval mode; nothing is
    /// changed when one is not. Returns the new root and the fused paths.
    public static func fuse(_ net: any Module) throws -> (net: any Module, fused: [String]) {
        let r = try net.replacingLayers { path, m in
            guard let a = m as? ACConv2d else { return nil }
            do { return try a.fused() } catch let e as TensorError {
                throw TensorError((path.isEmpty ? "" : "at \(path): ") + e.message)
            }
        }
        return (r.root, r.paths)
    }
}
