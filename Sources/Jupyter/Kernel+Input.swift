import CLua
import CLuaShim
import LuaHost

/// `io.read` in a cell asks the front end, as ipykernel's `input()` does: an input_request
/// on the stdin channel (to the identities of the execute_request, which jupyter_client
/// gives its shell and stdin sockets alike), answered by an input_reply whose value
/// io.read returns. A request with `allow_stdin` false (nbclient's, by default) makes
/// io.read an error rather than a wait for an answer that never comes.
extension Kernel {
    /// Replaces the Lua state's `io.read` (the process's stdin is not the user's).
    func installInput() {
        let L = runner.lua
        let reader = LuaFunction("read", doc: """
            io.read([format]) -> string | number | nil
            In the Jupyter kernel: asks the front end for a line (an input box), "l" (default)
            without its newline, "L" with it, "n" as a number (nil when it is not one).
            Example:
              local name = io.read()
            """) { [unowned self] L in try self.readInput(L) }
        guard L.getGlobal("io") == LUA_TTABLE else { L.pop(); return }
        L.push(reader)
        L.setField(-2, "read")
        L.pop()
    }

    func readInput(_ L: Lua) throws -> Int {
        guard let parent = inputParent, parent.content["allow_stdin"]?.bool ?? false else {
            throw LuaError.message("io.read: this front end takes no input (its execute_request has allow_stdin false)")
        }
        let given = L.isNoneOrNil(1) ? "l" : (L.toString(1) ?? "")
        let format = given.hasPrefix("*") ? String(given.dropFirst()) : given
        guard ["l", "L", "n"].contains(format) else {
            throw LuaError.argument(1, "the kernel's io.read reads one line: \"l\", \"L\" or \"n\", got '\(given)'")
        }
        publisher.flush()   // what the cell printed comes before the question
        reply(parent, on: stdin, "input_request", .object([("prompt", .string("")), ("password", .bool(false))]))
        // waits in steps, so an interrupt by message (which sends no signal) or a shutdown ends it
        while true {
            if topiary_interrupt_pending() != 0 || state.stopping { throw LuaError.message("interrupted!") }
            guard !pollSockets([stdin], timeoutMilliseconds: 100).isEmpty, let frames = stdin.receive(wait: false) else { continue }
            guard let m = decode(frames, channel: "stdin"), m.type == "input_reply" else { continue }
            let value = m.content["value"]?.string ?? ""
            switch format {
            case "n":
                if let d = Double(value.trimmingCharacters(in: .whitespaces)) { L.push(d) } else { L.pushNil() }
            case "L": L.push(value + "\n")
            default: L.push(value)
            }
            return 1
        }
    }
}
