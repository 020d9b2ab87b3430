import Tensor

/// An array read from an IDX file (the MNIST / Fashion-MNIST format): a magic number
/// `00 00 <type> <rank>`, `rank` big-endian 32-bit sizes, then the elements in row-major
/// order, big-endian. Files may be gzip-compressed.
public struct IDXArray {
    /// The element type code of the magic number.
    public enum Kind: UInt8 {
        case u8 = 0x08, i8 = 0x09, i16 = 0x0B, i32 = 0x0C, f32 = 0x0D, f64 = 0x0E
        public var size: Int {
            switch self { case .u8, .i8: 1; case .i16: 2; case .i32, .f32: 4; case .f64: 8 }
        }
    }

    public let kind: Kind
    public let shape: [Int]
    /// The element bytes (exactly `shape.product * kind.size` of them), as in the file.
    public let payload: [UInt8]

    /// Reads and validates `path` (plain or .gz). `op` names the caller in errors. The
    /// header is read first: a size the file cannot hold (even at gzip's best ratio) is
    /// refused before inflating, and no more than the claimed size (+1, to notice extra
    /// bytes) is ever inflated.
    public static func read(_ path: FilePath, op: String) throws -> IDXArray {
        let s = try FileBytes.Stream(path, op: op)
        let context = "\(op): \(path)"
        var bytes = try s.read(4)
        if bytes.count == 4 { bytes += try s.read(4 * Int(bytes[3])) }
        if let claimed = try? payloadSize(bytes, context: context) {
            let room = s.maxContentSize - bytes.count
            guard claimed <= room || !s.isCompressed else {   // a plain file is reported as truncated
                throw TensorError("\(context): corrupt header: it claims \(claimed) bytes of data, more than a \(s.compressedSize)-byte file can hold")
            }
            bytes += try s.read(claimed + 1)
        }
        return try parse(bytes, context: context)
    }

    /// The payload bytes an IDX header claims (the header must be complete).
    static func payloadSize(_ header: [UInt8], context: String) throws -> Int {
        guard header.count >= 4, header.count == 4 + 4 * Int(header[3]) else { throw TensorError("\(context): short header") }
        return try parse(header, context: context, headerOnly: true).count
    }

    /// Parses the bytes of an IDX file; `context` prefixes error messages.
    public static func parse(_ bytes: [UInt8], context: String) throws -> IDXArray {
        try parse(bytes, context: context, headerOnly: false).array!
    }

    static func parse(_ bytes: [UInt8], context: String, headerOnly: Bool) throws -> (count: Int, array: IDXArray?) {
        var r = ByteReader(bytes, context: context)
        guard bytes.count >= 4 else {
            throw r.error("truncated: \(bytes.count) bytes, too short for an IDX header")
        }
        let m0 = try r.u8("magic"), m1 = try r.u8("magic"), code = try r.u8("magic"), rank = Int(try r.u8("magic"))
        let magic = String(format4: [m0, m1, code, UInt8(rank)])
        guard m0 == 0, m1 == 0, let kind = Kind(rawValue: code) else {
            throw r.error("bad magic number \(magic) (not an IDX file; expected 00 00 08 03 for images, 00 00 08 01 for labels)")
        }
        guard rank >= 1 else { throw r.error("bad magic number \(magic): an IDX array needs at least one dimension") }
        var shape: [Int] = []
        for k in 0..<rank { shape.append(Int(try r.u32BE("the size of dimension \(k + 1)"))) }
        var n = kind.size
        for d in shape {
            let (m, o) = n.multipliedReportingOverflow(by: d)
            guard !o, m < 1 << 40 else { throw r.error("corrupt header: shape \(shapeString(shape)) is too large") }
            n = m
        }
        if headerOnly { return (n, nil) }
        guard r.remaining >= n else {
            throw r.error("truncated: shape \(shapeString(shape)) needs \(n) bytes of data, the file has \(r.remaining)")
        }
        guard r.remaining == n else {
            throw r.error("corrupt: \(r.remaining - n) bytes after the \(n) bytes of data that shape \(shapeString(shape)) needs")
        }
        return (n, IDXArray(kind: kind, shape: shape, payload: Array(bytes[r.position...])))
    }

    public var count: Int { shape.reduce(1, *) }

    /// The array as a tensor: float32 for f32/f64 files, int64 for integer ones.
    public func tensor() throws -> Tensor {
        let floating = kind == .f32 || kind == .f64
        let t = try Tensor.allocate(shape, dtype: floating ? .float32 : .int64, zeroed: false, "IDX")
        payload.withUnsafeBufferPointer { b in
            let p = b.baseAddress!
            func be(_ i: Int, _ size: Int) -> UInt64 {
                var v: UInt64 = 0
                for k in 0..<size { v = v << 8 | UInt64(p[i * size + k]) }
                return v
            }
            for i in 0..<count {
                switch kind {
                case .u8: t.iptr[i] = Int64(p[i])
                case .i8: t.iptr[i] = Int64(Int8(bitPattern: p[i]))
                case .i16: t.iptr[i] = Int64(Int16(bitPattern: UInt16(be(i, 2))))
                case .i32: t.iptr[i] = Int64(Int32(bitPattern: UInt32(be(i, 4))))
                case .f32: t.ptr[i] = Float(bitPattern: UInt32(be(i, 4)))
                case .f64: t.ptr[i] = Float(Double(bitPattern: be(i, 8)))
                }
            }
        }
        return t
    }
}

extension String {
    /// "00 00 08 03"
    init(format4 b: [UInt8]) {
        let hex = Array("0123456789abcdef")
        self = b.map { String([hex[Int($0 >> 4)], hex[Int($0 & 15)]]) }.joined(separator: " ")
    }
}
