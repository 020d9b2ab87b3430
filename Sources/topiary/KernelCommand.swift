import ArgumentParser
import Foundation
import Jupyter

/// `topiary kernel -f CONNECTION_FILE` (started by Jupyter) and `topiary kernel install`.
struct KernelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernel",
        abstract: "The Jupyter kernel: `topiary kernel install` registers it, Jupyter starts it with -f.",
        discussion: """
        Speaks the Jupyter messaging protocol (v5.3) over ZeroMQ with HMAC-SHA256 signed
        messages. Cells run as notebook cells do (`topiary notebook run`): printed text,
        the value of a final expression, plots as SVG, errors with the Lua traceback.
        Interrupt stops running Lua and native kernels. Malformed or wrongly signed
        messages are dropped and logged on stderr.
        """,
        subcommands: [KernelInstall.self])

    @Option(name: .customShort("f"), help: ArgumentHelp("The connection file Jupyter wrote.", valueName: "connection-file"))
    var connectionFile: String?

    func run() throws {
        guard let connectionFile else {
            throw ValidationError("give the connection file (-f FILE), or use `topiary kernel install` to register the kernel with Jupyter")
        }
        do {
            let kernel = try Kernel(try ConnectionInfo.load(connectionFile))
            let status = kernel.run()
            if status != 0 { throw ExitCode(status) }
        } catch let e as KernelError { fail(e) }
    }
}

struct KernelInstall: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install",
        abstract: "Write the kernelspec (kernels/topiary/kernel.json, \"Topiary (Lua)\") for Jupyter, JupyterLab and VS Code.",
        discussion: """
        By default (or with --user) into the user's Jupyter data directory ($JUPYTER_DATA_DIR,
        else ~/.local/share/jupyter); with --prefix P into P/share/jupyter (a virtual
        environment's prefix). The kernelspec starts this executable.
        """)

    @Flag(help: "Install for the current user (the default).") var user = false
    @Option(help: ArgumentHelp("Install under PREFIX/share/jupyter/kernels.", valueName: "prefix")) var prefix: String?

    func validate() throws {
        if user && prefix != nil { throw ValidationError("give --user or --prefix, not both") }
        if let p = prefix, p.isEmpty { throw ValidationError("--prefix needs a directory") }
    }

    func run() throws {
        do {
            let dir = try KernelSpec.install(prefix.map { .prefix($0) } ?? .user, executable: KernelSpec.currentExecutable())
            print("kernel: installed the kernelspec \"Topiary (Lua)\" in \(dir)")
        } catch let e as KernelError { fail(e) }
    }
}
