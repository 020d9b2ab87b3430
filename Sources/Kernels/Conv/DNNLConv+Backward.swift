import CDNNL
import Tensor

extension DNNLConv {
    /// The backward-data and backward-weights primitives of one geometry.
    final class Backward {
        let hint: OpaquePointer, dataPD: OpaquePointer, weightsPD: OpaquePointer
        let data: OpaquePointer, weights: OpaquePointer
        /// Backward data: ∂L/∂x out, the weights and ∂L/∂y in.
        let dx: DNNLOperand, dataW: DNNLOperand, dataDy: DNNLOperand
        /// Backward weights: x and ∂L/∂y in, ∂L/∂w out (added to the user's buffer).
        let wX: DNNLOperand, wDy: DNNLOperand, dw: DNNLOperand

        init(_ g: ConvGeometry, engine: OpaquePointer) throws {
            let shape = DNNLConvShape(g), plain = try shape.plain()
            hint = try shape.forwardDescriptor(bias: false, attr: nil, engine: engine)
            dataPD = try shape.backwardDataDescriptor(hint: hint, engine: engine)
            weightsPD = try shape.backwardWeightsDescriptor(hint: hint, engine: engine)
            dx = try DNNLOperand(user: plain.src, inner: DNNL.query(dataPD, dnnl_query_diff_src_md), engine: engine, toUser: true)
            dataW = try DNNLOperand(user: plain.weights, inner: DNNL.query(dataPD, dnnl_query_weights_md), engine: engine, toInner: true)
            dataDy = try DNNLOperand(user: plain.dst, inner: DNNL.query(dataPD, dnnl_query_diff_dst_md), engine: engine, toInner: true)
            wX = try DNNLOperand(user: plain.src, inner: DNNL.query(weightsPD, dnnl_query_src_md), engine: engine, toInner: true)
            wDy = try DNNLOperand(user: plain.dst, inner: DNNL.query(weightsPD, dnnl_query_diff_dst_md), engine: engine, toInner: true)
            dw = try DNNLOperand(user: plain.weights, inner: DNNL.query(weightsPD, dnnl_query_diff_weights_md), engine: engine,
                                 toUser: true, accumulate: true)
            data = try DNNL.primitive(dataPD)
            weights = try DNNL.primitive(weightsPD)
        }

        deinit {
            dnnl_primitive_destroy(data); dnnl_primitive_destroy(weights)
            for pd in [dataPD, weightsPD, hint] { dnnl_primitive_desc_destroy(pd) }
        }
    }

    /// Gradients through oneDNN, with `Conv2dKernel.backward`'s contract: `dx` (if given)
    /// is overwritten with ∂L/∂x; ∂L/∂weight and ∂L/∂bias are ADDED to `dw` and `db`.
    /// ∂L/∂bias is the same double-accumulated plane sum as the reference path.
    public static func backward(_ g: ConvGeometry, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>?,
                                dw: UnsafeMutablePointer<Float>?, db: UnsafeMutablePointer<Float>?) throws {
        try require(g)
        guard g.batch > 0 else { return }
        try DNNL.locked { engine, stream in
            let p = try cached(Key(g, pass: 1)) { try Backward(g, engine: engine) }
            // ∂L/∂y is reordered once when both passes take the same layout.
            let shareDy = dx != nil && dw != nil && DNNL.same(p.dataDy.inner, p.wDy.inner)
            if let dx {
                try Scratch.with(p.dataDy.innerFloats, p.dataW.innerFloats, p.dx.innerFloats, 1) { dyb, wb, dxb, _ in
                    let dys = try p.dataDy.inward(dy, dyb, engine: engine, stream: stream)
                    let ws = try p.dataW.inward(weight, wb, engine: engine, stream: stream)
                    let out = p.dx.isPlain ? UnsafeMutableRawPointer(dx) : UnsafeMutableRawPointer(dxb)
                    try DNNL.execute(p.data, [(DNNL_ARG_DIFF_DST, p.dataDy.inner, dys), (DNNL_ARG_WEIGHTS, p.dataW.inner, ws),
                                              (DNNL_ARG_DIFF_SRC, p.dx.inner, out)], engine: engine, stream: stream)
                    try p.dx.outward(dxb, dx, engine: engine, stream: stream)
                    if shareDy, let dw {
                        try weightGradient(p, x: x, dy: dys, dyReordered: true, dw: dw, engine: engine, stream: stream)
                    }
                }
            }
            if let dw, !shareDy {
                try weightGradient(p, x: x, dy: UnsafeMutableRawPointer(mutating: dy), dyReordered: false, dw: dw,
                                   engine: engine, stream: stream)
            }
        }
        if let db { Conv2dKernel.addBiasGradient(g, dy: dy, db: db) }
        try Interrupt.check("conv2d backward")
    }

    /// dw += ∂L/∂w; `dy` already in the backward-weights layout when `dyReordered`.
    private static func weightGradient(_ p: Backward, x: UnsafePointer<Float>, dy: UnsafeMutableRawPointer,
                                       dyReordered: Bool, dw: UnsafeMutablePointer<Float>,
                                       engine: OpaquePointer, stream: OpaquePointer) throws {
        try Scratch.with(p.wX.innerFloats, dyReordered ? 0 : p.wDy.innerFloats, p.dw.innerFloats, 1) { xb, dyb, dwb, _ in
            let xs = try p.wX.inward(x, xb, engine: engine, stream: stream)
            let dys = dyReordered ? dy : try p.wDy.inward(dy, dyb, engine: engine, stream: stream)
            try DNNL.execute(p.weights, [(DNNL_ARG_SRC, p.wX.inner, xs), (DNNL_ARG_DIFF_DST, p.wDy.inner, dys),
                                         (DNNL_ARG_DIFF_WEIGHTS, p.dw.inner, UnsafeMutableRawPointer(dwb))],
                             engine: engine, stream: stream)
            try p.dw.outward(dwb, dw, engine: engine, stream: stream)
        }
    }
}
