import Kernels
import Tensor

/// y = x·Wᵀ + b over the last dimension (PyTorch's `nn.Linear`); leading dimensions are
/// batch dimensions.
public final class Linear: Module, ShapeInferring {
    public let typeName = "Linear"
    public var training = true
    /// [out_features, in_features]
    public var weight: Parameter
    public var bias: Parameter?

    public var inFeatures: Int { weight.value.shape[1] }
    public var outFeatures: Int { weight.value.shape[0] }

    private var cache: Tensor?

    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true) throws {
        try Check.positive(inFeatures, "in_features", "Linear")
        try Check.positive(outFeatures, "out_features", "Linear")
        weight = Parameter(try Init.defaultWeight([outFeatures, inFeatures], "Linear"))
        self.bias = bias ? Parameter(try Init.defaultBias(outFeatures, fanIn: inFeatures, "Linear")) : nil
    }

    public var parameters: [(name: String, parameter: Parameter)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    public var extraDescription: String {
        "in_features=\(inFeatures), out_features=\(outFeatures), bias=\(bias != nil ? "True" : "False")"
    }

    private func checkInput(_ input: Tensor) throws {
        guard input.dim >= 1, input.shape[input.dim - 1] == inFeatures else {
            throw TensorError("linear: input has \(input.dim >= 1 ? input.shape[input.dim - 1] : 0) features (shape \(shapeString(input.shape))), layer expects \(inFeatures)")
        }
    }

    public func forwardShape(_ input: Tensor) throws -> Tensor {
        try checkInput(input)
        return try Tensor(zeros: Array(input.shape.dropLast()) + [outFeatures])
    }

    public func forward(_ input: Tensor) throws -> Tensor {
        try checkInput(input)
        let x = try input.toFloat().contiguous()
        let rows = x.numel / inFeatures, out = outFeatures
        let y = try Tensor(uninitialized: Array(x.shape.dropLast()) + [out]), q = y.ptr
        try bias?.value.withContiguousFloats { b in
            for r in 0..<rows { (q + r * out).update(from: b, count: out) }
        }
        if rows > 0 {
            try x.withFloats { xp in try weight.value.withContiguousFloats { wp in
                Linear.gemm(rows * out * inFeatures) {
                    BLAS.sgemm(transA: false, transB: true, m: rows, n: out, k: inFeatures, a: xp, lda: inFeatures,
                               b: wp, ldb: inFeatures, beta: bias == nil ? 0 : 1, c: q, ldc: out)
                }
            } }
        }
        cache = GradMode.enabled ? x : nil
        return y
    }

    public func backward(_ gradOutput: Tensor) throws -> Tensor {
        guard let x = cache else { throw noForward("linear") }
        let dy = try Check.grad(gradOutput, Array(x.shape.dropLast()) + [outFeatures], "linear")
        let rows = x.numel / inFeatures, out = outFeatures, inF = inFeatures
        let dx = try Tensor(zeros: x.shape)
        guard rows > 0 else { return dx }
        let gw = weight.requiresGrad ? try weight.gradBuffer() : nil
        try dy.withFloats { g in try weight.value.withContiguousFloats { wp in
            Linear.gemm(rows * out * inF) {
                BLAS.sgemm(transA: false, transB: false, m: rows, n: inF, k: out, a: g, lda: out,
                           b: wp, ldb: inF, c: dx.ptr, ldc: inF)
                if let gw {
                    BLAS.sgemm(transA: true, transB: false, m: out, n: inF, k: rows, a: g, lda: out,
                               b: x.ptr, ldb: inF, beta: 1, c: gw.ptr, ldc: inF)
                }
            }
        } }
        if let b = bias, b.requiresGrad {
            let gb = try b.gradBuffer()
            dy.withFloats { g in
                for j in 0..<out {
                    var s = 0.0
                    for r in 0..<rows { s += Double(g[r * out + j]) }
                    gb.ptr[j] += Float(s)
                }
            }
        }
        return dx
    }

    /// Runs a GEMM of `macs` multiply-adds: single-threaded when small (threaded OpenBLAS
    /// gains nothing there, and its workers keep spinning afterwards, stealing cycles
    /// from the convolution kernels that follow).
    static func gemm(_ macs: Int, _ body: () -> Void) {
        if macs < 1 << 26 { BLAS.singleThreaded(body) } else { body() }
    }
}
