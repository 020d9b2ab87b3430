import Tensor
import Text

/// The safetensors format (Hugging Face): an 8-byte little-endian header length N, N
/// bytes of JSON `{"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]},
/// …, "__metadata__": {"key": "value"}}` (padded with spaces), then the raw little-endian
/// data, row-major. Offsets are relative to the data section, which the tensors must
/// cover exactly (no gaps, no overlaps).
///
/// Reading accepts F16, BF16, F32, F64 (as float32) and I8…I64, U8…U64, BOOL (as
/// int64); writing stores float32 tensors as F32 and int64 tensors as I64.
public struct SafeTensors {
    /// One tensor of a file.
    public struct Entry {
        public let name: String
        /// The type stored in the file (the tensor holds float32 or int64).
        public let type: ElementType
        public let tensor: Tensor
    }

    /// Tensors in file order (by data offset).
    public var entries: [Entry]
    /// The `__metadata__` string map (empty when absent).
    public var metadata: [String: String]

    public init(entries: [Entry], metadata: [String: String]) {
        self.entries = entries
        self.metadata = metadata
    }

    /// The tensor called `name`, if present.
    public subscript(name: String) -> Tensor? { entries.first { $0.name == name }?.tensor }
    /// Tensors by name.
    public var tensors: [String: Tensor] { Dictionary(entries.map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a }) }

    /// The format's dtype names.
    public static let typeNames: [String: ElementType] = [
        "F16": .f16, "BF16": .bf16, "F32": .f32, "F64": .f64,
        "I8": .i8, "I16": .i16, "I32": .i32, "I64": .i64,
        "U8": .u8, "U16": .u16, "U32": .u32, "U64": .u64, "BOOL": .bool,
    ]

    /// The largest header accepted (as the reference implementation).
    public static let maxHeaderLength = 100_000_000

    /// Reads and validates a file. Nothing is returned unless the whole file is valid. The
    /// header is read first and then only the data it claims (and one byte more, to find
    /// trailing data): a gzip-compressed file that inflates far beyond its header's tensors
    /// is refused without inflating the rest.
    public static func read(_ path: FilePath, op: String = "load_safetensors") throws -> SafeTensors {
        let context = "\(op): \(path)"
        let s = try FileBytes.Stream(path, op: op)
        var bytes = try s.read(8)
        if bytes.count == 8 {
            let n = bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
            if n <= UInt64(maxHeaderLength) {
                bytes += try s.read(Int(n))
                let claimed = dataLength(bytes[8...])
                if claimed > s.maxContentSize {
                    throw TensorError("\(context): truncated: the header's tensors need \(claimed) bytes of data, a file of \(s.compressedSize) bytes cannot hold them")
                }
                bytes += try s.read(claimed + 1)
            }
        }
        return try decode(bytes, context: context)
    }

    /// The data bytes a header claims: the largest `data_offsets` end (0 for a header that
    /// does not parse; `decode` then says what is wrong with it).
    static func dataLength(_ header: ArraySlice<UInt8>) -> Int {
        guard case .object(let fields)? = try? JSON.parse(header, limits: .init(depth: 64)) else { return 0 }
        var end = 0
        for (_, v) in fields {
            guard case .object(let o) = v, case .array(let a)? = o.first(where: { $0.0 == "data_offsets" })?.1,
                  a.count == 2, case .int(let e) = a[1] else { continue }
            end = max(end, e)
        }
        return end
    }

    /// `read(_:op:)` for a string path.
    public static func read(_ path: String, op: String = "load_safetensors") throws -> SafeTensors {
        try read(FilePath(path), op: op)
    }

    /// Decodes the bytes of a safetensors file; `context` prefixes error messages.
    public static func decode(_ bytes: [UInt8], context: String) throws -> SafeTensors {
        var r = ByteReader(bytes, context: context)
        guard bytes.count >= 8 else {
            throw r.error("truncated: \(bytes.count) bytes, too short for the 8-byte header length")
        }
        let n64 = try r.uLE(8, "header length")
        guard n64 <= UInt64(maxHeaderLength) else {
            throw r.error("corrupt: header length \(n64) is implausible (limit \(maxHeaderLength); not a safetensors file?)")
        }
        let n = Int(n64)
        guard n <= r.remaining else {
            throw r.error("truncated: the header length says \(n) bytes of JSON, but only \(r.remaining) bytes follow")
        }
        guard n >= 2, bytes[8] == UInt8(ascii: "{") else {
            throw r.error("corrupt: the header does not start with '{' (not a safetensors file?)")
        }
        let json: JSON
        do { json = try JSON.parse(bytes[8..<(8 + n)], limits: .init(depth: 64)) } catch {
            throw r.error("corrupt header JSON: \(error)")
        }
        guard case .object(let fields) = json else { throw r.error("corrupt header: not a JSON object") }

        struct Info { let name: String, type: ElementType, shape: [Int], begin: Int, end: Int }
        var infos: [Info] = []
        var metadata: [String: String] = [:]
        for (name, v) in fields {
            if name == "__metadata__" {
                if case .null = v { continue }
                guard case .object(let m) = v else { throw r.error("corrupt header: __metadata__ must be an object of strings") }
                for (k, mv) in m {
                    guard case .string(let s) = mv else { throw r.error("corrupt header: __metadata__ value '\(k)' must be a string") }
                    metadata[k] = s
                }
                continue
            }
            let what = "tensor '\(name)'"
            guard case .object(let o) = v else { throw r.error("corrupt header: \(what) is not an object") }
            func field(_ k: String) throws -> JSON {
                guard let f = o.first(where: { $0.0 == k })?.1 else { throw r.error("corrupt header: \(what) has no '\(k)'") }
                return f
            }
            guard case .string(let dt) = try field("dtype") else { throw r.error("corrupt header: \(what): dtype must be a string") }
            guard let type = typeNames[dt] else {
                throw r.error("\(what): unsupported dtype '\(dt)' (supported: \(typeNames.keys.sorted().joined(separator: ", ")))")
            }
            func ints(_ k: String) throws -> [Int] {
                guard case .array(let a) = try field(k) else { throw r.error("corrupt header: \(what): \(k) must be an array") }
                return try a.map {
                    guard case .int(let x) = $0, x >= 0 else {
                        throw r.error("corrupt header: \(what): \(k) must hold non-negative integers")
                    }
                    return x
                }
            }
            let shape = try ints("shape"), offsets = try ints("data_offsets")
            guard offsets.count == 2, offsets[0] <= offsets[1] else {
                throw r.error("corrupt header: \(what): data_offsets must be [begin, end] with begin <= end, got \(shapeString(offsets))")
            }
            infos.append(Info(name: name, type: type, shape: shape, begin: offsets[0], end: offsets[1]))
        }

        // The tensors must tile the data section exactly.
        infos.sort { ($0.begin, $0.end) < ($1.begin, $1.end) }
        var expected = 0
        var previous: String? = nil
        for t in infos {
            guard let count = checkedCount(t.shape) else {
                throw r.error("corrupt header: tensor '\(t.name)' has an implausible shape \(shapeString(t.shape))")
            }
            let need = count * t.type.size
            if t.begin < expected {
                throw r.error("corrupt header: tensors '\(previous ?? "")' and '\(t.name)' overlap (data_offsets begin \(t.begin) < \(expected))")
            }
            if t.begin > expected {
                throw r.error("corrupt header: a gap of \(t.begin - expected) bytes before tensor '\(t.name)' (data_offsets begin \(t.begin), expected \(expected))")
            }
            guard t.end - t.begin == need else {
                throw r.error("corrupt header: tensor '\(t.name)' (\(t.type.rawValue.uppercased()) \(shapeString(t.shape))) needs \(need) bytes, its data_offsets [\(t.begin), \(t.end)] hold \(t.end - t.begin)")
            }
            expected = t.end
            previous = t.name
        }
        let dataStart = 8 + n, available = bytes.count - dataStart
        if expected > available {
            throw r.error("truncated: the tensors need \(expected) bytes of data after the header, the file has \(available)")
        }
        if expected < available {
            throw r.error("corrupt: the file goes on after the last tensor's data (the header's tensors need \(expected) bytes after it)")
        }
        let entries = try bytes.withUnsafeBytes { b in
            try infos.map { t in
                Entry(name: t.name, type: t.type,
                      tensor: try t.type.decode(b.baseAddress! + dataStart + t.begin, shape: t.shape,
                                                context: "\(context): tensor '\(t.name)'"))
            }
        }
        return SafeTensors(entries: entries, metadata: metadata)
    }
}
