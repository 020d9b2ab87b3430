import Foundation

extension DNNLConv {
    /// Where the oneDNN path is used instead of `Conv2dKernel`'s own kernels.
    public enum Mode: Sendable {
        /// Never (our kernels everywhere): `TOPIARY_DNNL=0`.
        case off
        /// On every geometry it supports (to measure it): `TOPIARY_DNNL=1`.
        case on
        /// Only on the shape families where it measured faster (the default).
        case auto
    }

    /// The pass a dispatch decision is for.
    public enum Pass: Sendable { case forward, inputGradient, weightGradient }

    /// Set from the environment `TOPIARY_DNNL` (0 = off, 1 = on, unset = auto).
    nonisolated(unsafe) public static var mode: Mode = {
        switch ProcessInfo.processInfo.environment["TOPIARY_DNNL"] {
        case "0": return .off
        case "1": return .on
        default: return .auto
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

    /// The shape families where oneDNN measured faster than our kernels (see README,
    /// "oneDNN"): filled in from the A/B rounds of `topiary bench --ab dnnl`.
    static func wins(_ g: ConvGeometry, _ pass: Pass) -> Bool {
        false
    }
}
