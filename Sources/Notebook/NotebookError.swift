/// A problem with a notebook or its outputs, reported as `file:line: message` (or
/// `file: message` when no line applies).
public struct NotebookError: Error, CustomStringConvertible {
    public let file: String
    public let line: Int?
    public let message: String

    public init(_ file: String, line: Int? = nil, _ message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String {
        if let line { return "\(file):\(line): \(message)" }
        return "\(file): \(message)"
    }
}
