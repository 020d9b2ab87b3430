import CZlib
import Foundation
import Tensor

/// Whole-file reading and atomic writing for the dataset and weight readers. Errors
/// name the operation and the file: `fashion_mnist: /x/train-images-idx3-ubyte.gz: no such file`.
public enum FileBytes {
    /// Reads a whole file. Gzip-compressed files are inflated through zlib as they are
    /// read (zlib passes plain files through unchanged), so `x.gz` and `x` both work.
    /// A gzip stream that ends early or fails its checksum is an error.
    public static func read(_ path: FilePath, op: String) throws -> [UInt8] {
        let s = try Stream(path, op: op)
        return try s.read(Int.max)
    }

    /// `read(_:op:)` for a string path.
    public static func read(_ path: String, op: String) throws -> [UInt8] { try read(FilePath(path), op: op) }

    /// The most bytes a deflate stream can inflate to per compressed byte (zlib's
    /// documented worst case, 1032:1), used to refuse headers that claim more data than
    /// the file can possibly hold, before inflating anything.
    public static let maxInflation = 1032

    /// A file read in pieces, inflated as it goes when gzip-compressed (plain files pass
    /// through), so a reader can check a header before reading what it claims follows.
    public final class Stream {
        let f: gzFile, path: String, op: String
        /// Bytes of the file on disk.
        public let compressedSize: Int

        public init(_ path: FilePath, op: String) throws {
            try path.checkReadable(op: op)
            guard let f = path.withCString({ gzopen($0, "rb") }) else {
                throw TensorError("\(op): cannot open \(path): \(String(cString: strerror(errno)))")
            }
            gzbuffer(f, 1 << 18)
            self.f = f; self.path = path.description; self.op = op
            compressedSize = path.fileSize ?? 0
        }

        public convenience init(_ path: String, op: String) throws { try self.init(FilePath(path), op: op) }

        deinit { gzclose_r(f) }

        /// Whether the file is gzip-compressed (false for a plain file read as is).
        public var isCompressed: Bool {
            _ = gzread(f, nil, 0)   // reads the gzip header, so gzdirect can tell
            return gzdirect(f) == 0
        }

        /// The most bytes the whole file can hold once inflated.
        public var maxContentSize: Int {
            isCompressed ? compressedSize.multipliedReportingOverflow(by: maxInflation).partialValue + 64 : compressedSize
        }

        /// Reads up to `limit` more bytes (fewer at the end of the file).
        public func read(_ limit: Int) throws -> [UInt8] {
            var out: [UInt8] = []
            let chunk = 1 << 20
            if limit > chunk { out.reserveCapacity(Swift.min(limit, compressedSize + chunk)) }
            while out.count < limit {
                try Interrupt.check(op)
                let want = Swift.min(chunk, limit - out.count), old = out.count
                out.append(contentsOf: repeatElement(0, count: want))
                let n = out.withUnsafeMutableBytes { gzread(f, $0.baseAddress! + old, UInt32(want)) }
                if n < 0 {
                    throw TensorError("\(op): \(path): \(zlibError(f)) (corrupt gzip data?)")
                }
                out.removeLast(want - Int(n))
                if n == 0 { break }
            }
            var code: Int32 = 0
            _ = gzerror(f, &code)
            if code == Z_BUF_ERROR {
                throw TensorError("\(op): \(path): truncated: the gzip stream ends early (unexpected end of file)")
            }
            if code != Z_OK { throw TensorError("\(op): \(path): \(zlibError(f))") }
            return out
        }
    }

    /// Fails with a clear message when `path` does not exist or is a directory.
    /// True if `path` exists (file or directory).
    public static func exists(_ path: String) -> Bool { FilePath(path).exists }

    private static func zlibError(_ f: gzFile) -> String {
        var code: Int32 = 0
        guard let m = gzerror(f, &code) else { return "zlib error \(code)" }
        return String(cString: m)
    }

    /// Writes `bytes` gzip-compressed to `path`, atomically (`AtomicFile`).
    public static func writeGzip(_ path: String, _ bytes: [UInt8], op: String = "gzip") throws {
        try AtomicFile.write(path, op: op) { w in
            guard let f = gzdopen(dup(w.fileDescriptor), "wb") else {
                throw TensorError("\(op): cannot write \(path): \(String(cString: strerror(errno)))")
            }
            let n = bytes.withUnsafeBytes { gzwrite(f, $0.baseAddress, UInt32($0.count)) }
            let closed = gzclose_w(f)
            guard n == Int32(bytes.count) || bytes.isEmpty, closed == Z_OK else {
                throw TensorError("\(op): cannot write \(path)")
            }
        }
    }
}
