import Foundation

/// What the file system says about a path, through the system calls themselves (not
/// Foundation's string paths), so any byte sequence works.
extension FilePath {
    private func status() -> stat? {
        var st = stat()
        return withCString { stat($0, &st) } == 0 ? st : nil
    }

    /// True if the path exists (file, directory or anything else; symlinks followed).
    public var exists: Bool { status() != nil }

    /// True if the path is a directory.
    public var isDirectory: Bool { status().map { ($0.st_mode & S_IFMT) == S_IFDIR } ?? false }

    /// The size in bytes, if the path exists.
    public var fileSize: Int? { status().map { Int($0.st_size) } }

    /// Fails with a clear message when the path does not exist or is not a regular file: a
    /// directory, or a device, FIFO or socket (/dev/zero would be read until memory runs out, a
    /// FIFO without a writer forever).
    public func checkReadable(op: String) throws {
        guard let st = status() else { throw TensorError("\(op): \(self): \(FilePath.systemError(ENOENT))") }
        let type = st.st_mode & S_IFMT
        if type == S_IFDIR { throw TensorError("\(op): \(self) is a directory, expected a file") }
        if type != S_IFREG {
            let kind = type == S_IFCHR || type == S_IFBLK ? "a device" : type == S_IFIFO ? "a FIFO (named pipe)" : type == S_IFSOCK ? "a socket" : "not a regular file"
            throw TensorError("\(op): \(self) is \(kind), expected a regular file")
        }
    }

    /// The whole file's bytes (plain read; see `FileBytes` for gzip-aware reading).
    public func readAll(op: String) throws -> [UInt8] {
        try checkReadable(op: op)
        let fd = withCString { open($0, O_RDONLY | O_CLOEXEC) }
        guard fd >= 0 else { throw TensorError("\(op): cannot open \(self): \(FilePath.systemError(errno))") }
        defer { close(fd) }
        var out: [UInt8] = []
        if let n = fileSize, n > 0 { out.reserveCapacity(n) }
        let chunk = 1 << 20
        while true {
            let old = out.count
            out.append(contentsOf: repeatElement(0, count: chunk))
            let n = out.withUnsafeMutableBytes { read(fd, $0.baseAddress! + old, chunk) }
            if n < 0 {
                if errno == EINTR { out.removeLast(chunk); continue }
                throw TensorError("\(op): cannot read \(self): \(FilePath.systemError(errno))")
            }
            out.removeLast(chunk - n)
            if n == 0 { return out }
        }
    }

    /// Creates the directory and any missing parents (`mkdir -p`); an existing directory
    /// is fine, an existing file in the way is an error.
    public func createDirectories(op: String) throws {
        if isDirectory { return }
        let up = parent
        if up != self, !up.isEmpty { try up.createDirectories(op: op) }
        guard withCString({ mkdir($0, 0o755) }) != 0 else { return }
        let code = errno
        if code == EEXIST, isDirectory { return }   // made meanwhile by another process
        throw TensorError("\(op): cannot create the directory \(self): \(FilePath.systemError(code == EEXIST ? ENOTDIR : code))")
    }

    /// The names in the directory (without `.` and `..`), as bytes; empty when it
    /// cannot be listed.
    public func directoryEntries() -> [[UInt8]] {
        guard let dir = withCString({ opendir($0) }) else { return [] }
        defer { closedir(dir) }
        var names: [[UInt8]] = []
        while let e = readdir(dir) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { raw -> [UInt8] in
                let b = raw.bindMemory(to: UInt8.self)
                return Array(b.prefix(while: { $0 != 0 }))
            }
            if name == [46] || name == [46, 46] { continue }
            names.append(name)
        }
        return names
    }

    /// `strerror(code)` as a string, lower-cased like the rest of our messages.
    public static func systemError(_ code: Int32) -> String {
        code == ENOENT ? "no such file" : String(cString: strerror(code))
    }
}
