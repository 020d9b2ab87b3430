import CDNNL
import Tensor

/// One operand of a oneDNN convolution: the user's plain layout (NCHW / OIHW), the
/// layout the primitive chose (often blocked, e.g. nChw8c), and the reorders between them
/// (nil when the layouts are the same, or when that direction is not needed).
final class DNNLOperand {
    let user: dnnl_memory_desc_t, inner: dnnl_memory_desc_t
    let isPlain: Bool
    /// Floats of an inner-layout buffer (0 when plain: the user's buffer is used).
    let innerFloats: Int
    let toInner: OpaquePointer?, toUser: OpaquePointer?

    init(user: dnnl_memory_desc_t, inner: dnnl_memory_desc_t, engine: OpaquePointer,
         toInner: Bool = false, toUser: Bool = false, accumulate: Bool = false) throws {
        self.user = user; self.inner = inner
        isPlain = DNNL.same(user, inner) && !accumulate
        innerFloats = isPlain ? 0 : DNNL.floats(inner)
        self.toInner = !isPlain && toInner ? try DNNL.reorder(user, inner, engine: engine) : nil
        self.toUser = !isPlain && toUser ? try DNNL.reorder(inner, user, engine: engine, accumulate: accumulate) : nil
    }

    deinit {
        if let toInner { dnnl_primitive_destroy(toInner) }
        if let toUser { dnnl_primitive_destroy(toUser) }
    }

    /// The operand in the inner layout: `data` itself when plain, else reordered into `buffer`.
    func inward(_ data: UnsafeRawPointer, _ buffer: UnsafeMutablePointer<Float>,
                engine: OpaquePointer, stream: OpaquePointer) throws -> UnsafeMutableRawPointer {
        let d = UnsafeMutableRawPointer(mutating: data)
        guard !isPlain, let toInner else { return d }
        try DNNL.execute(toInner, [(DNNL_ARG_FROM, user, d), (DNNL_ARG_TO, inner, UnsafeMutableRawPointer(buffer))],
                         engine: engine, stream: stream)
        return UnsafeMutableRawPointer(buffer)
    }

    /// Writes (or, for an accumulating operand, adds) the inner-layout `buffer` to `data`.
    func outward(_ buffer: UnsafeMutablePointer<Float>, _ data: UnsafeMutableRawPointer,
                 engine: OpaquePointer, stream: OpaquePointer) throws {
        guard !isPlain, let toUser else { return }
        try DNNL.execute(toUser, [(DNNL_ARG_FROM, inner, UnsafeMutableRawPointer(buffer)), (DNNL_ARG_TO, user, data)],
                         engine: engine, stream: stream)
    }
}

/// The shapes of a convolution as oneDNN takes them (dilation counted from 0, right
/// padding chosen so the output has PyTorch's size).
struct DNNLConvShape {
    let src: [Int], weights: [Int], dst: [Int]
    let strides: [Int64], dilates: [Int64], padL: [Int64], padR: [Int64]

    init(_ g: ConvGeometry) {
        src = [g.batch, g.inChannels, g.height, g.width]
        dst = [g.batch, g.outChannels, g.outHeight, g.outWidth]
        weights = g.groups == 1 ? [g.outChannels, g.inChannels, g.kernelH, g.kernelW]
            : [g.groups, g.groupOut, g.groupIn, g.kernelH, g.kernelW]
        strides = [Int64(g.strideH), Int64(g.strideW)]
        dilates = [Int64(g.dilationH - 1), Int64(g.dilationW - 1)]
        padL = [Int64(g.padH), Int64(g.padW)]
        let rh = (g.outHeight - 1) * g.strideH + (g.kernelH - 1) * g.dilationH + 1 - g.height - g.padH
        let rw = (g.outWidth - 1) * g.strideW + (g.kernelW - 1) * g.dilationW + 1 - g.width - g.padW
        padR = [Int64(rh), Int64(rw)]
    }

    var weightsTag: dnnl_format_tag_t { weights.count == 4 ? dnnl_oihw : dnnl_goihw }

    /// Plain (user) layouts of the three tensors.
    func plain() throws -> (src: dnnl_memory_desc_t, weights: dnnl_memory_desc_t, dst: dnnl_memory_desc_t) {
        (try DNNL.desc(src, dnnl_nchw), try DNNL.desc(weights, weightsTag), try DNNL.desc(dst, dnnl_nchw))
    }

    /// "Any" layouts: the primitive chooses.
    func any() throws -> (src: dnnl_memory_desc_t, weights: dnnl_memory_desc_t, dst: dnnl_memory_desc_t) {
        (try DNNL.desc(src, dnnl_format_tag_any), try DNNL.desc(weights, dnnl_format_tag_any),
         try DNNL.desc(dst, dnnl_format_tag_any))
    }

    /// The forward-training primitive descriptor (with `attr`, or none), optionally with a bias.
    func forwardDescriptor(bias: Bool, attr: OpaquePointer?, engine: OpaquePointer) throws -> OpaquePointer {
        var (s, w, d) = try any()
        var b = bias ? try DNNL.desc([dst[1]], dnnl_x) : dnnl_memory_desc_t()
        var cd = dnnl_convolution_desc_t(), pd: OpaquePointer?
        try DNNL.check(dnnl_dilated_convolution_forward_desc_init(&cd, dnnl_forward_training, dnnl_convolution_direct,
                                                                  &s, &w, &b, &d, strides, dilates, padL, padR),
                       "convolution_forward_desc_init")
        try DNNL.check(dnnl_primitive_desc_create(&pd, &cd, attr, engine, nil), "convolution forward primitive_desc_create")
        return pd!
    }

    /// The backward-data primitive descriptor, given the forward one as hint.
    func backwardDataDescriptor(hint: OpaquePointer, engine: OpaquePointer) throws -> OpaquePointer {
        var (s, w, d) = try any()
        var cd = dnnl_convolution_desc_t(), pd: OpaquePointer?
        try DNNL.check(dnnl_dilated_convolution_backward_data_desc_init(&cd, dnnl_convolution_direct, &s, &w, &d,
                                                                        strides, dilates, padL, padR),
                       "convolution_backward_data_desc_init")
        try DNNL.check(dnnl_primitive_desc_create(&pd, &cd, nil, engine, hint), "convolution backward-data primitive_desc_create")
        return pd!
    }

    /// The backward-weights primitive descriptor (no bias gradient), given the forward one as hint.
    func backwardWeightsDescriptor(hint: OpaquePointer, engine: OpaquePointer) throws -> OpaquePointer {
        var (s, w, d) = try any()
        var noBias = dnnl_memory_desc_t()
        var cd = dnnl_convolution_desc_t(), pd: OpaquePointer?
        try DNNL.check(dnnl_dilated_convolution_backward_weights_desc_init(&cd, dnnl_convolution_direct, &s, &w, &noBias, &d,
                                                                           strides, dilates, padL, padR),
                       "convolution_backward_weights_desc_init")
        try DNNL.check(dnnl_primitive_desc_create(&pd, &cd, nil, engine, hint), "convolution backward-weights primitive_desc_create")
        return pd!
    }
}
