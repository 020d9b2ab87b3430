import CZMQ
import Foundation

/// A ZeroMQ error, with libzmq's message.
public struct ZMQError: Error, CustomStringConvertible {
    public let operation: String
    public let errno: Int32
    public var description: String { "\(operation): \(String(cString: zmq_strerror(errno)))" }

    static func last(_ operation: String) -> ZMQError { ZMQError(operation: operation, errno: zmq_errno()) }
}

/// A ZeroMQ socket bound to an endpoint. Sends and receives whole multipart messages.
/// Not thread-safe: one thread uses it at a time (the IOPub socket is behind a lock).
final class Socket {
    let handle: UnsafeMutableRawPointer
    let name: String

    init(_ context: UnsafeMutableRawPointer, type: Int32, name: String) throws {
        guard let h = zmq_socket(context, type) else { throw ZMQError.last("zmq_socket(\(name))") }
        handle = h
        self.name = name
        var linger: Int32 = 1000   // at exit, up to 1 s to deliver the last replies
        zmq_setsockopt(h, ZMQ_LINGER, &linger, MemoryLayout<Int32>.size)
    }

    func bind(_ endpoint: String) throws {
        guard zmq_bind(handle, endpoint) == 0 else { throw ZMQError.last("cannot bind the \(name) socket to \(endpoint)") }
    }

    func close() { zmq_close(handle) }

    /// Receives one multipart message; nil when interrupted by a signal (EINTR) or when
    /// the context is shutting down (ETERM). With `wait == false`, nil when none is queued.
    func receive(wait: Bool = true) -> [[UInt8]]? {
        var frames: [[UInt8]] = []
        while true {
            var msg = zmq_msg_t()
            zmq_msg_init(&msg)
            defer { zmq_msg_close(&msg) }
            if zmq_msg_recv(&msg, handle, wait ? 0 : ZMQ_DONTWAIT) < 0 {
                // A partial multipart message never arrives: the rest is delivered at once.
                return nil
            }
            let n = zmq_msg_size(&msg)
            if n > 0, let p = zmq_msg_data(&msg) {
                frames.append(Array(UnsafeBufferPointer(start: p.assumingMemoryBound(to: UInt8.self), count: n)))
            } else {
                frames.append([])
            }
            if zmq_msg_more(&msg) == 0 { return frames }
        }
    }

    /// Sends a multipart message. Returns false if libzmq refused it (logged by the caller).
    @discardableResult
    func send(_ frames: [[UInt8]]) -> Bool {
        for (k, f) in frames.enumerated() {
            let flags = k + 1 < frames.count ? ZMQ_SNDMORE : 0
            var rc: Int32
            repeat {
                rc = f.withUnsafeBytes { zmq_send(handle, $0.baseAddress, f.count, flags) }
            } while rc < 0 && zmq_errno() == EINTR
            if rc < 0 { return false }
        }
        return true
    }
}

/// Waits until one of `sockets` has a message; returns the indices of those that do
/// (empty on timeout or on a signal).
func pollSockets(_ sockets: [Socket], timeoutMilliseconds: Int) -> [Int] {
    var items = sockets.map { zmq_pollitem_t(socket: $0.handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0) }
    let rc = zmq_poll(&items, Int32(items.count), timeoutMilliseconds)
    guard rc > 0 else { return [] }
    return items.indices.filter { items[$0].revents & Int16(ZMQ_POLLIN) != 0 }
}
