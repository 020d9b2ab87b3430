import ArgumentParser
import Bindings
import Foundation
import LuaHost

/// `topiary`: the command line. With no subcommand it runs `-e` chunks, or starts the REPL.
@main
struct Topiary: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topiary",
        abstract: "A research host for CNN filter pruning, scripted in Lua.",
        subcommands: [Run.self, Repl.self, NotebookCommand.self, Bench.self])

    @Option(name: .customShort("e"), help: "Execute a Lua chunk (repeatable).")
    var chunks: [String] = []

    func run() throws {
        if chunks.isEmpty {
            try Repl().run()
            return
        }
        let interp = Libraries.makeInterpreter()
        for (i, c) in chunks.enumerated() {
            do { try interp.run(c, name: "=(command line \(i + 1))") }
            catch { fail(error) }
        }
    }
}

/// Prints an uncaught Lua error (with its traceback) to stderr and exits 1, as lua.c does.
func fail(_ error: Error) -> Never {
    FileHandle.standardError.write(Data("topiary: \(error)\n".utf8))
    Foundation.exit(1)
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a Lua script, like `lua file.lua args`.")

    @Argument(help: "The script.") var file: String
    @Argument(parsing: .captureForPassthrough, help: "Arguments for the script (the global `arg`).")
    var args: [String] = []

    func run() throws {
        let interp = Libraries.makeInterpreter()
        let scriptArgs = args.first == "--" ? Array(args.dropFirst()) : args
        do { try interp.runFile(file, args: scriptArgs) }
        catch { fail(error) }
    }
}
