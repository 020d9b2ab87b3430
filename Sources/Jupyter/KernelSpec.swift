import Foundation
import Notebook
import Text

/// `topiary kernel install`: the kernelspec (`kernels/topiary/kernel.json`) that makes
/// Jupyter, JupyterLab and VS Code list the kernel as "Topiary (Lua)".
public enum KernelSpec {
    /// Where to install.
    public enum Location: Equatable {
        /// The user's Jupyter data directory: `$JUPYTER_DATA_DIR`, else
        /// `$XDG_DATA_HOME/jupyter` or `~/.local/share/jupyter` (`~/Library/Jupyter` on macOS).
        case user
        /// `PREFIX/share/jupyter` (a virtual environment, a conda prefix, /usr/local).
        case prefix(String)
    }

    /// The kernels directory's path for `location`, in `environment`.
    public static func kernelsDirectory(_ location: Location, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        switch location {
        case .prefix(let p): return p + "/share/jupyter/kernels"
        case .user:
            if let d = environment["JUPYTER_DATA_DIR"], !d.isEmpty { return d + "/kernels" }
            let home = environment["HOME"] ?? NSHomeDirectory()
            #if os(macOS)
            return home + "/Library/Jupyter/kernels"
            #else
            if let x = environment["XDG_DATA_HOME"], !x.isEmpty { return x + "/jupyter/kernels" }
            return home + "/.local/share/jupyter/kernels"
            #endif
        }
    }

    /// kernel.json for the kernel started as `executable kernel -f {connection_file}`.
    public static func json(executable: String) -> String {
        let spec: JSON = .object([
            ("argv", .array([.string(executable), .string("kernel"), .string("-f"), .string("{connection_file}")])),
            ("display_name", .string(IpynbExport.kernelDisplayName)),
            ("language", .string("lua")),
            ("interrupt_mode", .string("signal")),
            ("metadata", .object([("file_extension", .string(".lua")), ("debugger", .bool(false))])),
        ])
        return spec.indented(1) + "\n"
    }

    /// Writes the kernelspec for `executable` under `location`; returns its directory.
    /// The file is written atomically (a temporary file renamed into place).
    @discardableResult
    public static func install(_ location: Location, executable: String) throws -> String {
        let dir = kernelsDirectory(location) + "/" + IpynbExport.kernelName
        do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
            throw KernelError("cannot create \(dir): \((error as NSError).localizedDescription)")
        }
        let file = dir + "/kernel.json"
        do { try Data(json(executable: executable).utf8).write(to: URL(fileURLWithPath: file), options: .atomic) } catch {
            throw KernelError("cannot write \(file): \((error as NSError).localizedDescription)")
        }
        return dir
    }

    /// The absolute path of the running executable (what kernel.json must start).
    public static func currentExecutable() -> String {
        if let p = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return p }
        if let p = Bundle.main.executablePath { return URL(fileURLWithPath: p).resolvingSymlinksInPath().path }
        return CommandLine.arguments[0]
    }
}
