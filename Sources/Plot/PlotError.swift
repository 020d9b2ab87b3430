/// A problem with a chart's data or options (mismatched lengths, no values, bad bins…).
/// Its message reads like the Lua API's errors: `plot.line: x has 5 values, y has 6`.
public struct PlotError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
