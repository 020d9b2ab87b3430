import Foundation
import Text

/// The connection file a Jupyter front end writes before starting the kernel: where to
/// bind the five sockets and the key that signs messages.
///
///     {"transport": "tcp", "ip": "127.0.0.1", "shell_port": 53794, "iopub_port": 53795,
///      "stdin_port": 53796, "control_port": 53797, "hb_port": 53798,
///      "key": "a0436f6c-…", "signature_scheme": "hmac-sha256"}
public struct ConnectionInfo: Equatable {
    public var transport: String
    public var ip: String
    public var shellPort: Int, iopubPort: Int, stdinPort: Int, controlPort: Int, hbPort: Int
    public var key: String
    public var signatureScheme: String

    /// Reads and checks the connection file at `path`.
    public static func load(_ path: String) throws -> ConnectionInfo {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw KernelError("cannot read the connection file \(path)")
        }
        return try parse(Array(data), file: path)
    }

    public static func parse(_ bytes: [UInt8], file: String) throws -> ConnectionInfo {
        let json: JSON
        do { json = try JSON.parse(bytes) } catch { throw KernelError("\(file): not JSON: \(error)") }
        func string(_ k: String, _ fallback: String? = nil) throws -> String {
            if let s = json[k]?.string { return s }
            if let fallback, json[k] == nil { return fallback }
            throw KernelError("\(file): '\(k)' must be a string")
        }
        func port(_ k: String) throws -> Int {
            guard let p = json[k]?.int, (0...65535).contains(p) else { throw KernelError("\(file): '\(k)' must be a port number") }
            return p
        }
        let info = ConnectionInfo(transport: try string("transport", "tcp"), ip: try string("ip", "127.0.0.1"),
                                  shellPort: try port("shell_port"), iopubPort: try port("iopub_port"), stdinPort: try port("stdin_port"),
                                  controlPort: try port("control_port"), hbPort: try port("hb_port"),
                                  key: try string("key", ""), signatureScheme: try string("signature_scheme", "hmac-sha256"))
        guard info.transport == "tcp" || info.transport == "ipc" else {
            throw KernelError("\(file): transport '\(info.transport)' is not supported (tcp or ipc)")
        }
        guard info.signatureScheme == "hmac-sha256" || info.key.isEmpty else {
            throw KernelError("\(file): signature scheme '\(info.signatureScheme)' is not supported (hmac-sha256)")
        }
        return info
    }

    /// The ZeroMQ endpoint for `port` (`tcp://127.0.0.1:53794`, or `ipc://kernel-ipc-1` for ipc).
    public func endpoint(_ port: Int) -> String {
        transport == "ipc" ? "ipc://\(ip)-\(port)" : "tcp://\(ip):\(port)"
    }

    /// The signer, or nil when the key is empty (authentication off).
    var signer: HMAC? { key.isEmpty ? nil : HMAC(key: Array(key.utf8)) }
}

/// An error that stops the kernel from starting or installing (a bad connection file,
/// a port in use, an unwritable kernelspec directory).
public struct KernelError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
