import CLuaShim
import CZMQ
import Foundation
import LuaHost
import Notebook
import Text

/// The Topiary Jupyter kernel: the messaging protocol v5.3 over ZeroMQ, cells run by a
/// live `NotebookRunner` (the same capture, values, plots and tracebacks as `notebook run`).
///
/// Threads: the main thread owns the Lua state and the shell and stdin sockets; a control
/// thread answers interrupt, shutdown and kernel_info on the control socket while a cell
/// runs; a heartbeat thread echoes; the IOPub publisher has its own lock and a flusher.
/// A message that is malformed or wrongly signed is dropped and logged on stderr.
public final class Kernel {
    let info: ConnectionInfo
    let signer: HMAC?
    let session: String
    let context: UnsafeMutableRawPointer
    let shell: Socket, control: Socket, stdin: Socket, iopub: Socket, heartbeat: Socket
    let publisher: Publisher
    let runner: NotebookRunner
    /// A bare Lua state that compiles code for is_complete.
    let compiler = Interpreter()
    var executionCount = 0
    let state = KernelState()
    /// The execute_request running now: where `io.read`'s input_request goes (`Kernel+Input`).
    var inputParent: Message?
    private let threadsDone = DispatchGroup()

    /// Binds the five sockets of `info` and prepares the Lua state.
    public init(_ info: ConnectionInfo) throws {
        self.info = info
        signer = info.signer
        guard let ctx = zmq_ctx_new() else { throw KernelError("cannot create a ZeroMQ context") }
        context = ctx
        let sockets: [Socket]
        do {
            sockets = try [("shell", ZMQ_ROUTER, info.shellPort), ("control", ZMQ_ROUTER, info.controlPort),
                           ("stdin", ZMQ_ROUTER, info.stdinPort), ("iopub", ZMQ_PUB, info.iopubPort),
                           ("heartbeat", ZMQ_REP, info.hbPort)].map { (spec: (String, Int32, Int)) -> Socket in
                let (name, type, port) = spec
                let s = try Socket(ctx, type: type, name: name)
                try s.bind(info.endpoint(port))
                return s
            }
        } catch { throw KernelError("\(error)") }
        (shell, control, stdin, iopub, heartbeat) = (sockets[0], sockets[1], sockets[2], sockets[3], sockets[4])
        let id = UUID().uuidString.lowercased()
        session = id
        publisher = Publisher(socket: sockets[3], signer: info.signer, session: id)
        do { runner = try NotebookRunner.live() } catch { throw KernelError("cannot prepare the Lua state: \(error)") }
        installInput()
    }

    /// Serves until a shutdown request; returns the process's exit status.
    public func run() -> Int32 {
        topiary_catch_sigint(runner.lua.state)
        defer { topiary_catch_sigint(nil) }
        startThread("topiary-kernel-heartbeat") { [self] in heartbeatLoop() }
        startThread("topiary-kernel-control") { [self] in controlLoop() }
        publisher.startFlusher()
        publisher.status("starting", parent: nil)
        while !state.stopping {
            guard !pollSockets([shell], timeoutMilliseconds: 100).isEmpty, let frames = shell.receive(wait: false) else { continue }
            // An interrupt that came while idle must not stop the next request's Lua code.
            if !state.busy { topiary_clear_interrupt() }
            guard let m = decode(frames, channel: "shell") else { continue }
            handleShell(m)
        }
        finish()
        return 0
    }

    /// Decodes frames received on `channel`; logs and returns nil when they are dropped.
    func decode(_ frames: [[UInt8]], channel: String) -> Message? {
        do { return try Message.decode(frames, key: signer) } catch {
            Kernel.log("dropped a message on \(channel): \(error)")
            return nil
        }
    }

    /// Sends a reply on `socket`.
    func reply(_ request: Message, on socket: Socket, _ type: String, _ content: JSON) {
        let m = Message.reply(to: request, type, session: session, content: content)
        if !socket.send(m.encode(key: signer)) { Kernel.log("could not send \(type): \(ZMQError.last("send"))") }
    }

    /// Lines for the front end's log (the kernel's stderr).
    static func log(_ s: String) {
        fputs("topiary kernel: \(s)\n", stderr)
        fflush(stderr)
    }

    // MARK: Threads and shutdown

    private func startThread(_ name: String, _ body: @escaping () -> Void) {
        threadsDone.enter()
        let t = Thread { [threadsDone] in
            body()
            threadsDone.leave()
        }
        t.name = name
        t.start()
    }

    /// Echoes heartbeat pings until the context shuts down.
    private func heartbeatLoop() {
        while true {
            guard let frames = heartbeat.receive() else {
                if zmq_errno() == ETERM { break }
                continue
            }
            heartbeat.send(frames)
        }
        heartbeat.close()
    }

    /// Serves the control socket until shutdown.
    private func controlLoop() {
        while !state.stopping {
            guard !pollSockets([control], timeoutMilliseconds: 100).isEmpty, let frames = control.receive(wait: false) else { continue }
            guard let m = decode(frames, channel: "control") else { continue }
            handleControl(m)
        }
        control.close()
    }

    /// Sends what is left, closes the sockets and ends the ZeroMQ context (waiting up to
    /// the sockets' linger time for the last replies to leave).
    private func finish() {
        publisher.stop()
        zmq_ctx_shutdown(context)   // wakes the heartbeat thread
        threadsDone.wait()
        for s in [shell, stdin, iopub] { s.close() }
        zmq_ctx_term(context)
    }
}

/// What the main and control threads share: whether a cell runs and whether to stop.
final class KernelState: @unchecked Sendable {
    private let lock = NSLock()
    private var _busy = false
    private var _stopping = false

    var busy: Bool {
        get { lock.lock(); defer { lock.unlock() }; return _busy }
        set { lock.lock(); _busy = newValue; lock.unlock() }
    }
    var stopping: Bool {
        get { lock.lock(); defer { lock.unlock() }; return _stopping }
        set { lock.lock(); _stopping = newValue; lock.unlock() }
    }
}
