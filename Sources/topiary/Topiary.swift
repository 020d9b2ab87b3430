import ArgumentParser
import Bindings
import CLuaShim
import Foundation
import Kernels
import LuaHost
import Sweep

/// `topiary`: the command line. With no subcommand it runs `-e` chunks, or starts the REPL.
@main
struct Topiary: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topiary",
        abstract: "A research host for CNN filter pruning, scripted in Lua.",
        subcommands: [Run.self, Repl.self, NotebookCommand.self, SweepCommand.self, Bench.self, KernelCommand.self])

    /// Puts OpenBLAS on the kernels this CPU can run (`BLASCore`), takes up a sweep task's
    /// inherited lock and lifeline when a sweep started this process (`TaskChild`), then
    /// parses the command line.
    static func main() {
        BLASCore.reexecIfGeneric()
        TaskChild.adopt()
        main(nil)
    }

    @Option(name: .customShort("e"), help: "Execute a Lua chunk (repeatable).")
    var chunks: [String] = []

    func run() throws {
        if chunks.isEmpty {
            try Repl().run()
            return
        }
        let interp = Libraries.makeInterpreter()
        topiary_catch_sigint(interp.lua.state)   // Ctrl-C: "interrupted!" in the chunk, as lua.c
        do { try interp.runLuaInit() } catch { failScript(error) }
        runChunks(interp, RawArguments.match(chunks, RawArguments.current.chunks))
    }
}

/// Runs the `-e` chunks (given before any subcommand) as bytes, in order, as lua.c does.
func runChunks(_ interp: Interpreter, _ chunks: [[UInt8]]) {
    for (i, c) in chunks.enumerated() {
        do {
            let base = interp.lua.top
            try interp.compile(bytes: c, name: "=(command line \(i + 1))")
            try interp.call(nargs: 0)
            interp.lua.setTop(base)
        } catch { failScript(error) }
    }
}

/// `fail` for an error of a script or `-e` chunk. One that an uncaught Ctrl-C caused
/// ("interrupted!", raised in the Lua code once `topiary_catch_sigint` is installed, after
/// which the `<close>` handlers on the way ran) is printed with its traceback, then ends the
/// process by SIGINT, as Python does: the shell sees status 130 and a shell loop running
/// scripts stops. (lua.c exits 1, which a shell takes for a command that handled the Ctrl-C.)
func failScript(_ error: Error) -> Never {
    if topiary_interrupt_pending() != 0, "\(error)".contains("interrupted") {
        FileHandle.standardError.write(Data("topiary: \(error)\n".utf8))
        fflush(nil)
        signal(SIGINT, SIG_DFL)
        kill(getpid(), SIGINT)
        Foundation.exit(130)
    }
    fail(error)
}

/// Prints an uncaught Lua error (with its traceback) to stderr and exits 1, as lua.c does;
/// `who` names the command in the message.
func fail(_ error: Error, _ who: String = "topiary") -> Never {
    FileHandle.standardError.write(Data("\(who): \(error)\n".utf8))
    Foundation.exit(1)
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a Lua script, like `lua file.lua args`.",
        discussion: """
        As in `lua`: the global `arg` holds the interpreter at -1, the script at 0 and the
        arguments from 1; LUA_INIT_5_4 or LUA_INIT (code, or @file) runs first, then any
        `-e` chunks given before `run`, then the script. The script's bytes load as they are
        (a UTF-8 BOM and a `#!` line are skipped; precompiled chunks load too). An error
        prints its traceback and exits 1. Ctrl-C raises "interrupted!" in the script (pcall
        may catch a first one, not a second); uncaught, its traceback is printed after the
        `<close>` handlers ran, and topiary ends by SIGINT, as Python does (status 130 in the
        shell, and a shell loop of scripts stops; lua.c exits 1).
        """)

    @Argument(help: "The script.") var file: String
    @Argument(parsing: .captureForPassthrough, help: "Arguments for the script (the global `arg`).")
    var args: [String] = []

    func run() throws {
        let raw = RawArguments.current
        // FILE and the arguments after it, as bytes.
        let parsed = [file] + args
        let tail = raw.subcommand.count == parsed.count + 1 ? Array(raw.subcommand.dropFirst()) : []
        var values = RawArguments.match(parsed, tail)
        let path = values.removeFirst()
        if values.first == Array("--".utf8) { values.removeFirst() }
        let interp = Libraries.makeInterpreter()
        interp.setArguments(script: path, args: values, interpreter: raw.program)
        topiary_catch_sigint(interp.lua.state)   // Ctrl-C: "interrupted!" in the script, as lua.c
        do { try interp.runLuaInit() } catch { failScript(error) }
        runChunks(interp, raw.chunks)   // `topiary -e CODE run file.lua`
        do { try interp.runScript(path, args: values) }
        catch { failScript(error) }
    }
}
