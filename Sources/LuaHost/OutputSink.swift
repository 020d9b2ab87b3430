import CLua
import Foundation

/// The channels text for the user is written to.
public enum OutputChannel: String, Sendable {
    /// What `print` and `io.write` write.
    case stdout
    /// What `io.stderr:write` writes.
    case stderr
    /// Lua `warn` messages.
    case warning
}

/// Receives the text Swift code writes for the user (train.fit's epoch lines, `help`,
/// `who`): one sink per Lua state, `Lua.output`. The command line's is `StandardOutput`;
/// a notebook installs one that captures into the running cell's outputs (and routes
/// Lua's `print`, `io.write` and `warn` to it too).
public protocol OutputSink: AnyObject {
    func write(_ text: String, to stream: OutputChannel)
    /// True when the text reaches a terminal (progress bars are drawn only then).
    var isTerminal: Bool { get }
}

/// The process's stdout and stderr, through C stdio like Lua's own `print`, so the two
/// interleave in order; stdout is flushed after each write as `print` does.
public final class StandardOutput: OutputSink {
    public static let shared = StandardOutput()

    /// Whether stderr, where progress is drawn, is a terminal.
    public var isTerminal: Bool { isatty(2) != 0 }

    public func write(_ text: String, to stream: OutputChannel) {
        switch stream {
        case .stdout:
            fputs(text, stdout)
            fflush(stdout)
        case .stderr, .warning:
            fputs(text, stderr)
        }
    }
}

extension Lua {
    static let outputKey = "topiary.output"

    /// The state's output sink: the one given to `setOutput`, else `StandardOutput.shared`.
    public var output: OutputSink {
        defer { pop() }
        rawField(clua_registryindex(), Lua.outputKey)
        return ((try? object(-1, of: Lua.outputKey)) as? OutputSink) ?? StandardOutput.shared
    }

    /// Makes `sink` the state's output sink (kept alive by the state).
    public func setOutput(_ sink: OutputSink) {
        pushObject(sink, as: Lua.outputKey)
        setField(clua_registryindex(), Lua.outputKey)
    }

    /// Writes `text` to the state's output sink.
    public func write(_ text: String, to stream: OutputChannel = .stdout) {
        output.write(text, to: stream)
    }
}
