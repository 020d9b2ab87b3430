import Tensor
import Text

extension SafeTensors {
    /// The length prefix and padded JSON header, and the tensors in file order: int64
    /// tensors first (8-byte alignment), then float32 ones, each group by name, as the
    /// reference implementation orders them.
    static func layout(_ tensors: [(String, Tensor)], metadata: [String: String], op: String) throws -> (header: [UInt8], order: [(String, Tensor)]) {
        var seen = Set<String>()
        for (name, _) in tensors {
            guard !name.isEmpty, name != "__metadata__" else {
                throw TensorError("\(op): invalid tensor name '\(name)'")
            }
            guard seen.insert(name).inserted else { throw TensorError("\(op): duplicate tensor name '\(name)'") }
        }
        let order = tensors.sorted { a, b in
            a.1.dtype.size != b.1.dtype.size ? a.1.dtype.size > b.1.dtype.size : a.0 < b.0
        }
        var fields: [(String, JSON)] = []
        if !metadata.isEmpty {
            fields.append(("__metadata__", .object(metadata.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })))
        }
        var offset = 0
        for (name, t) in order {
            let bytes = t.numel * t.dtype.size
            fields.append((name, .object([
                ("dtype", .string(t.dtype == .float32 ? "F32" : "I64")),
                ("shape", .array(t.shape.map { .int($0) })),
                ("data_offsets", .array([.int(offset), .int(offset + bytes)])),
            ])))
            offset += bytes
        }
        var json = Array(JSON.object(fields).text.utf8)
        json.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - json.count % 8) % 8))
        var n = UInt64(json.count), header: [UInt8] = []
        for _ in 0..<8 { header.append(UInt8(n & 0xFF)); n >>= 8 }
        return (header + json, order)
    }

    /// The bytes of a safetensors file holding `tensors` (float32 as F32, int64 as I64).
    public static func encode(_ tensors: [(String, Tensor)], metadata: [String: String] = [:]) throws -> [UInt8] {
        let (header, order) = try layout(tensors, metadata: metadata, op: "save_safetensors")
        var out = header
        for (_, t) in order {
            let c = try t.contiguous()
            c.withBytes { out.append(contentsOf: UnsafeRawBufferPointer(start: $0, count: c.numel * c.dtype.size)) }
        }
        return out
    }

    /// Writes `tensors` and `metadata` to `path` atomically (temporary file, then rename).
    public static func write(_ path: FilePath, _ tensors: [(String, Tensor)], metadata: [String: String] = [:],
                             op: String = "save_safetensors") throws {
        let (header, order) = try layout(tensors, metadata: metadata, op: op)
        try AtomicFile.write(path, op: op) { w in
            try w.write(header)
            for (_, t) in order {
                try Interrupt.check(op)
                let c = try t.contiguous()
                try c.withBytes { try w.write(UnsafeRawPointer($0), count: c.numel * c.dtype.size) }
            }
        }
    }

    /// `write(_:_:metadata:op:)` for a string path.
    public static func write(_ path: String, _ tensors: [(String, Tensor)], metadata: [String: String] = [:],
                             op: String = "save_safetensors") throws {
        try write(FilePath(path), tensors, metadata: metadata, op: op)
    }
}
