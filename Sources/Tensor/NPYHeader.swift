/// The header dict of an .npy file, parsed from its Python literal:
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`.
struct NPYHeader {
    var descr = ""
    var fortran = false
    var shape: [Int] = []

    init(_ text: String, _ fail: (String) -> TensorError) throws {
        var s = Substring(text)
        func skip() { while let c = s.first, c == " " || c == "\n" || c == "\t" || c == "\r" { s.removeFirst() } }
        func expect(_ c: Character) throws {
            skip()
            guard s.first == c else { throw fail("malformed header (expected '\(c)'): \(text.prefix(120))") }
            s.removeFirst()
        }
        func string() throws -> String {
            skip()
            guard let q = s.first, q == "'" || q == "\"" else { throw fail("malformed header (expected a string): \(text.prefix(120))") }
            s.removeFirst()
            guard let end = s.firstIndex(of: q) else { throw fail("malformed header (unterminated string)") }
            let v = String(s[..<end])
            s = s[s.index(after: end)...]
            return v
        }
        var seen = Set<String>()
        try expect("{")
        while true {
            skip()
            if s.first == "}" { break }
            let key = try string()
            try expect(":")
            skip()
            switch key {
            case "descr":
                guard s.first == "'" || s.first == "\"" else {
                    throw fail("unsupported dtype (structured arrays are not supported)")
                }
                descr = try string()
            case "fortran_order":
                if s.hasPrefix("True") { fortran = true; s = s.dropFirst(4) }
                else if s.hasPrefix("False") { fortran = false; s = s.dropFirst(5) }
                else { throw fail("malformed header (fortran_order must be True or False)") }
            case "shape":
                try expect("(")
                while true {
                    skip()
                    if s.first == ")" { s.removeFirst(); break }
                    let digits = s.prefix { $0.isASCII && $0.isNumber }
                    guard !digits.isEmpty, digits.count <= 18, let v = Int(digits) else {
                        throw fail("malformed header (bad shape): \(text.prefix(120))")
                    }
                    shape.append(v)
                    s = s.dropFirst(digits.count)
                    skip()
                    if s.first == "L" { s.removeFirst(); skip() }   // Python 2 longs
                    if s.first == "," { s.removeFirst() }
                }
            default:
                throw fail("malformed header (unknown key '\(key)')")
            }
            seen.insert(key)
            skip()
            if s.first == "," { s.removeFirst() }
        }
        guard seen.isSuperset(of: ["descr", "fortran_order", "shape"]) else {
            throw fail("malformed header (missing \(["descr", "fortran_order", "shape"].filter { !seen.contains($0) }.joined(separator: ", ")))")
        }
    }
}

/// An element type of .npy data and how it becomes a tensor dtype.
struct NPYKind {
    let size: Int
    let dtype: DType
    let convert: (UnsafeRawPointer, Int, Tensor) -> Void

    init(_ descr: String, _ fail: (String) -> TensorError) throws {
        guard let order = descr.first, descr.count >= 3 else { throw fail("unsupported dtype '\(descr)'") }
        let code = String(descr.dropFirst())
        if order == ">" && !code.hasSuffix("1") {
            throw fail("big-endian data ('\(descr)') is not supported; save it little-endian (arr.astype('<\(descr.dropFirst())'))")
        }
        guard "<|=>".contains(order) else { throw fail("unsupported dtype '\(descr)'") }
        func floats<T>(_: T.Type, _ f: @escaping (T) -> Float) -> (UnsafeRawPointer, Int, Tensor) -> Void {
            { src, n, out in
                let q = out.ptr
                for i in 0..<n { q[i] = f(src.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self)) }
            }
        }
        func ints<T: BinaryInteger>(_: T.Type) -> (UnsafeRawPointer, Int, Tensor) -> Void {
            { src, n, out in
                let q = out.iptr
                for i in 0..<n { q[i] = Int64(src.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self)) }
            }
        }
        switch code {
        case "f4": (size, dtype, convert) = (4, .float32, floats(Float.self) { $0 })
        case "f8": (size, dtype, convert) = (8, .float32, floats(Double.self) { Float($0) })
        case "f2": (size, dtype, convert) = (2, .float32, floats(UInt16.self) { NPYKind.half($0) })
        case "i8": (size, dtype, convert) = (8, .int64, ints(Int64.self))
        case "i4": (size, dtype, convert) = (4, .int64, ints(Int32.self))
        case "u4": (size, dtype, convert) = (4, .float32, floats(UInt32.self) { Float($0) })
        case "i2": (size, dtype, convert) = (2, .float32, floats(Int16.self) { Float($0) })
        case "u2": (size, dtype, convert) = (2, .float32, floats(UInt16.self) { Float($0) })
        case "i1": (size, dtype, convert) = (1, .float32, floats(Int8.self) { Float($0) })
        case "u1": (size, dtype, convert) = (1, .float32, floats(UInt8.self) { Float($0) })
        case "b1": (size, dtype, convert) = (1, .float32, floats(UInt8.self) { $0 != 0 ? 1 : 0 })
        default:
            throw fail("unsupported dtype '\(descr)' (supported: float32/64/16, int8/16/32/64, uint8/16/32, bool)")
        }
    }

    /// IEEE half to float.
    static func half(_ h: UInt16) -> Float {
        let sign = UInt32(h >> 15) << 31, e = Int(h >> 10) & 0x1f, m = UInt32(h & 0x3ff)
        if e == 0 { return Float(bitPattern: sign) + (sign != 0 ? -1 : 1) * Float(m) * 0x1p-24 }
        if e == 31 { return Float(bitPattern: sign | 0x7f80_0000 | (m << 13)) }
        return Float(bitPattern: sign | UInt32(e + 112) << 23 | (m << 13))
    }
}
