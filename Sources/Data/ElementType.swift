import Tensor

/// Element types of the binary formats (NPY, safetensors) and their conversion to
/// Topiary's two dtypes: floating types become float32, integer and boolean types int64.
public enum ElementType: String, CaseIterable, Sendable {
    case f16, bf16, f32, f64, i8, i16, i32, i64, u8, u16, u32, u64, bool

    public var size: Int {
        switch self {
        case .i8, .u8, .bool: 1
        case .f16, .bf16, .i16, .u16: 2
        case .f32, .i32, .u32: 4
        case .f64, .i64, .u64: 8
        }
    }

    public var isFloating: Bool { self == .f16 || self == .bf16 || self == .f32 || self == .f64 }
    public var dtype: DType { isFloating ? .float32 : .int64 }

    /// Decodes `shape.product` elements starting at `p` into a new contiguous tensor.
    /// `context` prefixes the error for a u64 value that does not fit in int64.
    public func decode(_ p: UnsafeRawPointer, shape: [Int], bigEndian: Bool = false, context: String) throws -> Tensor {
        let t = try Tensor.allocate(shape, dtype: dtype, zeroed: false, context)
        let n = t.numel, s = size
        @inline(__always) func raw(_ i: Int) -> UInt64 {
            var v: UInt64 = 0
            let q = p + i * s
            if bigEndian { for k in 0..<s { v = v << 8 | UInt64(q.load(fromByteOffset: k, as: UInt8.self)) } }
            else { for k in stride(from: s - 1, through: 0, by: -1) { v = v << 8 | UInt64(q.load(fromByteOffset: k, as: UInt8.self)) } }
            return v
        }
        switch self {
        case .f32 where !bigEndian:
            UnsafeMutableRawPointer(t.ptr).copyMemory(from: p, byteCount: n * 4)
        case .i64 where !bigEndian:
            UnsafeMutableRawPointer(t.iptr).copyMemory(from: p, byteCount: n * 8)
        case .f32: for i in 0..<n { t.ptr[i] = Float(bitPattern: UInt32(raw(i))) }
        case .f64: for i in 0..<n { t.ptr[i] = Float(Double(bitPattern: raw(i))) }
        case .f16: for i in 0..<n { t.ptr[i] = halfToFloat(UInt16(raw(i))) }
        case .bf16: for i in 0..<n { t.ptr[i] = Float(bitPattern: UInt32(raw(i)) << 16) }
        case .i8: for i in 0..<n { t.iptr[i] = Int64(Int8(bitPattern: UInt8(raw(i)))) }
        case .i16: for i in 0..<n { t.iptr[i] = Int64(Int16(bitPattern: UInt16(raw(i)))) }
        case .i32: for i in 0..<n { t.iptr[i] = Int64(Int32(bitPattern: UInt32(raw(i)))) }
        case .i64: for i in 0..<n { t.iptr[i] = Int64(bitPattern: raw(i)) }
        case .u8, .u16, .u32, .bool: for i in 0..<n { t.iptr[i] = Int64(raw(i)) }
        case .u64:
            for i in 0..<n {
                let v = raw(i)
                guard v <= UInt64(Int64.max) else { throw TensorError("\(context): value \(v) does not fit in int64") }
                t.iptr[i] = Int64(v)
            }
        }
        return t
    }
}

/// IEEE 754 half precision to single (exact: every half is a float).
@inline(__always)
public func halfToFloat(_ h: UInt16) -> Float {
    let sign: Float = h & 0x8000 != 0 ? -1 : 1
    let e = Int(h >> 10) & 0x1F, m = UInt32(h & 0x3FF)
    if e == 0 { return sign * Float(m) * 0x1p-24 }
    if e == 31 { return Float(bitPattern: UInt32(h & 0x8000) << 16 | 0x7F80_0000 | m << 13) }
    return Float(bitPattern: UInt32(h & 0x8000) << 16 | UInt32(e + 112) << 23 | m << 13)
}

/// The product of a shape, or nil if it overflows or exceeds `limit`.
func checkedCount(_ shape: [Int], limit: Int = 1 << 40) -> Int? {
    guard shape.count <= Tensor.maxDims else { return nil }
    var n = 1
    for d in shape {
        guard d >= 0 else { return nil }
        let (m, o) = n.multipliedReportingOverflow(by: d)
        guard !o, m <= limit else { return nil }
        n = m
    }
    return n
}
