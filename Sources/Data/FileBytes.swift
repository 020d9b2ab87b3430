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

    /// Writes `bytes` gzip-compressed to `path` (for small fixtures and exports).
    public static func writeGzip(_ path: String, _ bytes: [UInt8], op: String = "gzip") throws {
        guard let f = gzopen(path, "wb") else {
            throw TensorError("\(op): cannot write \(path): \(String(cString: strerror(errno)))")
        }
        let n = bytes.withUnsafeBytes { gzwrite(f, $0.baseAddress, UInt32($0.count)) }
        let closed = gzclose_w(f)
        guard n == Int32(bytes.count) || bytes.isEmpty, closed == Z_OK else {
            throw TensorError("\(op): cannot write \(path)")
        }
    }

    /// Writes a file atomically: `fill` writes into a temporary file in the same
    /// directory, which is flushed to disk and then renamed over `path`. A failure
    /// removes the temporary file and leaves any old file intact.
    public static func writeAtomically(_ path: String, op: String, _ fill: (FileWriter) throws -> Void) throws {
        let tmp = path + ".tmp-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw TensorError("\(op): cannot write \(path): \(String(cString: strerror(errno)))") }
        let w = FileWriter(fd: fd, path: path, op: op)
        do {
            try fill(w)
            try w.flush()
            guard fsync(fd) == 0 else { throw TensorError("\(op): cannot write \(path): \(String(cString: strerror(errno)))") }
        } catch {
            close(fd)
            unlink(tmp)
            throw error
        }
        close(fd)
        guard rename(tmp, path) == 0 else {
            let e = String(cString: strerror(errno))
            unlink(tmp)
            throw TensorError("\(op): cannot write \(path): \(e)")
        }
    }
}

/// A buffered writer over a file descriptor (see `FileBytes.writeAtomically`).
public final class FileWriter {
    let fd: Int32, path: String, op: String
    private var buffer: [UInt8] = []

    init(fd: Int32, path: String, op: String) {
        self.fd = fd; self.path = path; self.op = op
        buffer.reserveCapacity(1 << 20)
    }

    public func write(_ bytes: [UInt8]) throws {
        buffer.append(contentsOf: bytes)
        if buffer.count >= 1 << 20 { try flush() }
    }

    /// Writes raw memory (large tensor payloads go straight to the file).
    public func write(_ p: UnsafeRawPointer, count: Int) throws {
        if count < 1 << 16 {
            buffer.append(contentsOf: UnsafeRawBufferPointer(start: p, count: count))
            if buffer.count >= 1 << 20 { try flush() }
            return
        }
        try flush()
        try writeAll(p, count)
    }

    func flush() throws {
        guard !buffer.isEmpty else { return }
        try buffer.withUnsafeBytes { try writeAll($0.baseAddress!, $0.count) }
        buffer.removeAll(keepingCapacity: true)
    }

    private func writeAll(_ p: UnsafeRawPointer, _ count: Int) throws {
        var done = 0
        while done < count {
            let n = Foundation.write(fd, p + done, count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw TensorError("\(op): cannot write \(path): \(String(cString: strerror(errno)))")
            }
            done += n
        }
    }
}
