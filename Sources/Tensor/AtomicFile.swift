import Foundation

/// Atomic file writing, shared by every writer (.npy, safetensors, checkpoints, and
/// anything else that must not leave a half-written file): the bytes go to a temporary
/// file `NAME.tmp-PID-RAND` in the same directory, which is flushed to disk and renamed
/// over `NAME`. A failure removes the temporary file and leaves any old file intact;
/// temporary files left by writers that were killed (their PID is gone) are removed
/// the next time `NAME` is written.
public enum AtomicFile {
    /// Writes `path` atomically; `fill` writes the contents through a buffered writer.
    public static func write(_ path: String, op: String, _ fill: (FileWriter) throws -> Void) throws {
        guard !path.isEmpty, !path.utf8.contains(0) else { throw TensorError("\(op): invalid path '\(path)'") }
        removeStaleTemporaries(of: path)
        let tmp = path + ".tmp-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0o644)
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

    /// Writes `bytes` to `path` atomically.
    public static func write(_ path: String, bytes: [UInt8], op: String) throws {
        try write(path, op: op) { try $0.write(bytes) }
    }

    /// Removes `NAME.tmp-PID-RAND` files next to `path` whose writer process no longer
    /// exists (a live PID's file, even one reused by another process, is left alone).
    public static func removeStaleTemporaries(of path: String) {
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path, prefix = url.lastPathComponent + ".tmp-"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return }
        for name in names where name.hasPrefix(prefix) {
            let parts = name.dropFirst(prefix.count).split(separator: "-")
            guard parts.count == 2, let pid = Int32(parts[0]), pid > 0, UInt32(parts[1]) != nil else { continue }
            if pid == getpid() { continue }
            if kill(pid, 0) == -1 && errno == ESRCH { unlink(dir + "/" + name) }
        }
    }
}

/// A buffered writer over a file descriptor (see `AtomicFile.write`).
public final class FileWriter {
    let fd: Int32, path: String, op: String
    private var buffer: [UInt8] = []

    init(fd: Int32, path: String, op: String) {
        self.fd = fd; self.path = path; self.op = op
        buffer.reserveCapacity(1 << 20)
    }

    /// The temporary file's descriptor, for writers that write to it themselves (zlib);
    /// use it before any buffered `write`.
    public var fileDescriptor: Int32 { fd }

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
