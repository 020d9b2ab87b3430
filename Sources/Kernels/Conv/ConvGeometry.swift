import Tensor

/// The shape of a 2-d convolution (NCHW input, OIHW weight), checked once and shared by
/// the forward and backward kernels. Output size follows PyTorch:
/// `out = (in + 2·pad − dilation·(k − 1) − 1) / stride + 1`.
public struct ConvGeometry: Equatable, Sendable, Windowed {
    public var batch: Int, inChannels: Int, height: Int, width: Int
    public var outChannels: Int, groups: Int
    /// Kernel size, stride, padding and dilation.
    public var window: Window2d

    public var outHeight: Int { window.outHeight(height) }
    public var outWidth: Int { window.outWidth(width) }
    /// Input channels per group.
    public var groupIn: Int { inChannels / groups }
    /// Output channels per group.
    public var groupOut: Int { outChannels / groups }
    /// Rows of the im2col matrix of one group: groupIn·kh·kw.
    public var patch: Int { groupIn * kernelH * kernelW }
    /// Output positions per image.
    public var outPlane: Int { outHeight * outWidth }
    public var inPlane: Int { height * width }
    /// 1×1, stride 1, no padding: the input plane is already the im2col matrix.
    public var isPointwise: Bool {
        kernelH == 1 && kernelW == 1 && strideH == 1 && strideW == 1 && padH == 0 && padW == 0
    }
    /// One group per input channel (depthwise; a channel multiplier is allowed).
    public var isDepthwise: Bool { groups > 1 && groups == inChannels }
    /// Multiply-accumulates of one forward pass.
    public var macs: Int { batch * outChannels * outPlane * patch }

    /// Validates the numbers (positive sizes, divisible groups, a non-empty output);
    /// `op` prefixes the error message.
    public init(batch: Int, inChannels: Int, height: Int, width: Int, outChannels: Int,
                kernel: (Int, Int), stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0),
                dilation: (Int, Int) = (1, 1), groups: Int = 1, op: String = "conv2d") throws {
        self.batch = batch; self.inChannels = inChannels; self.height = height; self.width = width
        self.outChannels = outChannels; self.groups = groups
        window = Window2d(kernel: kernel, stride: stride, padding: padding, dilation: dilation)
        guard kernelH > 0, kernelW > 0, strideH > 0, strideW > 0, dilationH > 0, dilationW > 0 else {
            throw TensorError("\(op): kernel size, stride and dilation must be positive")
        }
        guard padH >= 0, padW >= 0 else { throw TensorError("\(op): padding must be non-negative") }
        guard groups > 0, inChannels % groups == 0, outChannels % groups == 0 else {
            throw TensorError("\(op): in_channels (\(inChannels)) and out_channels (\(outChannels)) must be divisible by groups (\(groups))")
        }
        guard batch >= 0, height > 0, width > 0 else {
            throw TensorError("\(op): input spatial size must be positive, got \(height)x\(width)")
        }
        guard outHeight > 0, outWidth > 0 else {
            throw TensorError("\(op): input \(height)x\(width) is too small for kernel \(kernelH)x\(kernelW) (dilation \(dilationH)x\(dilationW), padding \(padH)x\(padW))")
        }
    }

    /// The valid output range [lo, hi) along one axis for kernel tap offset `tap`
    /// (= k·dilation − pad): positions whose input coordinate o·stride + tap lies in [0, n).
    @inlinable
    public static func validRange(out: Int, in n: Int, stride: Int, tap: Int) -> (Int, Int) {
        // o·stride + tap >= 0  ⇔  o >= ceil(−tap / stride)
        let lo = tap >= 0 ? 0 : (-tap + stride - 1) / stride
        // o·stride + tap <= n − 1  ⇔  o <= floor((n − 1 − tap) / stride)
        let last = n - 1 - tap
        let hi = last < 0 ? 0 : Swift.min(out, last / stride + 1)
        return (Swift.min(lo, hi), hi)
    }

    /// Calls `body(i, j, tapH, tapW, hLo, hHi, wLo, wHi)` for every kernel tap (i, j), with
    /// its input offsets tapH = i·dilation − pad (and tapW) and the output rows [hLo, hHi)
    /// and columns [wLo, wHi) whose input lies inside the image (possibly empty ranges).
    /// Output (r, q) of tap (i, j) reads input (r·strideH + tapH, q·strideW + tapW).
    /// The one tap loop of im2col, col2im and the depthwise kernels.
    @inlinable @inline(__always)
    public func forEachTap(_ body: (_ i: Int, _ j: Int, _ tapH: Int, _ tapW: Int,
                                    _ hLo: Int, _ hHi: Int, _ wLo: Int, _ wHi: Int) -> Void) {
        let oh = outHeight, ow = outWidth
        for i in 0..<kernelH {
            let tapH = i * dilationH - padH
            let (hLo, hHi) = ConvGeometry.validRange(out: oh, in: height, stride: strideH, tap: tapH)
            for j in 0..<kernelW {
                let tapW = j * dilationW - padW
                let (wLo, wHi) = ConvGeometry.validRange(out: ow, in: width, stride: strideW, tap: tapW)
                body(i, j, tapH, tapW, hLo, hHi, wLo, wHi)
            }
        }
    }
}
