import Foundation
import Text

/// The IOPub channel: status, execute_input, stream, execute_result, display_data and
/// error messages go to every connected front end. Used from the main thread (cells) and
/// the control thread (shutdown), so every send holds a lock. Stream text is buffered and
/// sent at most every `streamInterval` seconds (a loop printing a million lines sends
/// tens of messages, not a million), and always before any other message, so the order
/// of outputs is kept.
final class Publisher: @unchecked Sendable {
    static let streamInterval = 0.05
    private let socket: Socket
    private let signer: HMAC?
    private let session: String
    private let lock = NSLock()
    private var pending: (name: String, text: String, parent: Message)? = nil
    private var lastFlush = DispatchTime.now()
    private var flusher: Thread?
    private var stopped = false

    init(socket: Socket, signer: HMAC?, session: String) {
        self.socket = socket
        self.signer = signer
        self.session = session
    }

    /// Publishes a message of `type` on behalf of `parent` (nil: the kernel's own, e.g.
    /// `status: starting`).
    func publish(_ type: String, _ content: JSON, parent: Message?) {
        lock.lock()
        defer { lock.unlock() }
        flushLocked()
        sendLocked(type, content, parent: parent)
    }

    /// `status` with `execution_state` busy, idle or starting.
    func status(_ state: String, parent: Message?) {
        publish("status", .object([("execution_state", .string(state))]), parent: parent)
    }

    /// Stream text (`stdout` or `stderr`), buffered.
    func stream(_ name: String, _ text: String, parent: Message) {
        lock.lock()
        defer { lock.unlock() }
        if let p = pending, p.name == name, p.parent.header == parent.header {
            pending!.text += text
        } else {
            flushLocked()
            pending = (name, text, parent)
        }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - lastFlush.uptimeNanoseconds) / 1e9
        if elapsed >= Publisher.streamInterval || pending!.text.utf8.count > 1 << 16 { flushLocked() }
    }

    /// Sends the buffered stream text now.
    func flush() {
        lock.lock()
        flushLocked()
        lock.unlock()
    }

    /// Starts the thread that sends buffered stream text while a cell runs.
    func startFlusher() {
        let t = Thread { [self] in
            while true {
                usleep(UInt32(Publisher.streamInterval * 1e6))
                lock.lock()
                if stopped { lock.unlock(); return }
                flushLocked()
                lock.unlock()
            }
        }
        t.name = "topiary-kernel-iopub"
        t.start()
        flusher = t
    }

    /// Sends what is buffered and stops the flusher; nothing is sent afterwards.
    func stop() {
        lock.lock()
        flushLocked()
        stopped = true
        lock.unlock()
    }

    private func flushLocked() {
        lastFlush = DispatchTime.now()
        guard let p = pending else { return }
        pending = nil
        sendLocked("stream", .object([("name", .string(p.name)), ("text", .string(p.text))]), parent: p.parent)
    }

    private func sendLocked(_ type: String, _ content: JSON, parent: Message?) {
        guard !stopped else { return }
        var m = Message(header: Message.header(type, session: session), content: content)
        if let parent { m.parentHeader = parent.header }
        m.identities = [Array("kernel.\(session).\(type)".utf8)]
        if !socket.send(m.encode(key: signer)) { Kernel.log("could not publish \(type): \(ZMQError.last("send"))") }
    }
}
