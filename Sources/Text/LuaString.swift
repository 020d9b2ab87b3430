/// Lua string literals.
public enum LuaString {
    /// `bytes` as a double-quoted Lua string literal that Lua's `load` reads back to the
    /// same bytes, following `string.format("%q")`: `"` and `\` escaped, control bytes
    /// as decimal escapes, written with three digits when a digit follows (byte 1 then
    /// "2" is `\0012`, not `\12`, which Lua reads as a form feed). For readability,
    /// newline, tab and carriage return are `\n`, `\t`, `\r`, and valid UTF-8 stays as
    /// is; bytes that are not valid UTF-8 are decimal escapes.
    ///
    ///     LuaString.quote("a\n\"b\"")   // "a\n\"b\""
    public static func quote<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        let b = Array(bytes)
        var out: [UInt8] = [UInt8(ascii: "\"")]
        out.reserveCapacity(b.count + 2)
        var k = 0
        func escape(_ c: UInt8, next: Int) {
            out.append(UInt8(ascii: "\\"))
            let digitFollows = next < b.count && b[next] >= 0x30 && b[next] <= 0x39
            let s = String(c)
            if digitFollows { out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: 3 - s.utf8.count)) }
            out.append(contentsOf: s.utf8)
        }
        while k < b.count {
            let c = b[k]
            switch c {
            case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), c]
            case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), c]
            case 0x0A: out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 0x09: out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0x0D: out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case 0..<0x20, 0x7F: escape(c, next: k + 1)
            case 0x80...:
                let n = utf8Length(b, k)
                if n > 0 {
                    out.append(contentsOf: b[k..<(k + n)])
                    k += n
                    continue
                }
                escape(c, next: k + 1)
            default: out.append(c)
            }
            k += 1
        }
        out.append(UInt8(ascii: "\""))
        return String(decoding: out, as: UTF8.self)
    }

    /// `quote` of a string's UTF-8 bytes.
    public static func quote(_ s: String) -> String { quote(Array(s.utf8)) }

    /// The length of the valid UTF-8 sequence starting at `k` (0 if the bytes there are not one).
    static func utf8Length(_ b: [UInt8], _ k: Int) -> Int {
        let n: Int
        switch b[k] {
        case 0xC2...0xDF: n = 2
        case 0xE0...0xEF: n = 3
        case 0xF0...0xF4: n = 4
        default: return 0
        }
        guard k + n <= b.count, String(validating: b[k..<(k + n)], as: UTF8.self) != nil else { return 0 }
        return n
    }
}
