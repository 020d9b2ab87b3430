import Foundation

/// Atomic file writing, shared by every writer (.npy, safetensors, checkpoints, and
/// anything else that must not leave a half-written file): the bytes go to a temporary
/// file `NAME.tmp-PID-RAND` in the same directory, which is flushed to disk and renamed
/// over `NAME`. A failure removes the temporary file and leaves any old file intact;
/// temporary files left by writers that were killed (their PID is gone) are removed
/// the next time `NAME` is written.
public enum AtomicFile {
    /// Writes `path` atomically; `fill` writes the contents through a buffered writer.
    public static func write(_ path: FilePath, op: String, _ fill: (FileWriter) throws -> Void) throws {
        guard !path.isEmpty else { throw TensorError("\(op): invalid path '\(path)'") }
        removeStaleTemporaries(of: path)
        let tmp = path.appendingToName(".tmp-\(getpid())-\(UInt32.random(in: 0 ... .max))")
        let fd = tmp.withCString { open($0, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644) }
        guard fd >= 0 else { throw TensorError("\(op): cannot write \(path): \(String(cString: strerror(errno)))") }
        let w = FileWriter(fd: fd, path: path.description, op: op)
        do {
            try fill(w)
            try w.flush()
            guard fsync(fd) == 0 else { throw TensorError("\(op): cannot write \(path): \(String(cString: strerror(errno)))") }
        } catch {
            close(fd)
            _ = tmp.withCString { unlink($0) }
            throw error
        }
        close(fd)
        guard tmp.withCString({ t in path.withCString { rename(t, $0) } }) == 0 else {
            let e = String(cString: strerror(errno))
            _ = tmp.withCString { unlink($0) }
            throw TensorError("\(op): cannot write \(path): \(e)")
        }
    }

    /// Writes `path` (a string path) atomically; see `write(_:op:_:)`.
    public static func write(_ path: String, op: String, _ fill: (FileWriter) throws -> Void) throws {
        guard !path.utf8.contains(0) else { throw TensorError("\(op): invalid path '\(path)'") }
        try write(FilePath(path), op: op, fill)
    }

    /// Writes `bytes` to `path` atomically.
    public static func write(_ path: FilePath, bytes: [UInt8], op: String) throws {
        try write(path, op: op) { try $0.write(bytes) }
    }

    /// Writes `bytes` to `path` (a string path) atomically.
    public static func write(_ path: String, bytes: [UInt8], op: String) throws {
        try write(path, op: op) { try $0.write(bytes) }
    }

    /// Removes `NAME.tmp-PID-RAND` files next to `path` whose writer process no longer
    /// exists (a live PID's file, even one reused by another process, is left alone).
    public static func removeStaleTemporaries(of path: FilePath) {
        let dir = path.parent, prefix = path.lastComponent + Array(".tmp-".utf8)
        for name in dir.directoryEntries() where name.starts(with: prefix) {
            let parts = String(decoding: name[prefix.count...], as: UTF8.self).split(separator: "-")
            guard parts.count == 2, let pid = Int32(parts[0]), pid > 0, UInt32(parts[1]) != nil else { continue }
            if pid == getpid() { continue }
            if kill(pid, 0) == -1 && errno == ESRCH {
                _ = FilePath(unchecked: dir.bytes + [UInt8(ascii: "/")] + name).withCString { unlink($0) }
            }
        }
    }

    /// `removeStaleTemporaries(of:)` for a string path.
    public static func removeStaleTemporaries(of path: String) { removeStaleTemporaries(of: FilePath(path)) }
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
