import Foundation
import Tensor

/// NumPy's .npy format (versions 1–3): magic `\x93NUMPY`, version, a little-endian header
/// length, a Python dict literal `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`,
/// then the raw elements. Floating types load as float32, integer and bool as int64.
public enum NPY {
    /// Reads and validates `path`.
    public static func read(_ path: String, op: String = "load") throws -> Tensor {
        try parse(try FileBytes.read(path, op: op), context: "\(op): \(path)")
    }

    /// Parses the bytes of a .npy file; `context` prefixes error messages.
    public static func parse(_ bytes: [UInt8], context: String) throws -> Tensor {
        var r = ByteReader(bytes, context: context)
        let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]
        guard bytes.count >= 8, Array(bytes[0..<6]) == magic else {
            throw r.error(bytes.count < 8 ? "truncated: \(bytes.count) bytes, too short for a .npy file" : "not a .npy file (bad magic)")
        }
        r.position = 6
        let major = try r.u8("version")
        _ = try r.u8("version")
        guard (1...3).contains(major) else { throw r.error("unsupported .npy version \(major)") }
        let headerLength = Int(try r.uLE(major == 1 ? 2 : 4, "header length"))
        try r.need(headerLength, "header")
        let header = String(decoding: bytes[r.position..<(r.position + headerLength)], as: UTF8.self)
        r.position += headerLength
        let (type, bigEndian, fortran, shape) = try parseHeader(header, r)
        guard let n = checkedCount(shape), let byteCount = Optional(n * type.size) else {
            throw r.error("corrupt header: shape \(shapeString(shape)) is too large")
        }
        guard r.remaining >= byteCount else {
            throw r.error("truncated: shape \(shapeString(shape)) of \(type.rawValue) needs \(byteCount) bytes of data, the file has \(r.remaining)")
        }
        guard r.remaining == byteCount else {
            throw r.error("corrupt: \(r.remaining - byteCount) bytes after the data")
        }
        let t = try bytes.withUnsafeBytes { b in
            try type.decode(b.baseAddress! + r.position, shape: fortran ? shape.reversed() : shape,
                            bigEndian: bigEndian, context: r.context)
        }
        guard fortran, shape.count > 1 else { return t }
        return try t.permute(Array((0..<shape.count).reversed())).contiguous()
    }

    static let descrs: [String: ElementType] = [
        "f2": .f16, "f4": .f32, "f8": .f64, "i1": .i8, "i2": .i16, "i4": .i32, "i8": .i64,
        "u1": .u8, "u2": .u16, "u4": .u32, "u8": .u64, "b1": .bool,
    ]

    static func parseHeader(_ h: String, _ r: ByteReader) throws -> (ElementType, Bool, Bool, [Int]) {
        func value(_ key: String) throws -> Substring {
            guard let k = h.range(of: "'\(key)'") ?? h.range(of: "\"\(key)\""),
                  let colon = h[k.upperBound...].firstIndex(of: ":") else {
                throw r.error("corrupt header: no '\(key)' in \(h.trimmingCharacters(in: .whitespacesAndNewlines))")
            }
            return h[h.index(after: colon)...].drop { $0 == " " }
        }
        let d = try value("descr")
        guard let q = d.first, q == "'" || q == "\"", let end = d.dropFirst().firstIndex(of: q) else {
            throw r.error("corrupt header: cannot read 'descr'")
        }
        var descr = d[d.index(after: d.startIndex)..<end]
        var bigEndian = false
        if let c = descr.first, "<>|=".contains(c) { bigEndian = c == ">"; descr = descr.dropFirst() }
        guard let type = descrs[String(descr)] else {
            throw r.error("unsupported dtype '\(descr)' (supported: float16/32/64, int8–64, uint8–64, bool)")
        }
        let f = try value("fortran_order")
        let fortran = f.hasPrefix("True")
        guard fortran || f.hasPrefix("False") else { throw r.error("corrupt header: fortran_order is neither True nor False") }
        let s = try value("shape")
        guard s.first == "(", let close = s.firstIndex(of: ")") else { throw r.error("corrupt header: cannot read 'shape'") }
        var shape: [Int] = []
        for part in s[s.index(after: s.startIndex)..<close].split(separator: ",") {
            let t = part.trimmingCharacters(in: .whitespaces)
            if t.isEmpty { continue }
            guard let v = Int(t.hasSuffix("L") ? String(t.dropLast()) : t), v >= 0 else {
                throw r.error("corrupt header: bad size '\(t)' in shape")
            }
            shape.append(v)
        }
        return (type, bigEndian, fortran, shape)
    }
}
