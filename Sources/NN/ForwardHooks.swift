import Tensor

/// Persistent forward hooks on modules (PyTorch's `register_forward_hook`): called after
/// the module's forward whenever a container runs it, with the module, its input and its
/// output; a hook may return a tensor that replaces the output. Hooks cost one check of
/// an empty table when none is registered.
public enum ForwardHooks {
    public typealias Hook = (_ module: any Module, _ input: Tensor, _ output: Tensor) throws -> Tensor?

    nonisolated(unsafe) static var hooks: [ObjectIdentifier: [(id: Int, hook: Hook)]] = [:]
    nonisolated(unsafe) static var nextID = 1
    nonisolated(unsafe) public private(set) static var isEmpty = true

    /// Registers `hook` on `module`; returns its id for `remove`.
    public static func add(_ module: any Module, _ hook: @escaping Hook) -> Int {
        let id = nextID
        nextID += 1
        hooks[ObjectIdentifier(module), default: []].append((id, hook))
        isEmpty = false
        return id
    }

    /// Removes the hook `id`; false if it was already removed.
    @discardableResult
    public static func remove(_ id: Int) -> Bool {
        for (k, list) in hooks {
            guard let i = list.firstIndex(where: { $0.id == id }) else { continue }
            hooks[k]!.remove(at: i)
            if hooks[k]!.isEmpty { hooks[k] = nil }
            isEmpty = hooks.isEmpty
            return true
        }
        return false
    }

    /// Runs the hooks of `module` in registration order.
    static func run(_ module: any Module, _ x: Tensor, _ y: Tensor) throws -> Tensor {
        guard let list = hooks[ObjectIdentifier(module)] else { return y }
        var out = y
        for (_, h) in list { if let r = try h(module, x, out) { out = r } }
        return out
    }
}
