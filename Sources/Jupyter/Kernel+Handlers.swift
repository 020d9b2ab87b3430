import CLuaShim
import Notebook
import Text

/// Dispatch of shell and control requests, and the replies that need no Lua code.
extension Kernel {
    /// A shell request, on the main thread: status busy, the handler, status idle.
    func handleShell(_ m: Message) {
        let handler: ((Message) -> JSON)?
        switch m.type {
        case "execute_request": handler = execute
        case "complete_request": handler = complete
        case "inspect_request": handler = inspect
        case "is_complete_request": handler = isComplete
        case "kernel_info_request": handler = { _ in self.kernelInfo() }
        case "comm_info_request": handler = { _ in .object([("status", .string("ok")), ("comms", .object([]))]) }
        case "history_request": handler = { _ in .object([("status", .string("ok")), ("history", .array([]))]) }
        case "shutdown_request": handler = shutdown
        default: handler = nil
        }
        guard let handler else {
            Kernel.log("ignored a \(m.type) on shell (not supported)")
            return
        }
        publisher.status("busy", parent: m)
        let content = handler(m)
        reply(m, on: shell, replyType(m.type), content)
        publisher.status("idle", parent: m)
    }

    /// A control request, on the control thread (a cell may be running on the main one).
    func handleControl(_ m: Message) {
        let content: JSON
        switch m.type {
        case "interrupt_request":
            topiary_interrupt(runner.lua.state)
            content = .object([("status", .string("ok"))])
        case "shutdown_request": content = shutdown(m)
        case "kernel_info_request": content = kernelInfo()
        default:
            Kernel.log("ignored a \(m.type) on control (not supported)")
            return
        }
        publisher.status("busy", parent: m)
        reply(m, on: control, replyType(m.type), content)
        publisher.status("idle", parent: m)
    }

    func replyType(_ request: String) -> String {
        (request.hasSuffix("_request") ? String(request.dropLast(8)) : request) + "_reply"
    }

    /// Stops the serving loops (a running cell is interrupted). A restart is the front
    /// end's business: it starts a new kernel process after this one exits.
    func shutdown(_ m: Message) -> JSON {
        let restart = m.content["restart"]?.bool ?? false
        state.stopping = true
        if state.busy { topiary_interrupt_sticky(runner.lua.state) }
        return .object([("status", .string("ok")), ("restart", .bool(restart))])
    }

    func kernelInfo() -> JSON {
        .object([
            ("status", .string("ok")),
            ("protocol_version", .string(Message.protocolVersion)),
            ("implementation", .string("topiary")),
            ("implementation_version", .string(Kernel.version)),
            ("language_info", IpynbExport.languageInfo),
            ("banner", .string("Topiary (Lua 5.4): tensors, networks and pruning. help() for help.")),
            ("help_links", .array([])),
        ])
    }

    static let version = "0.1"
}
