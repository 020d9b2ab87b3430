/// HMAC-SHA256 (RFC 2104), the signature scheme of Jupyter messages (`hmac-sha256`).
///
///     let mac = HMAC(key: Array("key".utf8))
///     mac.hex([Array("The quick brown fox jumps over the lazy dog".utf8)])
///     // f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8
public struct HMAC {
    private let inner: SHA256
    private let outer: SHA256

    public init(key: [UInt8]) {
        var k = key.count > SHA256.blockSize ? SHA256.hash(key) : key
        k += [UInt8](repeating: 0, count: SHA256.blockSize - k.count)
        var i = SHA256(), o = SHA256()
        i.update(k.map { $0 ^ 0x36 })
        o.update(k.map { $0 ^ 0x5c })
        inner = i
        outer = o
    }

    /// The MAC of the concatenation of `parts`.
    public func mac(_ parts: [[UInt8]]) -> [UInt8] {
        var i = inner
        for p in parts { i.update(p) }
        var o = outer
        o.update(i.finish())
        return o.finish()
    }

    /// The MAC as lower-case hex digits (how Jupyter puts it in a message).
    public func hex(_ parts: [[UInt8]]) -> String { HMAC.hex(mac(parts)) }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for b in bytes { out += [digits[Int(b >> 4)], digits[Int(b & 15)]] }
        return String(decoding: out, as: UTF8.self)
    }

    /// Compares two byte strings in time that depends only on their lengths.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var diff: UInt8 = 0
        for k in 0..<a.count { diff |= a[k] ^ b[k] }
        return diff == 0
    }
}
