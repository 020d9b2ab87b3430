import Foundation

extension DNNLConv {
    /// Where the oneDNN path is used instead of `Conv2dKernel`'s own kernels.
    public enum Mode: Sendable {
        /// Never (our kernels everywhere): `TOPIARY_DNNL=0`, for now the default.
        case off
        /// On every geometry it supports (to measure it): `TOPIARY_DNNL=1`.
        case on
        /// Only on the shape family where it measured faster (`wins`): `TOPIARY_DNNL=auto`.
        /// Meant to become the default once the whole suite (notebook replays recorded
        /// with our kernels' rounding included) has run with it.
        case auto
    }

    /// The pass a dispatch decision is for.
    public enum Pass: Sendable { case forward, inputGradient, weightGradient }

    /// Set from the environment `TOPIARY_DNNL` (0 or unset = off, 1 = on, auto = auto).
    nonisolated(unsafe) public static var mode: Mode = {
        switch ProcessInfo.processInfo.environment["TOPIARY_DNNL"] {
        case "1": return .on
        case "auto": return .auto
        default: return .off
        }
    }()

    /// Whether oneDNN can run this geometry at all: non-depthwise, non-empty, and a right
    /// padding oneDNN accepts (PyTorch's floor rounding can make it negative).
    public static func supports(_ g: ConvGeometry) -> Bool {
        let s = DNNLConvShape(g)
        return !g.isDepthwise && g.batch > 0 && s.padR.allSatisfy { $0 >= 0 }
    }

    /// THE decision point: whether `Conv2dKernel` hands this pass of `g` to oneDNN.
    public static func chosen(_ g: ConvGeometry, _ pass: Pass) -> Bool {
        switch mode {
        case .off: return false
        case .on: return supports(g)
        case .auto: return supports(g) && wins(g, pass)
        }
    }

    /// The shape family where oneDNN measured faster than our kernels (A/B rounds of
    /// `topiary bench conv --ab dnnl`, one thread, batch 128): 3×3 stride-1 layers with
    /// output planes of 16×16 and more — ResNet-56's 16c32 and 32c16, the pruned 16→11
    /// and 32→23, VGG's 128c16 — where its direct kernel on 8-channel blocks beat im2col +
    /// GEMM by 1.1–2× in forward and ∂L/∂w, activation reorders included. Its ∂L/∂x lost
    /// with 3 input channels (0.69×) and where ∂L/∂y's channels pad badly to 8 (16→11:
    /// 0.87×), so ∂L/∂x goes to oneDNN only with ≥ 8 input channels and ≤ 25 % padding.
    /// At 8×8 (64c8, 64→45) ours is even or faster in forward and ∂L/∂w (0.75–0.97×).
    /// Everything else (strided, 1×1, grouped, dilated) was not measured and stays ours.
    static func wins(_ g: ConvGeometry, _ pass: Pass) -> Bool {
        guard g.groups == 1, g.kernelH == 3, g.kernelW == 3, g.strideH == 1, g.strideW == 1,
              g.dilationH == 1, g.dilationW == 1, g.outPlane >= 256 else { return false }
        guard pass == .inputGradient else { return true }
        let padded = (g.outChannels + 7) / 8 * 8
        return g.inChannels >= 8 && 4 * (padded - g.outChannels) <= g.outChannels
    }
}
