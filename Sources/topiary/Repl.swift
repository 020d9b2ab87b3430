import ArgumentParser
import Bindings
import CLuaShim
import Foundation
import LuaHost

/// `topiary repl` (and `topiary` alone): an interactive Lua session with Topiary's modules.
///
/// On a terminal: libedit line editing, history in `~/.topiary_history` (or
/// `$TOPIARY_HISTORY`; empty for none), Tab completion, colour unless `NO_COLOR` is set,
/// the wall time of each command on stderr. Without a terminal on stdin, lines are read
/// with no prompts and no line editing (`echo 'print(1+1)' | topiary repl` prints 2);
/// errors go to stderr, the session goes on, and the exit status at the end of input is 0.
/// `TOPIARY_TIMING=1` (or 0) turns the timings on (off) in either mode.
struct Repl: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Interactive Lua with Topiary's modules.",
        discussion: """
        Expressions print their values (`= expr` too); a trailing `;` hides them. Lines are
        joined until the chunk is complete, as in `lua`. Tab completes globals, fields and
        methods. Ctrl-C interrupts running code, Ctrl-D quits. Commands: :load FILE,
        :save FILE (the session's inputs as a jupytext percent notebook), :help, :quit.
        Without a terminal on stdin: no prompts, errors on stderr, exit status 0 at the end.
        Environment: TOPIARY_HISTORY (history file; empty disables), NO_COLOR,
        TOPIARY_TIMING=0|1, LUA_INIT (run first, as in `lua`).
        """)

    func run() throws {
        let env = ProcessInfo.processInfo.environment
        let interactive = isatty(0) != 0
        let noColour = !(env["NO_COLOR"] ?? "").isEmpty || env["TERM"] == "dumb"
        let interp = Libraries.makeInterpreter()
        do { try interp.runLuaInit() } catch { fail(error) }   // as lua.c: LUA_INIT first
        let session = ReplSession(interp: interp, colour: interactive && isatty(1) != 0 && !noColour)
        session.colourErrors = interactive && isatty(2) != 0 && !noColour
        session.timing = env["TOPIARY_TIMING"].map { $0 == "1" } ?? interactive
        topiary_catch_sigint(interp.lua.state)
        defer { topiary_catch_sigint(nil) }
        if interactive { interactiveLoop(session) } else { pipeLoop(session) }
    }

    /// Terminal: prompts `> ` and `>> ` (continuation), libedit, history, completion.
    func interactiveLoop(_ session: ReplSession) {
        let editor = LineEditor(historyPath: LineEditor.defaultHistoryPath())
        let L = session.interp.lua
        LineEditor.completer = { Completion.candidates(L, line: $0).candidates }
        session.onAccept = { editor.remember($0) }
        print("Topiary REPL (Lua 5.4). help() for help, :help for commands, Ctrl-D to quit.")
        while !ReplSession.quitRequested {
            fflush(stdout)
            switch editor.read(prompt: session.isContinuing ? ">> " : "> ") {
            case .line(let line): session.feed(line)
            case .interrupted: session.cancel()
            case .endOfFile:
                print()
                return
            }
        }
    }

    /// Pipe or file: no prompts, no line editing.
    func pipeLoop(_ session: ReplSession) {
        while !ReplSession.quitRequested, let line = readLine(strippingNewline: true) {
            session.feed(line)
        }
        session.finish()
        fflush(stdout)
    }
}
