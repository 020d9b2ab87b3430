import Foundation

/// A file path as the bytes the file system knows it by. On Linux a name is any byte
/// sequence without NUL; a Swift `String` holds only valid UTF-8, so a path taken from
/// Lua (where strings are bytes) travels as a `FilePath` and reaches the system calls
/// unchanged — `"caf\xe9.npy"` opens that file, not `caf\u{FFFD}.npy`.
///
///     let p = FilePath("runs") + "model.safetensors"
///     if p.exists { print(p) }   // runs/model.safetensors
public struct FilePath: Hashable, Sendable, CustomStringConvertible {
    /// The path's bytes (never containing NUL when built through `init(bytes:)`).
    public let bytes: [UInt8]

    /// A path from a Swift string (always valid UTF-8).
    public init(_ string: String) { bytes = Array(string.utf8) }

    /// A path from raw bytes; nil when they hold a NUL byte, which would end the path
    /// early at the system call.
    public init?(bytes: [UInt8]) {
        guard !bytes.contains(0) else { return nil }
        self.bytes = bytes
    }

    /// The path for messages: bytes that are not UTF-8 are shown as `\xHH` escapes, so
    /// two different names never print alike.
    public var description: String {
        if let s = String(validating: bytes, as: UTF8.self) { return s }
        var out = "", k = 0
        while k < bytes.count {
            // The longest valid UTF-8 prefix from k, else one escaped byte.
            var end = min(bytes.count, k + 4)
            var decoded: String?
            while end > k {
                if let s = String(validating: bytes[k..<end], as: UTF8.self), s.unicodeScalars.count == 1 { decoded = s; break }
                end -= 1
            }
            if let decoded { out += decoded; k = end } else { out += String(format: "\\x%02X", bytes[k]); k += 1 }
        }
        return out
    }

    /// Whether the path is empty.
    public var isEmpty: Bool { bytes.isEmpty }

    /// `self` and `component` joined by one `/`.
    public static func + (lhs: FilePath, component: String) -> FilePath {
        var b = lhs.bytes
        while b.count > 1, b.last == UInt8(ascii: "/") { b.removeLast() }
        if !b.isEmpty, b.last != UInt8(ascii: "/") { b.append(UInt8(ascii: "/")) }
        b.append(contentsOf: component.utf8)
        return FilePath(unchecked: b)
    }

    /// The path with `suffix` appended to its last component (`x.npy` → `x.npy.tmp-1`).
    public func appendingToName(_ suffix: String) -> FilePath { FilePath(unchecked: bytes + Array(suffix.utf8)) }

    /// The directory part (`a/b/c` → `a/b`, `c` → `.`, `/c` → `/`).
    public var parent: FilePath {
        var b = bytes
        while b.count > 1, b.last == UInt8(ascii: "/") { b.removeLast() }
        guard let slash = b.lastIndex(of: UInt8(ascii: "/")) else { return FilePath(".") }
        return slash == 0 ? FilePath("/") : FilePath(unchecked: Array(b[..<slash]))
    }

    /// The last component's bytes (`a/b/c.npy` → `c.npy`).
    public var lastComponent: [UInt8] {
        var b = bytes
        while b.count > 1, b.last == UInt8(ascii: "/") { b.removeLast() }
        guard let slash = b.lastIndex(of: UInt8(ascii: "/")) else { return b }
        return Array(b[(slash + 1)...])
    }

    /// Calls `body` with the path as a NUL-terminated C string.
    public func withCString<R>(_ body: (UnsafePointer<CChar>) throws -> R) rethrows -> R {
        try (bytes + [0]).withUnsafeBufferPointer { b in
            try b.withMemoryRebound(to: CChar.self) { try body($0.baseAddress!) }
        }
    }

    init(unchecked bytes: [UInt8]) { self.bytes = bytes }
}
