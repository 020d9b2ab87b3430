/// FNV-1a, 64 bits: a stable, fast fingerprint of text (not a cryptographic hash) for names
/// that must not change between runs or machines — cell sources in notebook records, cache
/// file names, a sweep's grid.
public enum FNV1a {
    /// The hash of `s`'s UTF-8 bytes.
    public static func hash(_ s: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }

    /// `hash(s)` as 16 lower-case hex digits.
    public static func hex(_ s: String) -> String {
        let hex = String(hash(s), radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
