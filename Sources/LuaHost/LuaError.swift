import Tensor

/// What a Swift function bound to Lua throws. The dispatcher turns it into a Lua error
/// raised by the C trampoline, after the Swift frame has returned.
public enum LuaError: Error, CustomStringConvertible {
    /// A plain error: raised with the caller's position prefixed (like `luaL_error`).
    case message(String)
    /// A bad argument: raised as `luaL_argerror` — `bad argument #2 to 'narrow' (…)`.
    case argument(Int, String)
    /// An error object already pushed on the stack (from a nested call): raised as is.
    case rethrow

    public var description: String {
        switch self {
        case .message(let m): return m
        case .argument(let i, let m): return "bad argument #\(i) (\(m))"
        case .rethrow: return "(error object on the Lua stack)"
        }
    }
}

/// An error type whose `message` becomes a Lua error as it is (with the caller's position,
/// like `luaL_error`): `TensorError`, and the errors of the other native modules (each
/// conforms in one line where it is bound). `dispatch` maps them; bindings need no wrapper.
public protocol LuaMessageError: Error {
    var message: String { get }
}

extension TensorError: LuaMessageError {}

/// An error from running a chunk: the message with its traceback.
public struct LuaRuntimeError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
