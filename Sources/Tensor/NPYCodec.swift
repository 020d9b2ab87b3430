import Foundation

/// NumPy's `.npy` format (versions 1.0, 2.0 and 3.0): a magic string, a version, a
/// little-endian header length, a Python dict literal header (`descr`, `fortran_order`,
/// `shape`), then the raw C-order data.
///
/// Reading: float32 as is; float64, float16, bool, (u)int8/16 and uint32 to float32;
/// int32 and int64 to int64. Writing: float32 (`<f4`) and int64 (`<i8`). Fortran order,
/// big-endian data, other dtypes, a bad magic and a truncated file are errors naming
/// the file.
public enum NPYCodec {
    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]   // "\x93NUMPY"

    /// The bytes of an .npy file holding `t` (version 1.0 unless the header needs 2.0).
    public static func encode(_ t: Tensor) throws -> [UInt8] {
        let descr = t.dtype == .float32 ? "<f4" : "<i8"
        let shape = t.shape.count == 1 ? "(\(t.shape[0]),)" : "(" + t.shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shape), }"
        let v2 = header.utf8.count + 11 > 65535
        let prefix = v2 ? 12 : 10
        let total = (prefix + header.utf8.count + 1 + 63) / 64 * 64
        header += String(repeating: " ", count: total - prefix - header.utf8.count - 1) + "\n"
        var out = magic + (v2 ? [2, 0] : [1, 0])
        let n = header.utf8.count
        out += v2 ? [UInt8(n & 0xff), UInt8((n >> 8) & 0xff), UInt8((n >> 16) & 0xff), UInt8(n >> 24)]
                  : [UInt8(n & 0xff), UInt8(n >> 8)]
        out += Array(header.utf8)
        let c = try t.contiguous()
        let bytes = t.numel * t.dtype.size
        out.reserveCapacity(out.count + bytes)
        c.withBytes { out += UnsafeRawBufferPointer(start: $0, count: bytes) }
        return out
    }

    /// Writes `t` to `path` atomically (`AtomicFile`): a failure or a kill mid-write
    /// leaves any old file intact.
    public static func save(_ t: Tensor, to path: FilePath) throws {
        try AtomicFile.write(path, bytes: encode(t), op: "save")
    }

    /// Reads the tensor in the .npy file at `path`.
    public static func load(_ path: FilePath) throws -> Tensor {
        try decode(try path.readAll(op: "load"), name: path.description)
    }

    /// Parses the bytes of an .npy file; `name` appears in error messages.
    public static func decode(_ b: [UInt8], name: String = "<bytes>") throws -> Tensor {
        func fail(_ m: String) -> TensorError { TensorError("load: \(name): \(m)") }
        guard b.count >= 10, Array(b[0..<6]) == magic else { throw fail("not an .npy file (bad magic)") }
        let major = b[6]
        guard major >= 1 && major <= 3 else { throw fail("unsupported .npy version \(major).\(b[7])") }
        let prefix = major == 1 ? 10 : 12
        guard b.count >= prefix else { throw fail("truncated header") }
        let hlen = major == 1 ? Int(b[8]) | Int(b[9]) << 8
                              : Int(b[8]) | Int(b[9]) << 8 | Int(b[10]) << 16 | Int(b[11]) << 24
        guard b.count >= prefix + hlen else {
            throw fail("truncated header (\(hlen) bytes announced, \(b.count - prefix) present)")
        }
        let text = String(decoding: b[prefix..<(prefix + hlen)], as: UTF8.self)
        let h = try NPYHeader(text, fail)
        guard !h.fortran else { throw fail("Fortran-order arrays are not supported (save it with np.ascontiguousarray)") }
        let kind = try NPYKind(h.descr, fail)
        do { try Tensor.checkShape(h.shape, "load") } catch {
            throw fail("shape \(shapeString(h.shape)) is too large (more than \(Tensor.maxElements) elements)")
        }
        let n = h.shape.reduce(1, *)
        let need = n * kind.size, have = b.count - prefix - hlen
        guard have >= need else {
            throw fail("truncated data: shape \(shapeString(h.shape)) of \(h.descr) needs \(need) bytes, the file has \(have)")
        }
        let out = try Tensor.allocate(h.shape, dtype: kind.dtype, zeroed: false, "load")
        b.withUnsafeBytes { raw in kind.convert(raw.baseAddress! + prefix + hlen, n, out) }
        return out
    }
}

extension Tensor {
    /// Saves to an .npy file (float32 or int64).
    public func save(_ path: String) throws { try NPYCodec.save(self, to: FilePath(path)) }
    /// Saves to an .npy file at a byte path.
    public func save(_ path: FilePath) throws { try NPYCodec.save(self, to: path) }
    /// Loads an .npy file.
    public static func load(_ path: String) throws -> Tensor { try NPYCodec.load(FilePath(path)) }
    /// Loads an .npy file at a byte path.
    public static func load(_ path: FilePath) throws -> Tensor { try NPYCodec.load(path) }
}
