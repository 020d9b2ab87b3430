/// A window sliding over a plane: kernel size, stride, zero padding and dilation along
/// height and width. Convolution (`ConvGeometry`) and pooling (`PoolGeometry`) share it,
/// with PyTorch's output-size rule.
public struct Window2d: Equatable, Sendable {
    public var kernelH: Int, kernelW: Int
    public var strideH: Int, strideW: Int
    public var padH: Int, padW: Int
    public var dilationH: Int, dilationW: Int

    public init(kernel: (Int, Int), stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0),
                dilation: (Int, Int) = (1, 1)) {
        kernelH = kernel.0; kernelW = kernel.1; strideH = stride.0; strideW = stride.1
        padH = padding.0; padW = padding.1; dilationH = dilation.0; dilationW = dilation.1
    }

    /// Output rows for `height` input rows (0 or less: the window does not fit).
    @inlinable
    public func outHeight(_ height: Int, ceil: Bool = false) -> Int {
        Window2d.outputSize(height, kernel: kernelH, stride: strideH, pad: padH, dilation: dilationH, ceil: ceil)
    }

    /// Output columns for `width` input columns.
    @inlinable
    public func outWidth(_ width: Int, ceil: Bool = false) -> Int {
        Window2d.outputSize(width, kernel: kernelW, stride: strideW, pad: padW, dilation: dilationW, ceil: ceil)
    }

    /// PyTorch's output size along one axis: ⌊(n + 2·pad − dilation·(k − 1) − 1) / stride⌋ + 1,
    /// rounded up instead in ceil mode (pooling), where the last window must start inside
    /// the input or its left padding.
    @inlinable
    public static func outputSize(_ n: Int, kernel: Int, stride: Int, pad: Int, dilation: Int, ceil: Bool) -> Int {
        let span = n + 2 * pad - dilation * (kernel - 1) - 1 + (ceil ? stride - 1 : 0)
        var out = (span >= 0 ? span / stride : -1) + 1
        if ceil && out > 0 && (out - 1) * stride >= n + pad { out -= 1 }
        return out
    }
}

/// A geometry with a `Window2d`, whose kernel, stride, padding and dilation it reads as
/// its own (`g.kernelH` for `g.window.kernelH`).
public protocol Windowed {
    var window: Window2d { get }
}

extension Windowed {
    @inlinable public var kernelH: Int { window.kernelH }
    @inlinable public var kernelW: Int { window.kernelW }
    @inlinable public var strideH: Int { window.strideH }
    @inlinable public var strideW: Int { window.strideW }
    @inlinable public var padH: Int { window.padH }
    @inlinable public var padW: Int { window.padW }
    @inlinable public var dilationH: Int { window.dilationH }
    @inlinable public var dilationW: Int { window.dilationW }
}
