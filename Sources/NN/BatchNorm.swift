import Foundation
import Kernels
import Tensor

/// Batch normalisation (PyTorch's `_BatchNorm`): batch statistics in training mode
/// (updating `running_mean` / `running_var` with `momentum`, the variance unbiased),
/// running statistics in evaluation mode. `BatchNorm2d` takes [N, C, H, W],
/// `BatchNorm1d` [N, C] or [N, C, L]. The channel count is that of the buffers, so
/// pruning replaces weight, bias and both running buffers together.
public class BatchNorm: Module {
    public var typeName: String { "BatchNorm" }
    public var training = true
    /// γ and β, nil when not affine.
    public var weight: Parameter?
    public var bias: Parameter?
    public var runningMean: Tensor
    public var runningVar: Tensor
    /// int64 scalar, as PyTorch saves it.
    public var numBatchesTracked: Tensor
    public var eps: Double
    /// Update factor of the running statistics; nil = cumulative average (PyTorch's
    /// momentum=None).
    public var momentum: Double?
    /// The ranks whose training batches this layer normalises over as one (`SyncBatchNorm`,
    /// and the BatchNorms inside an `ACConv2d` that `SyncBatchNorm.convert` reaches); nil:
    /// this process's batch only.
    public var collective: (any Collective)?
    public var trackRunningStats: Bool

    public var numFeatures: Int { runningMean.numel }

    /// What backward needs; `count` is the number of values the batch statistics cover
    /// (over every rank when `synced`). Internal: fused inference clears it.
    /// `gate`: the forward's scale and shift when a ReLU was fused after it
    /// (`forward(_:thenReLU:)`); backward then gates its gradient by the ReLU's mask.
    var cache: (x: Tensor, mean: [Float], invstd: [Float], batchStats: Bool, count: Double, synced: Bool,
                gate: (scale: [Float], shift: [Float])?)?

    init(numFeatures features: Int, eps: Double, momentum: Double?, affine: Bool, trackRunningStats: Bool) throws {
        try Check.positive(features, "num_features", "BatchNorm")
        guard eps > 0 else { throw TensorError("BatchNorm: eps must be positive, got \(eps)") }
        if let m = momentum, !(m >= 0 && m <= 1) {
            throw TensorError("BatchNorm: momentum must be in [0, 1], got \(m)")
        }
        let ones = { () throws -> Tensor in
            let t = try Tensor.allocate([features], zeroed: false, "BatchNorm")
            t.fill(1)
            return t
        }
        weight = affine ? Parameter(try ones()) : nil
        bias = affine ? Parameter(try Tensor.allocate([features], "BatchNorm")) : nil
        runningMean = try Tensor.allocate([features], "BatchNorm")
        runningVar = try ones()
        numBatchesTracked = try Tensor(zeros: [], dtype: .int64)
        self.eps = eps; self.momentum = momentum; self.trackRunningStats = trackRunningStats
    }

    public var parameters: [(name: String, parameter: Parameter)] {
        [weight.map { ("weight", $0) }, bias.map { ("bias", $0) }].compactMap { $0 }
    }

    public var buffers: [(name: String, tensor: Tensor)] {
        trackRunningStats ? [("running_mean", runningMean), ("running_var", runningVar),
                             ("num_batches_tracked", numBatchesTracked)] : []
    }

    public func setBuffer(_ name: String, _ value: Tensor) -> Bool {
        switch name {
        case "running_mean": runningMean = value
        case "running_var": runningVar = value
        case "num_batches_tracked": numBatchesTracked = value
        default: return false
        }
        return true
    }

    public var extraDescription: String {
        "\(numFeatures), eps=\(formatNumber(eps)), momentum=\(momentum.map(formatNumber) ?? "None"), affine=\(weight != nil ? "True" : "False"), track_running_stats=\(trackRunningStats ? "True" : "False")"
    }

    /// Checks the input rank and returns (x contiguous, n, c, s).
    func layout(_ input: Tensor) throws -> (Tensor, Int, Int, Int) {
        throw TensorError("BatchNorm: abstract")
    }

    var op: String { typeName.lowercased() }

    public func forward(_ input: Tensor) throws -> Tensor { try forward(input, thenReLU: false) }

    /// The forward, followed by a ReLU in the same pass when `thenReLU` (`Sequential` fuses
    /// a BatchNorm and the ReLU after it while training). Backward then takes the gradient
    /// of the ReLU's output and applies the ReLU's mask itself; given the gradient of the
    /// BatchNorm's own output instead (the ReLU run backward on its own), the mask changes
    /// nothing, as that gradient is already zero where the ReLU let nothing through.
    ///
    /// With `residual` (the input's shape), the output is the BatchNorm's plus `residual`,
    /// then the ReLU when `thenReLU`: a residual block's closing BatchNorm, add and ReLU in
    /// one pass (`Residual` runs it so while training), the same bits as the three. The
    /// ReLU's mask then depends on the sum: backward takes the gradient of the BatchNorm's
    /// own output (the block's ReLU and add run their backward as before).
    func forward(_ input: Tensor, adding residual: Tensor? = nil, thenReLU: Bool) throws -> Tensor {
        let (x, n, c, s) = try layout(input)
        guard c == numFeatures else {
            throw TensorError("\(op): input has \(c) channels, layer expects \(numFeatures)")
        }
        let r = try residual.map { r -> Tensor in
            guard r.shape == x.shape else {
                throw TensorError("residual: body output \(shapeString(x.shape)) and shortcut output \(shapeString(r.shape)) differ")
            }
            return try r.toFloat().contiguous()
        }
        let rp = r.map { UnsafePointer($0.ptr) }
        let useBatch = training || !trackRunningStats
        var mean = [Float](repeating: 0, count: c), invstd = [Float](repeating: 0, count: c)
        var count = n * s, synced = false
        let y = try Tensor(uninitialized: x.shape)
        var written = false
        if useBatch {
            // a synchronised layer's statistics cover every rank's values: it counts them all
            // (an uneven last batch may leave one sample on a rank), after the collective
            guard n * s > 1 || (training && synchronizesBatchStatistics) else {
                throw TensorError("\(op): expected more than 1 value per channel when training, got input shape \(shapeString(x.shape))")
            }
            var m = [Double](repeating: 0, count: c), v = [Double](repeating: 0, count: c)
            if BatchNormKernel.usesPerChannelPasses(s: s) && !(training && synchronizesBatchStatistics) {
                // statistics and output one channel at a time (`BatchNormKernel.normalize`)
                let gamma = weight?.value.toFloats(), beta = bias?.value.toFloats(), eps = eps
                x.withFloats { xp in
                    BatchNormKernel.normalize(xp, n: n, c: c, s: s, residual: rp, relu: thenReLU, mean: &m, variance: &v,
                                              affine: { ch, mm, vv in
                        let (mf, inv) = Self.floatStatistics(mm, vv, eps: eps)
                        return Self.channelAffine(gamma: gamma?[ch] ?? 1, beta: beta?[ch] ?? 0, mean: mf, invstd: inv)
                    }, y: y.ptr)
                }
                written = true
            } else {
                x.withFloats { BatchNormKernel.statistics($0, n: n, c: c, s: s, mean: &m, variance: &v) }
                if training { synced = try synchronize(mean: &m, variance: &v, count: &count) }
                guard count > 1 else {
                    throw TensorError("\(op): expected more than 1 value per channel when training, got \(count) over all ranks (input shape \(shapeString(x.shape)) on this rank)")
                }
            }
            for i in 0..<c { (mean[i], invstd[i]) = Self.floatStatistics(m[i], v[i], eps: eps) }
            if training && trackRunningStats { try updateRunning(m, v, count: count) }
        } else {
            (mean, invstd) = runningStatistics()
        }
        let (scale, shift) = affine(Float.self, mean: mean, invstd: invstd)
        if !written {
            x.withFloats {
                BatchNormKernel.affine($0, n: n, c: c, s: s, scale: scale, shift: shift, residual: rp, relu: thenReLU, y: y.ptr)
            }
        }
        withExtendedLifetime(r) {}
        let gate: (scale: [Float], shift: [Float])? = thenReLU && residual == nil ? (scale, shift) : nil
        cache = GradMode.enabled ? (x, mean, invstd, useBatch, Double(count), synced, gate) : nil
        return y
    }

    /// The running mean and 1/√(running_var + ε) per channel (evaluation mode), in `T`
    /// (the root taken in double, then rounded once).
    func runningStatistics<T: BinaryFloatingPoint>(_ type: T.Type = Float.self) -> (mean: [T], invstd: [T]) {
        let rm = runningMean.toFloats(), rv = runningVar.toFloats()
        return (rm.map { T($0) }, rv.map { T(1 / (Double($0) + eps).squareRoot()) })
    }

    /// y = x·scale + shift per channel: scale = γ·invstd, shift = β − mean·scale, for the
    /// given statistics (a training batch's), or the running ones when they are nil
    /// (evaluation mode). In `T`: Float for forward and fused inference (which therefore
    /// agree to the bit), Double to fold the BN into weights (ACNet, ONNX export).
    public func affine<T: BinaryFloatingPoint>(_ type: T.Type, mean: [T]? = nil, invstd: [T]? = nil)
        -> (scale: [T], shift: [T]) {
        let stats: (mean: [T], invstd: [T])
        if let mean, let invstd { stats = (mean, invstd) } else { stats = runningStatistics(T.self) }
        let c = stats.mean.count
        var scale = [T](repeating: 1, count: c), shift = [T](repeating: 0, count: c)
        let gamma = weight?.value.toFloats(), beta = bias?.value.toFloats()
        for i in 0..<c {
            (scale[i], shift[i]) = Self.channelAffine(gamma: gamma.map { T($0[i]) } ?? 1, beta: beta.map { T($0[i]) } ?? 0,
                                                      mean: stats.mean[i], invstd: stats.invstd[i])
        }
        return (scale, shift)
    }

    /// One channel's scale γ·invstd and shift β − mean·scale (`affine`).
    @inline(__always)
    static func channelAffine<T: BinaryFloatingPoint>(gamma: T, beta: T, mean: T, invstd: T) -> (scale: T, shift: T) {
        let scale = gamma * invstd
        return (scale, beta - mean * scale)
    }

    /// A batch's mean and 1/√(variance + ε) in float, as the forward keeps them.
    @inline(__always)
    static func floatStatistics(_ mean: Double, _ variance: Double, eps: Double) -> (Float, Float) {
        (Float(mean), Float(1 / (variance + eps).squareRoot()))
    }

    /// Whether a training batch's statistics are combined with other processes' before
    /// they are used (a `collective`): then the forward and backward cannot finish one
    /// channel at a time.
    var synchronizesBatchStatistics: Bool { collective != nil }

    /// With a `collective`, combines a training batch's per-channel mean and (biased)
    /// variance over its ranks and returns true; without, leaves them and returns false.
    func synchronize(mean: inout [Double], variance: inout [Double], count: inout Int) throws -> Bool {
        guard let collective else { return false }
        let c = mean.count, k = Double(count)
        var sums = [Double](repeating: 0, count: 1 + 2 * c)
        sums[0] = k
        for i in 0..<c {
            sums[1 + i] = k * mean[i]
            sums[1 + c + i] = k * (variance[i] + mean[i] * mean[i])
        }
        sums = try collective.allreduceSum(sums)
        let total = sums[0]
        for i in 0..<c {
            mean[i] = sums[1 + i] / total
            variance[i] = max(0, sums[1 + c + i] / total - mean[i] * mean[i])
        }
        count = Int(total)
        return true
    }

    /// With a `collective`, sums backward's per-channel Σdy and Σdy·(x − μ) over its ranks.
    func synchronize(sumDy: inout [Double], sumDyX: inout [Double]) throws {
        guard let collective else { return }
        let sums = try collective.allreduceSum(sumDy + sumDyX)
        let c = sumDy.count
        sumDy = Array(sums[0..<c])
        sumDyX = Array(sums[c...])
    }

    func updateRunning(_ m: [Double], _ v: [Double], count: Int) throws {
        if numBatchesTracked.dtype == .int64 { numBatchesTracked.iptr[0] += 1 } else { numBatchesTracked.ptr[0] += 1 }
        let tracked = Double(numBatchesTracked.dtype == .int64 ? Double(numBatchesTracked.iptr[0]) : Double(numBatchesTracked.ptr[0]))
        let f = momentum ?? 1 / max(tracked, 1)
        let unbias = Double(count) / Double(max(count - 1, 1))
        if !runningMean.isContiguous || runningMean.dtype != .float32 { runningMean = try runningMean.toFloat().clone() }
        if !runningVar.isContiguous || runningVar.dtype != .float32 { runningVar = try runningVar.toFloat().clone() }
        for i in 0..<m.count {
            runningMean.ptr[i] = Float((1 - f) * Double(runningMean.ptr[i]) + f * m[i])
            runningVar.ptr[i] = Float((1 - f) * Double(runningVar.ptr[i]) + f * v[i] * unbias)
        }
    }

    public func backward(_ gradOutput: Tensor) throws -> Tensor {
        guard let (x, mean, invstd, batchStats, count, synced, gated) = cache else { throw noForward(op) }
        let dy = try Check.grad(gradOutput, x.shape, op)
        let (_, n, c, s) = try layout(x)
        var sumDy = [Double](repeating: 0, count: c), sumDyX = [Double](repeating: 0, count: c)
        // running statistics and no parameter gradient wanted (Taylor scores, input
        // gradients of a frozen net): the sums are not needed
        let wantSums = batchStats || (weight?.requiresGrad ?? false) || (bias?.requiresGrad ?? false)
        let scale = gated?.scale ?? [], shift = gated?.shift ?? []
        /// The fused ReLU's mask, when there is one.
        func withGate<R>(_ body: (BatchNormGate?) -> R) -> R {
            guard gated != nil else { return body(nil) }
            return scale.withUnsafeBufferPointer { a in shift.withUnsafeBufferPointer { b in
                body(BatchNormGate(scale: a.baseAddress!, shift: b.baseAddress!))
            } }
        }
        let gamma = weight?.value.toFloats()
        /// dx = k·dy + u·x + v per channel: k = γ·inv and, with batch statistics,
        /// dx = γ·inv·(dy − Σdy/M − x̂·Σ(dy·x̂)/M), x̂ = (x − μ)·inv.
        func coefficients(_ i: Int, _ sd: Double, _ sdx: Double) -> (k: Float, u: Float, v: Float) {
            let g = Double(gamma?[i] ?? 1), inv = Double(invstd[i])
            guard batchStats else { return (Float(g * inv), 0, 0) }
            let uu = -g * inv * inv * inv * sdx / count
            return (Float(g * inv), Float(uu), Float(-g * inv * sd / count - uu * Double(mean[i])))
        }
        let dx = try Tensor(uninitialized: x.shape)
        // batch statistics of this process alone: sums and dx one channel at a time
        let perChannel = batchStats && !synced && BatchNormKernel.usesPerChannelPasses(s: s)
        if perChannel {
            dy.withFloats { dyp in
                withGate { gate in
                    BatchNormKernel.gradient(x.ptr, dy: dyp, n: n, c: c, s: s, center: mean, gate: gate, sumDy: &sumDy,
                                             sumDyX: &sumDyX, coefficients: coefficients, dx: dx.ptr)
                }
            }
        } else if wantSums {
            dy.withFloats { dyp in
                withGate { gate in
                    BatchNormKernel.gradientSums(x.ptr, dy: dyp, n: n, c: c, s: s, center: mean, gate: gate,
                                                 sumDy: &sumDy, sumDyX: &sumDyX)
                }
            }
        }
        // γ and β get this rank's share (data-parallel training sums them over the ranks);
        // the input gradient needs the sums over every value the statistics covered.
        if let w = weight, w.requiresGrad {
            let gw = try w.gradBuffer()
            for i in 0..<c { gw.ptr[i] += Float(sumDyX[i] * Double(invstd[i])) }
        }
        if let b = bias, b.requiresGrad {
            let gb = try b.gradBuffer()
            for i in 0..<c { gb.ptr[i] += Float(sumDy[i]) }
        }
        if perChannel { return dx }
        if synced && batchStats { try synchronize(sumDy: &sumDy, sumDyX: &sumDyX) }
        var k = [Float](repeating: 0, count: c), u = k, v = k
        for i in 0..<c { (k[i], u[i], v[i]) = coefficients(i, sumDy[i], sumDyX[i]) }
        dy.withFloats { dyp in
            withGate { gate in
                switch (batchStats, gate) {
                case (true, _):
                    BatchNormKernel.combine(x.ptr, dy: dyp, n: n, c: c, s: s, k: k, u: u, v: v, gate: gate, dx: dx.ptr)
                case (false, let gate?):
                    BatchNormKernel.scaled(dyp, x: x.ptr, n: n, c: c, s: s, k: k, gate: gate, dx: dx.ptr)
                case (false, nil):
                    // u = v = 0: dx = k·dy, without reading x
                    BatchNormKernel.scaled(dyp, n: n, c: c, s: s, k: k, dx: dx.ptr)
                }
            }
        }
        return dx
    }
}

/// Batch normalisation of [N, C, H, W] input.
public final class BatchNorm2d: BatchNorm {
    public override var typeName: String { "BatchNorm2d" }

    public init(_ features: Int, eps: Double = 1e-5, momentum: Double? = 0.1, affine: Bool = true,
                trackRunningStats: Bool = true) throws {
        try super.init(numFeatures: features, eps: eps, momentum: momentum, affine: affine, trackRunningStats: trackRunningStats)
    }

    override func layout(_ input: Tensor) throws -> (Tensor, Int, Int, Int) {
        let x = try Check.input(input, rank: 4, op, "[N, C, H, W]")
        return (x, x.shape[0], x.shape[1], x.shape[2] * x.shape[3])
    }
}

/// Batch normalisation of [N, C] or [N, C, L] input.
public final class BatchNorm1d: BatchNorm {
    public override var typeName: String { "BatchNorm1d" }

    public init(_ features: Int, eps: Double = 1e-5, momentum: Double? = 0.1, affine: Bool = true,
                trackRunningStats: Bool = true) throws {
        try super.init(numFeatures: features, eps: eps, momentum: momentum, affine: affine, trackRunningStats: trackRunningStats)
    }

    override func layout(_ input: Tensor) throws -> (Tensor, Int, Int, Int) {
        guard input.dim == 2 || input.dim == 3 else {
            throw TensorError("\(op): expected a 2-d [N, C] or 3-d [N, C, L] input, got shape \(shapeString(input.shape))")
        }
        let x = try input.toFloat().contiguous()
        return (x, x.shape[0], x.shape[1], x.dim == 3 ? x.shape[2] : 1)
    }
}

/// A number as PyTorch prints it in module descriptions (1e-05, 0.1).
func formatNumber(_ v: Double) -> String {
    if v != 0 && abs(v) < 1e-4 {
        let e = Int(floor(log10(abs(v))))
        let m = v / pow(10, Double(e))
        let ms = m == m.rounded() ? String(Int(m)) : String(m)
        return "\(ms)e-\(String(format: "%02d", -e))"
    }
    if v == v.rounded() && abs(v) < 1e15 { return String(Int(v)) + ".0" }
    return String(v)
}
