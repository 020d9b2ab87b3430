import Foundation

/// Constructors. Shapes are checked (no negative sizes, a sane element count).
extension Tensor {
    /// The most elements one tensor may have: 2^32, and no more float32 values than fill
    /// half of physical memory. Shapes past it are refused with an error (instead of an
    /// allocation that fails or swaps the machine to a halt).
    public static let maxElements: Int = {
        let mem = Int(clamping: ProcessInfo.processInfo.physicalMemory) / 8
        return Swift.min(1 << 32, mem > 0 ? mem : 1 << 32)
    }()

    /// Validates a shape: no negative sizes, and at most `maxElements` elements.
    public static func checkShape(_ s: [Int], _ op: String) throws {
        guard s.allSatisfy({ $0 >= 0 }) else {
            throw TensorError("\(op): invalid shape \(shapeString(s)) (sizes must be non-negative)")
        }
        guard s.count <= 64 else { throw TensorError("\(op): too many dimensions (\(s.count); at most 64)") }
        if s.contains(0) { return }
        var n = 1
        for d in s {
            let (m, o) = n.multipliedReportingOverflow(by: d)
            guard !o, m <= maxElements else {
                throw TensorError("\(op): shape \(shapeString(s)) is too large (more than \(maxElements) elements)")
            }
            n = m
        }
    }

    public static func zeros(_ s: [Int], dtype: DType = .float32) throws -> Tensor {
        try checkShape(s, "zeros")
        return Tensor(zeros: s, dtype: dtype)
    }

    public static func full(_ s: [Int], _ v: Float) throws -> Tensor {
        try checkShape(s, "full")
        let t = Tensor(uninitialized: s)
        t.fill(v)
        return t
    }

    public static func ones(_ s: [Int]) throws -> Tensor { try full(s, 1) }

    /// start, start+step, … up to but excluding `end`.
    public static func arange(_ start: Double, _ end: Double, _ step: Double = 1) throws -> Tensor {
        guard step != 0, step.isFinite, start.isFinite, end.isFinite else {
            throw TensorError("arange: step must be a finite non-zero number and bounds finite")
        }
        let count = ((end - start) / step).rounded(.up)
        guard count.isFinite, count <= Double(maxElements) else {
            throw TensorError("arange: \(start) to \(end) by \(step) is too many elements")
        }
        let n = Swift.max(0, Int(count))
        let t = Tensor(uninitialized: [n])
        for i in 0..<n { t.ptr[i] = Float(start + Double(i) * step) }
        return t
    }

    /// `n` evenly spaced values from `start` to `end` inclusive.
    public static func linspace(_ start: Double, _ end: Double, _ n: Int) throws -> Tensor {
        guard n >= 0 else { throw TensorError("linspace: number of steps must be non-negative, got \(n)") }
        try checkShape([n], "linspace")
        let t = Tensor(uninitialized: [n])
        for i in 0..<n { t.ptr[i] = n == 1 ? Float(start) : Float(start + (end - start) * Double(i) / Double(n - 1)) }
        return t
    }

    /// The n×m identity.
    public static func eye(_ n: Int, _ m: Int? = nil) throws -> Tensor {
        let m = m ?? n
        let t = try zeros([n, m])
        for i in 0..<Swift.min(n, m) { t.ptr[i * m + i] = 1 }
        return t
    }

    /// Uniform in [0, 1) from the global generator.
    public static func rand(_ s: [Int]) throws -> Tensor {
        try checkShape(s, "rand")
        let t = Tensor(uninitialized: s)
        for i in 0..<t.numel { t.ptr[i] = Random.global.nextFloat() }
        return t
    }

    /// Standard normal from the global generator.
    public static func randn(_ s: [Int]) throws -> Tensor {
        try checkShape(s, "randn")
        let t = Tensor(uninitialized: s)
        for i in 0..<t.numel { t.ptr[i] = Random.global.nextNormal() }
        return t
    }

    /// A random permutation of 0..<n (int64).
    public static func randperm(_ n: Int) throws -> Tensor {
        try checkShape([n], "randperm")
        var p = Array(0..<n)
        for i in stride(from: n - 1, to: 0, by: -1) { p.swapAt(i, Random.global.nextInt(i + 1)) }
        let t = Tensor(uninitialized: [n], dtype: .int64)
        for i in 0..<n { t.iptr[i] = Int64(p[i]) }
        return t
    }

    /// An int64 tensor from values.
    public static func int64(shape: [Int], values: [Int64]) -> Tensor {
        let t = Tensor(uninitialized: shape, dtype: .int64)
        for i in 0..<Swift.min(values.count, t.numel) { t.iptr[i] = values[i] }
        return t
    }
}
