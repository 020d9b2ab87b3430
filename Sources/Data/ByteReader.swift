import Tensor

/// Sequential reading of a byte array with bounds checks. Every read past the end
/// throws a "truncated" error naming the file and what was being read.
public struct ByteReader {
    public let bytes: [UInt8]
    public var position = 0
    let context: String

    /// `context` prefixes messages, e.g. "fashion_mnist: /x/train-labels-idx1-ubyte".
    public init(_ bytes: [UInt8], context: String) {
        self.bytes = bytes
        self.context = context
    }

    public var remaining: Int { bytes.count - position }

    public func error(_ what: String) -> TensorError { TensorError("\(context): \(what)") }

    /// Throws unless `n` more bytes are available.
    public func need(_ n: Int, _ what: String) throws {
        guard n >= 0, n <= remaining else {
            throw error("truncated: expected \(n) bytes of \(what), found \(remaining)")
        }
    }

    public mutating func u8(_ what: String) throws -> UInt8 {
        try need(1, what)
        defer { position += 1 }
        return bytes[position]
    }

    /// A big-endian unsigned 32-bit integer (IDX dimensions).
    public mutating func u32BE(_ what: String) throws -> UInt32 {
        try need(4, what)
        var v: UInt32 = 0
        for k in 0..<4 { v = v << 8 | UInt32(bytes[position + k]) }
        position += 4
        return v
    }

    /// A little-endian unsigned integer of `n` bytes (n <= 8).
    public mutating func uLE(_ n: Int, _ what: String) throws -> UInt64 {
        try need(n, what)
        var v: UInt64 = 0
        for k in stride(from: n - 1, through: 0, by: -1) { v = v << 8 | UInt64(bytes[position + k]) }
        position += n
        return v
    }
}
