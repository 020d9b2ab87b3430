import Tensor

/// What a convolution's output pass applies to each output value of channel `o`, while
/// the value is still in cache: y = act((acc + bias[o])·scale[o] + shift[o] + residual),
/// with `acc` the plain convolution sum, each step in that order and rounded as the
/// separate layers round it (bias add, BatchNorm's x·scale + shift, the residual sum,
/// ReLU's max(x, 0)), so the fused result is bit-equal to the layer-by-layer one; then,
/// with `gate`, y where the gate is positive and 0 elsewhere (`ReLUGate`: an input
/// gradient written straight behind the ReLU that produced the input). An
/// evaluation-mode BatchNorm after the convolution is `scale` = γ/√(var + ε) and `shift` =
/// β − mean·scale; `residual` is a tensor of the output's shape (a ResNet block's shortcut).
/// Nothing is folded into the weights, so no copy of them can go stale when they change.
public struct ConvEpilogue {
    /// Per output channel (the convolution's bias); nil = none.
    public var bias: UnsafePointer<Float>?
    /// Per output channel; nil = 1.
    public var scale: UnsafePointer<Float>?
    /// Per output channel, added after `scale`; nil = none.
    public var shift: UnsafePointer<Float>?
    /// [N, Cout, OH, OW] like the output, or nil.
    public var residual: UnsafePointer<Float>?
    public var relu: Bool
    /// After the ReLU, values above it become it (ReLU6: 6); nil = none. NaN stays NaN.
    /// Im2col, taps and depthwise passes apply it as they write; the other kernels clamp
    /// their output afterwards (`Conv2dKernel.forward`).
    public var upper: Float?
    /// [N, Cout, OH, OW] like the output, or nil: the value passes where the gate is
    /// positive and is 0 elsewhere (a NaN gate gives 0), after every other step.
    public var gate: UnsafePointer<Float>?

    public init(bias: UnsafePointer<Float>? = nil, scale: UnsafePointer<Float>? = nil, shift: UnsafePointer<Float>? = nil,
                residual: UnsafePointer<Float>? = nil, relu: Bool = false, upper: Float? = nil,
                gate: UnsafePointer<Float>? = nil) {
        self.bias = bias; self.scale = scale; self.shift = shift; self.residual = residual; self.relu = relu
        self.upper = upper; self.gate = gate
    }

    /// Whether the pass changes anything (else a GEMM's output is final as it stands).
    @inlinable
    public var isIdentity: Bool {
        bias == nil && scale == nil && shift == nil && residual == nil && !relu && upper == nil && gate == nil
    }

    /// Whether the pass is a bias add at most.
    @inlinable
    public var isBiasOnly: Bool { scale == nil && shift == nil && residual == nil && !relu && upper == nil && gate == nil }

    /// dst[q] = act((src[q] + bias[c])·scale[c] + shift[c] + res[q]) for q < count, `res` the
    /// residual row at `at` (floats from the output's start); `src` may be `dst`. 16 floats a
    /// step, then 8 and 4 (rows of 8×8 and 4×4 planes: a scalar tail was a sixth of batch-1
    /// inference), each value by the same operations.
    @inlinable
    public func apply(_ src: UnsafePointer<Float>, to dst: UnsafeMutablePointer<Float>, count: Int,
                      channel c: Int, at: Int) {
        let p = Channel(self, c)
        let hasB = p.hasB, hasA = p.hasA, hasS = p.hasS, b = p.b, a = p.a, t = p.t
        let r = residual.map { $0 + at }, gt = gate.map { $0 + at }, hasU = upper != nil, u = upper ?? 0
        var q = 0
        while q + 16 <= count {
            var v = UnsafeRawPointer(src + q).loadUnaligned(as: SIMD16<Float>.self)
            if hasB { v += SIMD16(repeating: b) }
            if hasA { v *= SIMD16(repeating: a) }
            if hasS { v += SIMD16(repeating: t) }
            if let r { v += UnsafeRawPointer(r + q).loadUnaligned(as: SIMD16<Float>.self) }
            if relu { v = v.replacing(with: 0, where: v .< 0) }
            if hasU { v = v.replacing(with: u, where: v .> u) }
            if let gt { v = SIMD16(repeating: 0).replacing(with: v, where: UnsafeRawPointer(gt + q).loadUnaligned(as: SIMD16<Float>.self) .> 0) }
            UnsafeMutableRawPointer(dst + q).storeBytes(of: v, as: SIMD16<Float>.self)
            q += 16
        }
        if q + 8 <= count {
            var v = UnsafeRawPointer(src + q).loadUnaligned(as: SIMD8<Float>.self)
            if hasB { v += SIMD8(repeating: b) }
            if hasA { v *= SIMD8(repeating: a) }
            if hasS { v += SIMD8(repeating: t) }
            if let r { v += UnsafeRawPointer(r + q).loadUnaligned(as: SIMD8<Float>.self) }
            if relu { v = v.replacing(with: 0, where: v .< 0) }
            if hasU { v = v.replacing(with: u, where: v .> u) }
            if let gt { v = SIMD8(repeating: 0).replacing(with: v, where: UnsafeRawPointer(gt + q).loadUnaligned(as: SIMD8<Float>.self) .> 0) }
            UnsafeMutableRawPointer(dst + q).storeBytes(of: v, as: SIMD8<Float>.self)
            q += 8
        }
        if q + 4 <= count {
            p.store(UnsafeRawPointer(src + q).loadUnaligned(as: SIMD4<Float>.self), to: dst + q, at: at + q)
            q += 4
        }
        while q < count {
            var v = src[q]
            if hasB { v += b }
            if hasA { v *= a }
            if hasS { v += t }
            if let r { v += r[q] }
            if relu { v = max(v, 0) }
            if hasU && v > u { v = u }
            if let gt { v = gt[q] > 0 ? v : 0 }
            dst[q] = v
            q += 1
        }
    }

    /// The pass of one output channel, for kernels that store a few values at a time
    /// (Winograd's 4-wide tile rows): the same steps in the same order as `apply`.
    public struct Channel {
        public let hasB: Bool, hasA: Bool, hasS: Bool, relu: Bool, hasU: Bool
        public let b: Float, a: Float, t: Float, u: Float
        public let residual: UnsafePointer<Float>?, gate: UnsafePointer<Float>?

        @inlinable
        public init(_ e: ConvEpilogue, _ c: Int) {
            hasB = e.bias != nil; hasA = e.scale != nil; hasS = e.shift != nil; relu = e.relu
            hasU = e.upper != nil; u = e.upper ?? 0
            b = e.bias?[c] ?? 0; a = e.scale?[c] ?? 1; t = e.shift?[c] ?? 0
            residual = e.residual; gate = e.gate
        }

        /// dst[0..<4] = the pass of v, `at` the floats from the output's start to dst.
        @inline(__always)
        public func store(_ v: SIMD4<Float>, to dst: UnsafeMutablePointer<Float>, at: Int) {
            var v = v
            if hasB { v += SIMD4(repeating: b) }
            if hasA { v *= SIMD4(repeating: a) }
            if hasS { v += SIMD4(repeating: t) }
            if let r = residual { v += UnsafeRawPointer(r + at).loadUnaligned(as: SIMD4<Float>.self) }
            if relu { v = v.replacing(with: 0, where: v .< 0) }
            if hasU { v = v.replacing(with: u, where: v .> u) }
            if let g = gate { v = SIMD4(repeating: 0).replacing(with: v, where: UnsafeRawPointer(g + at).loadUnaligned(as: SIMD4<Float>.self) .> 0) }
            UnsafeMutableRawPointer(dst).storeBytes(of: v, as: SIMD4<Float>.self)
        }
    }

    /// Applies the pass in place to whole output images lo ..< hi of `y` ([N, C, P]).
    @inlinable
    public func apply(images lo: Int, _ hi: Int, channels: Int, plane: Int, y: UnsafeMutablePointer<Float>) {
        guard !isIdentity else { return }
        for n in lo..<hi {
            for c in 0..<channels {
                let at = (n * channels + c) * plane
                apply(y + at, to: y + at, count: plane, channel: c, at: at)
            }
        }
    }

    /// y[q] = min(y[q], upper) where y[q] > upper (NaN stays), 16 floats a step.
    public static func clamp(_ y: UnsafeMutablePointer<Float>, count: Int, above upper: Float) {
        var q = 0
        while q + 16 <= count {
            let v = UnsafeRawPointer(y + q).loadUnaligned(as: SIMD16<Float>.self)
            UnsafeMutableRawPointer(y + q).storeBytes(of: v.replacing(with: upper, where: v .> upper), as: SIMD16<Float>.self)
            q += 16
        }
        while q < count {
            if y[q] > upper { y[q] = upper }
            q += 1
        }
    }
}
