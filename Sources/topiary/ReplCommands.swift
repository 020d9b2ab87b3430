import Foundation
import LuaHost

/// The REPL's colon commands: `:load file`, `:save file`, `:help`, `:quit`.
extension ReplSession {
    /// Set by `:quit`; the read loop stops.
    nonisolated(unsafe) static var quitRequested = false

    func command(_ text: String) {
        let body = text.dropFirst()
        let name = body.prefix { !$0.isWhitespace }
        let arg = body.dropFirst(name.count).trimmingCharacters(in: .whitespaces)
        switch name {
        case "load", "l":
            guard !arg.isEmpty else { return reportError(":load needs a file name") }
            load(arg)
        case "save", "s":
            guard !arg.isEmpty else { return reportError(":save needs a file name") }
            save(to: arg)
        case "help", "h", "?":
            write(Help.overview(interp.lua) + "\n")
        case "quit", "q", "exit":
            ReplSession.quitRequested = true
        default:
            reportError("unknown command ':\(name)' (try :help)")
        }
        fflush(stdout)
    }

    /// Writes the accepted inputs as a notebook script: jupytext's percent format for Lua,
    /// one `-- %%` code cell per input. The file also runs as a plain script.
    func save(to path: String) {
        let text = ReplSession.notebook(cells)
        do {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            write("saved \(cells.count) cell\(cells.count == 1 ? "" : "s") to \(path)\n")
        } catch {
            reportError("cannot write \(path): \(error.localizedDescription)")
        }
    }

    /// `-- %%` followed by the cell's code, cells separated by a blank line.
    static func notebook(_ cells: [String]) -> String {
        cells.map { "-- %%\n" + $0 + "\n" }.joined(separator: "\n")
    }
}
