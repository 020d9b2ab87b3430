/// An error from a tensor operation, carrying a message that reads like Lua's own
/// (`add: shapes [3, 4] and [5] cannot broadcast`). Every check on user input throws
/// one of these; nothing reachable from user input traps.
public struct TensorError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Formats a shape the way error messages and printing show it: `[3, 4]`.
@inlinable
public func shapeString(_ shape: [Int]) -> String {
    "[" + shape.map(String.init).joined(separator: ", ") + "]"
}
