import CDNNL
import Tensor

/// Convolution through oneDNN (Debian's libdnnl 2.6) behind the same interface as
/// `Conv2dKernel`: NCHW float32 in and out, OIHW weights. oneDNN chooses its own (blocked)
/// layouts; activations and weights are reordered to them and back on every call, and the
/// primitives for a geometry (with its output-pass signature) are created once and cached.
/// The weights are not cached: their reorder is a few µs against the convolution's ms
/// (measured), so no reordered copy can go stale when the weights change.
///
/// The output pass (`ConvEpilogue`) runs as oneDNN post-ops in the same order: bias (the
/// convolution's), BatchNorm scale (binary mul) and shift (binary add), the residual
/// (sum post-op into a destination holding the shortcut), ReLU (eltwise) — except where
/// oneDNN would leave its JIT kernels for that (see `split`). Results agree
/// with `Conv2dKernel` to rounding (the summation order differs), not bit for bit.
/// Errors (an unsupported geometry, a failed allocation) are thrown as `DNNLError`.
public enum DNNLConv {
    /// Primitives per key; cleared when it grows past `cacheLimit` entries.
    nonisolated(unsafe) static var cache: [Key: AnyObject] = [:]
    static let cacheLimit = 128

    struct Key: Hashable {
        let dims: [Int], pass: Int, signature: Int
        init(_ g: ConvGeometry, pass: Int, signature: Int = 0) {
            dims = [g.batch, g.inChannels, g.height, g.width, g.outChannels, g.groups, g.kernelH, g.kernelW,
                    g.strideH, g.strideW, g.padH, g.padW, g.dilationH, g.dilationW]
            self.pass = pass; self.signature = signature
        }
    }

    /// The cached object for `key`, made by `make` on a miss (call under `DNNL.locked`).
    static func cached<T: AnyObject>(_ key: Key, _ make: () throws -> T) throws -> T {
        if let hit = cache[key] as? T { return hit }
        if cache.count >= cacheLimit { cache.removeAll() }
        let made = try make()
        cache[key] = made
        return made
    }

    /// The forward primitive of one geometry and output-pass signature.
    final class Forward {
        let pd: OpaquePointer, conv: OpaquePointer
        let src: DNNLOperand, weights: DNNLOperand, dst: DNNLOperand
        let scaleIndex: Int?, shiftIndex: Int?, sum: Bool, bias: Bool
        let channelMD: dnnl_memory_desc_t

        init(_ g: ConvGeometry, _ e: ConvEpilogue, engine: OpaquePointer) throws {
            let shape = DNNLConvShape(g)
            channelMD = try DNNL.desc([1, g.outChannels, 1, 1], dnnl_nchw)
            var attr: OpaquePointer?, ops: OpaquePointer?
            try DNNL.check(dnnl_primitive_attr_create(&attr), "primitive_attr_create")
            try DNNL.check(dnnl_post_ops_create(&ops), "post_ops_create")
            defer { dnnl_post_ops_destroy(ops); dnnl_primitive_attr_destroy(attr) }
            var n = 0, md = channelMD
            scaleIndex = e.scale != nil ? n : nil
            if e.scale != nil { try DNNL.check(dnnl_post_ops_append_binary(ops, dnnl_binary_mul, &md), "append_binary"); n += 1 }
            shiftIndex = e.shift != nil ? n : nil
            if e.shift != nil { try DNNL.check(dnnl_post_ops_append_binary(ops, dnnl_binary_add, &md), "append_binary"); n += 1 }
            sum = e.residual != nil
            if sum { try DNNL.check(dnnl_post_ops_append_sum(ops, 1), "append_sum") }
            if e.relu { try DNNL.check(dnnl_post_ops_append_eltwise(ops, 1, dnnl_eltwise_relu, 0, 0), "append_eltwise") }
            try DNNL.check(dnnl_primitive_attr_set_post_ops(attr, ops), "attr_set_post_ops")
            bias = e.bias != nil
            pd = try shape.forwardDescriptor(bias: bias, attr: attr, engine: engine)
            let plain = try shape.plain()
            src = try DNNLOperand(user: plain.src, inner: DNNL.query(pd, dnnl_query_src_md), engine: engine, toInner: true)
            weights = try DNNLOperand(user: plain.weights, inner: DNNL.query(pd, dnnl_query_weights_md), engine: engine, toInner: true)
            dst = try DNNLOperand(user: plain.dst, inner: DNNL.query(pd, dnnl_query_dst_md), engine: engine,
                                  toInner: sum, toUser: true)
            conv = try DNNL.primitive(pd)
        }

        deinit { dnnl_primitive_destroy(conv); dnnl_primitive_desc_destroy(pd) }
    }

    /// The signature of an output pass (which parts are present) for the cache key.
    static func signature(_ e: ConvEpilogue) -> Int {
        (e.bias != nil ? 1 : 0) | (e.scale != nil ? 2 : 0) | (e.shift != nil ? 4 : 0)
            | (e.residual != nil ? 8 : 0) | (e.relu ? 16 : 0)
    }

    /// Throws for a geometry oneDNN cannot run (`supports`), before oneDNN sees it.
    static func require(_ g: ConvGeometry) throws {
        guard supports(g) || g.batch == 0 else {
            throw DNNLError(description: "conv2d: oneDNN cannot run this geometry (\(g.inChannels)→\(g.outChannels), kernel \(g.kernelH)×\(g.kernelW), stride \(g.strideH)): its right padding would be negative or it is depthwise")
        }
    }

    /// y = epilogue(conv(x, weight)) through oneDNN (`y` [N, Cout, OH, OW] fully overwritten).
    public static func forward(_ g: ConvGeometry, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                               epilogue e: ConvEpilogue, y: UnsafeMutablePointer<Float>) throws {
        try require(g)
        guard g.batch > 0 else { return }
        let (e, rest) = split(e)
        try DNNL.locked { engine, stream in
            let p = try cached(Key(g, pass: 0, signature: signature(e))) { try Forward(g, e, engine: engine) }
            try Scratch.with(p.src.innerFloats, p.weights.innerFloats, p.dst.innerFloats, 1) { sb, wb, db, _ in
                let xs = try p.src.inward(x, sb, engine: engine, stream: stream)
                let ws = try p.weights.inward(weight, wb, engine: engine, stream: stream)
                let out = p.dst.isPlain ? UnsafeMutableRawPointer(y) : UnsafeMutableRawPointer(db)
                if let r = e.residual {
                    if p.dst.isPlain {
                        y.update(from: r, count: g.batch * g.outChannels * g.outPlane)
                    } else {
                        _ = try p.dst.inward(r, db, engine: engine, stream: stream)
                    }
                }
                var args: [DNNL.Arg] = [(DNNL_ARG_SRC, p.src.inner, xs), (DNNL_ARG_WEIGHTS, p.weights.inner, ws),
                                        (DNNL_ARG_DST, p.dst.inner, out)]
                if let b = e.bias { args.append((DNNL_ARG_BIAS, try DNNL.desc([g.outChannels], dnnl_x), UnsafeMutableRawPointer(mutating: b))) }
                if let i = p.scaleIndex, let s = e.scale { args.append((DNNL.postOpSource(i), p.channelMD, UnsafeMutableRawPointer(mutating: s))) }
                if let i = p.shiftIndex, let s = e.shift { args.append((DNNL.postOpSource(i), p.channelMD, UnsafeMutableRawPointer(mutating: s))) }
                try DNNL.execute(p.conv, args, engine: engine, stream: stream)
                try p.dst.outward(db, y, engine: engine, stream: stream)
            }
        }
        if let rest {
            try ParallelBatch.run(g.batch, op: "conv2d") { _, lo, hi, _ in
                rest.apply(images: lo, hi, channels: g.outChannels, plane: g.outPlane, y: y)
            }
        }
        try Interrupt.check("conv2d")
    }

    /// The post-ops oneDNN 2.6 runs on its JIT kernels, and the rest for our own output
    /// pass: a sum (the residual) after binary post-ops (BatchNorm's scale or shift)
    /// sends it to its slow reference kernel, so then the residual add and the ReLU run
    /// afterwards as `ConvEpilogue` does them (the same order of operations); a gate has
    /// no post-op and always runs afterwards.
    static func split(_ e: ConvEpilogue) -> (ConvEpilogue, ConvEpilogue?) {
        var head = e
        head.gate = nil
        guard e.residual != nil, e.scale != nil || e.shift != nil else {
            return (head, e.gate.map { ConvEpilogue(gate: $0) })
        }
        head.residual = nil; head.relu = false
        return (head, ConvEpilogue(residual: e.residual, relu: e.relu, gate: e.gate))
    }

    /// The implementation oneDNN picks for a geometry's forward, backward-data and
    /// backward-weights passes (e.g. "jit:avx2"), for reports and benchmarks.
    public static func implementations(_ g: ConvGeometry) throws -> [String] {
        try DNNL.locked { engine, _ in
            let f = try cached(Key(g, pass: 0)) { try Forward(g, ConvEpilogue(), engine: engine) }
            let b = try cached(Key(g, pass: 1)) { try Backward(g, engine: engine) }
            return [DNNL.implementation(f.pd), DNNL.implementation(b.dataPD), DNNL.implementation(b.weightsPD)]
        }
    }
}
