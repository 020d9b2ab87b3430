import ArgumentParser
import Bindings
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
        do { try interp.runLuaInit() } catch { fail(error) }
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
        } catch { fail(error) }
    }
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
        (a UTF-8 BOM and a `#!` line are skipped; precompiled chunks load too).
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
        do { try interp.runLuaInit() } catch { fail(error) }
        runChunks(interp, raw.chunks)   // `topiary -e CODE run file.lua`
        do { try interp.runScript(path, args: values) }
        catch { fail(error) }
    }
}
