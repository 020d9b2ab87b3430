import CLua
import CLuaShim
import Foundation
import Tensor

/// A Swift function callable from Lua. Its body reads arguments from the stack, pushes
/// results and returns how many; it reports problems by throwing (`LuaError`, or any
/// error whose description becomes the message). Bodies never call Lua API functions
/// that can raise.
public final class LuaFunction: @unchecked Sendable {
    public typealias Body = (Lua) throws -> Int
    public let name: String
    /// Documentation shown by `help(f)`: a signature line, what it does, and an example
    /// ("Example:" followed by Lua code).
    public let doc: String
    public let body: Body
    fileprivate(set) var id: Int32 = -1

    public init(_ name: String, doc: String = "", _ body: @escaping Body) {
        self.name = name
        self.doc = doc
        self.body = body
    }

    /// The name a bad argument gives when Lua cannot name the function (a call through
    /// pcall of a function in a nested table, which `package.loaded` does not reach, or of
    /// a method): the dotted name of its doc's signature line (`nn.zoo.resnet56` from
    /// "nn.zoo.resnet56{...} -> module"), a method's own name (`view` from "x:view(...)"),
    /// else nil (Lua's own search of `package.loaded`).
    var errorName: String? {
        let line = doc.split(separator: "\n").first?.trimmingCharacters(in: .whitespaces) ?? ""
        let head = line.prefix { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." || $0 == ":" }
        if head.hasSuffix(":" + name) { return name }
        if head.contains("."), head.hasSuffix("." + name), !head.hasPrefix("."), !head.contains(":") { return String(head) }
        return nil
    }

    /// The bound function behind the Lua value at `index`, if it is one of ours.
    public static func at(_ L: Lua, _ index: Int32) -> LuaFunction? {
        let id = topiary_function_id(L.state, index)
        guard id >= 0, Int(id) < FunctionRegistry.functions.count else { return nil }
        return FunctionRegistry.functions[Int(id)]
    }
}

/// Process-wide table of bound functions: the C trampoline carries an integer id as its
/// upvalue and calls `dispatch`, which finds the function here.
enum FunctionRegistry {
    nonisolated(unsafe) static var functions: [LuaFunction] = []
    static let lock = NSLock()

    static func id(of f: LuaFunction) -> Int32 {
        if f.id >= 0 { return f.id }
        lock.lock(); defer { lock.unlock() }
        if f.id < 0 {
            f.id = Int32(functions.count)
            functions.append(f)
            topiary_set_dispatcher(dispatch)
        }
        return f.id
    }
}

/// Native bytes allocated since the last full collection that trigger another one.
/// Grows with what survives, like Lua's own pause.
nonisolated(unsafe) var gcMark = 0
nonisolated(unsafe) var gcLiveAfter = 0
nonisolated(unsafe) var gcBudget = 256 << 20

private let dispatch: topiary_dispatch_fn = { state, id in
    guard let state else { return 0 }
    let L = Lua(state)
    let f = FunctionRegistry.functions[Int(id)]
    let n: Int32
    do {
        n = Int32(try f.body(L))
    } catch let e as LuaError {
        switch e {
        case .message(let m): L.push(m); n = Int32(TOPIARY_ERROR)
        case .argument(let i, let m):
            L.push(Double(i)); L.push(m)
            if let q = f.errorName { L.push(q) } else { L.pushNil() }
            n = Int32(TOPIARY_ARGERROR)
        case .rethrow: n = Int32(TOPIARY_RETHROW)
        }
    } catch let e as LuaCallbackError {
        e.push(L); n = Int32(TOPIARY_RETHROW)
    } catch let e as LuaMessageError {
        // An allocation failure deep in an op names the function that asked for it.
        let m = e.message.hasPrefix("cannot allocate ") ? "\(f.name): \(e.message)" : e.message
        L.push(m); n = Int32(TOPIARY_ERROR)
    } catch {
        L.push("\(f.name): \(error)"); n = Int32(TOPIARY_ERROR)
    }
    collectIfNeeded(L)
    return n
}

/// Runs a full collection once native allocations (tensors, and what `noteExternal`
/// counts: datasets' pixels) since the last one pass the budget, so loops that make large
/// temporaries keep a bounded footprint.
func collectIfNeeded(_ L: Lua) {
    let allocated = Storage.allocatedBytes
    if allocated - gcMark > max(gcBudget, gcLiveAfter) {
        // Returns -1 without collecting inside a finalizer; try again on a later call.
        if clua_gc_collect(L.state) >= 0 {
            gcMark = Storage.allocatedBytes
            gcLiveAfter = Storage.liveBytes + Storage.externalBytes
        }
    }
}
