import CZlib
import Foundation
import Tensor

/// Whole-file reading and atomic writing for the dataset and weight readers. Errors
/// name the operation and the file: `fashion_mnist: /x/train-images-idx3-ubyte.gz: no such file`.
public enum FileBytes {
    /// Reads a whole file. Gzip-compressed files are inflated through zlib as they are
    /// read (zlib passes plain files through unchanged), so `x.gz` and `x` both work.
    /// A gzip stream that ends early or fails its checksum is an error.
    public static func read(_ path: String, op: String) throws -> [UInt8] {
        try checkReadable(path, op: op)
        guard let f = gzopen(path, "rb") else {
            throw TensorError("\(op): cannot open \(path): \(String(cString: strerror(errno)))")
        }
        defer { gzclose_r(f) }
        gzbuffer(f, 1 << 18)
        var out: [UInt8] = []
        let chunk = 1 << 20
        if let size = fileSize(path) { out.reserveCapacity(size + chunk) }
        while true {
            try Interrupt.check(op)
            let old = out.count
            out.append(contentsOf: repeatElement(0, count: chunk))
            let n = out.withUnsafeMutableBytes { gzread(f, $0.baseAddress! + old, UInt32(chunk)) }
            if n < 0 {
                throw TensorError("\(op): \(path): \(zlibError(f)) (corrupt gzip data?)")
            }
            out.removeLast(chunk - Int(n))
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

    /// Fails with a clear message when `path` does not exist or is a directory.
    public static func checkReadable(_ path: String, op: String) throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw TensorError("\(op): \(path): no such file")
        }
        if isDir.boolValue { throw TensorError("\(op): \(path) is a directory, expected a file") }
    }

    /// The size in bytes of a file, if it can be read.
    public static func fileSize(_ path: String) -> Int? {
        (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
    }

    /// True if `path` exists (file or directory).
    public static func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

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
