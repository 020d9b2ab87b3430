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

    /// The most dimensions a tensor may have (NumPy's limit), everywhere: creation,
    /// views, the .npy and safetensors readers, and the Lua converters (`totable`).
    public static let maxDims = 64

    /// Validates a shape: no negative sizes, at most `maxDims` dimensions and
    /// `maxElements` elements.
    public static func checkShape(_ s: [Int], _ op: String) throws {
        guard s.allSatisfy({ $0 >= 0 }) else {
            throw TensorError("\(op): invalid shape \(shapeString(s)) (sizes must be non-negative)")
        }
        guard s.count <= maxDims else { throw TensorError("\(op): too many dimensions (\(s.count); at most \(maxDims))") }
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
        try allocate(s, dtype: dtype, "zeros")
    }

    public static func full(_ s: [Int], _ v: Float) throws -> Tensor {
        let t = try allocate(s, zeroed: false, "full")
        t.fill(v)
        return t
    }

    public static func ones(_ s: [Int]) throws -> Tensor { try full(s, 1) }

    /// start, start+step, … up to but excluding `end`. A step whose sign cannot reach
    /// `end` is an error (as in torch); `start == end` gives an empty tensor.
    public static func arange(_ start: Double, _ end: Double, _ step: Double = 1) throws -> Tensor {
        guard step != 0, step.isFinite, start.isFinite, end.isFinite else {
            throw TensorError("arange: step must be a finite non-zero number and bounds finite")
        }
        try arangeDirection(start == end || (end > start) == (step > 0), start, end, step)
        let count = ((end - start) / step).rounded(.up)
        guard count.isFinite, count <= Double(maxElements) else {
            throw TensorError("arange: \(start) to \(end) by \(step) is too many elements")
        }
        let n = Swift.max(0, Int(count))
        let t = try allocate([n], zeroed: false, "arange")
        for i in 0..<n { t.ptr[i] = Float(start + Double(i) * step) }
        return t
    }

    /// `arange` over integers: the count is exact even near `Int.max` (where doubles
    /// cannot tell the bounds apart); values are float32 like every `arange`.
    public static func arange(_ start: Int, _ end: Int, _ step: Int = 1) throws -> Tensor {
        guard step != 0 else { throw TensorError("arange: step must be a finite non-zero number and bounds finite") }
        try arangeDirection(start == end || (end > start) == (step > 0), Double(start), Double(end), Double(step))
        let (span, o) = end.subtractingReportingOverflow(start)
        let count: Int
        if o {
            count = Int.max
        } else {
            let mag = span.magnitude, s = step.magnitude
            count = Int(clamping: mag / s + (mag % s == 0 ? 0 : 1))
        }
        guard count <= maxElements else {
            throw TensorError("arange: \(start) to \(end) by \(step) is too many elements")
        }
        let t = try allocate([count], zeroed: false, "arange")
        for i in 0..<count { t.ptr[i] = Float(Double(start) + Double(i) * Double(step)) }
        return t
    }

    private static func arangeDirection(_ ok: Bool, _ start: Double, _ end: Double, _ step: Double) throws {
        guard ok else {
            let f = { (v: Double) in String(format: "%.15g", v) }
            throw TensorError("arange: step \(f(step)) has the wrong sign to go from \(f(start)) to \(f(end))")
        }
    }

    /// `n` evenly spaced values from `start` to `end` inclusive.
    public static func linspace(_ start: Double, _ end: Double, _ n: Int) throws -> Tensor {
        guard n >= 0 else { throw TensorError("linspace: number of steps must be non-negative, got \(n)") }
        let t = try allocate([n], zeroed: false, "linspace")
        for i in 0..<n { t.ptr[i] = n == 1 ? Float(start) : Float(start + (end - start) * Double(i) / Double(n - 1)) }
        return t
    }

    /// The n×m identity.
    public static func eye(_ n: Int, _ m: Int? = nil) throws -> Tensor {
        let m = m ?? n
        let t = try allocate([n, m], dtype: .float32, "eye")
        for i in 0..<Swift.min(n, m) { t.ptr[i * m + i] = 1 }
        return t
    }

    /// Uniform in [0, 1) from the global generator.
    public static func rand(_ s: [Int]) throws -> Tensor {
        let t = try allocate(s, zeroed: false, "rand")
        for i in 0..<t.numel { t.ptr[i] = Random.global.nextFloat() }
        return t
    }

    /// Standard normal from the global generator.
    public static func randn(_ s: [Int]) throws -> Tensor {
        let t = try allocate(s, zeroed: false, "randn")
        for i in 0..<t.numel { t.ptr[i] = Random.global.nextNormal() }
        return t
    }

    /// A random permutation of 0..<n (int64).
    public static func randperm(_ n: Int) throws -> Tensor {
        let t = try allocate([n], dtype: .int64, zeroed: false, "randperm")
        let p = t.iptr
        for i in 0..<n { p[i] = Int64(i) }
        for i in stride(from: n - 1, to: 0, by: -1) { let j = Random.global.nextInt(i + 1); (p[i], p[j]) = (p[j], p[i]) }
        return t
    }

    /// An int64 tensor holding `values` (whose count must equal the shape's); throws as
    /// `init(shape:values:)` does.
    public static func int64(shape: [Int], values: [Int64]) throws -> Tensor {
        let t = try Tensor(holding: shape, dtype: .int64, count: values.count)
        values.withUnsafeBufferPointer { src in
            if let b = src.baseAddress { t.iptr.update(from: b, count: src.count) }
        }
        return t
    }
}
