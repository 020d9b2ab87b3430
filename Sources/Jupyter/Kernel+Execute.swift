import Notebook
import Text

/// execute_request: runs the code as a notebook cell and publishes its outputs as they
/// come (streams), then its plots, value and error, in the shapes `notebook export
/// --ipynb` writes, so a notebook run through the kernel holds what `notebook run` records.
extension Kernel {
    func execute(_ m: Message) -> JSON {
        guard let code = m.content["code"]?.string else {
            Kernel.log("execute_request without a 'code' string")
            return errorReply(ename: "KernelError", evalue: "execute_request without a 'code' string", traceback: [])
        }
        let silent = m.content["silent"]?.bool ?? false
        let storeHistory = m.content["store_history"]?.bool ?? !silent
        if !silent && storeHistory { executionCount += 1 }
        let count = executionCount
        if !silent {
            publisher.publish("execute_input", .object([("code", .string(code)), ("execution_count", .int(count))]), parent: m)
        }
        state.busy = true
        inputParent = m
        let (status, outputs) = runner.execute(source: code, chunk: "In[\(count)]") { [self] o in
            if !silent { publish(o, count: count, parent: m) }
        }
        inputParent = nil
        state.busy = false
        publisher.flush()
        if status == .ok {
            return .object([("status", .string("ok")), ("execution_count", .int(count)),
                            ("user_expressions", .object([])), ("payload", .array([]))])
        }
        if m.content["stop_on_error"]?.bool ?? true { abortQueued() }
        let error = outputs.last { $0.kind == .error }.map { IpynbExport.output($0, count: count) }
        return errorReply(ename: error?["ename"]?.string ?? "LuaError", evalue: error?["evalue"]?.string ?? "",
                          traceback: error?["traceback"]?.array ?? [], count: count)
    }

    /// After a failed cell (`stop_on_error`, the default), the execute requests already
    /// queued are answered `aborted` without running, as ipykernel does: "Run all" stops
    /// at the first error. Other queued requests are served.
    func abortQueued() {
        while let frames = shell.receive(wait: false) {
            guard let q = decode(frames, channel: "shell") else { continue }
            guard q.type == "execute_request" else { handleShell(q); continue }
            publisher.status("busy", parent: q)
            reply(q, on: shell, "execute_reply", .object([("status", .string("aborted")), ("execution_count", .int(executionCount))]))
            publisher.status("idle", parent: q)
        }
    }

    func errorReply(ename: String, evalue: String, traceback: [JSON], count: Int? = nil) -> JSON {
        .object([("status", .string("error")), ("execution_count", .int(count ?? executionCount)),
                 ("ename", .string(ename)), ("evalue", .string(evalue)), ("traceback", .array(traceback))])
    }

    /// Publishes one output: streams through the buffer, the rest as the IOPub message
    /// named by its nbformat `output_type`.
    func publish(_ o: CellOutput, count: Int, parent: Message) {
        let nb = IpynbExport.output(o, count: count)
        guard let type = nb["output_type"]?.string, let fields = nb.object else { return }
        if type == "stream" {
            publisher.stream(nb["name"]?.string ?? "stdout", Kernel.joined(nb["text"]), parent: parent)
            return
        }
        var content: [(String, JSON)] = []
        for (k, v) in fields where k != "output_type" {
            if k == "data", let bundle = v.object {
                content.append((k, .object(bundle.map { (mime, value) -> (String, JSON) in (mime, .string(Kernel.joined(value))) })))
            } else {
                content.append((k, v))
            }
        }
        if type == "display_data" { content.append(("transient", .object([]))) }
        publisher.publish(type, .object(content), parent: parent)
    }

    /// nbformat's list of lines as one string.
    static func joined(_ v: JSON?) -> String {
        if let s = v?.string { return s }
        return (v?.array ?? []).compactMap(\.string).joined()
    }
}
