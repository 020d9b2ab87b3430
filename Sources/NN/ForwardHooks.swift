import Tensor

/// Persistent forward hooks on modules (PyTorch's `register_forward_hook`): called after
/// the module's forward whenever a container runs it, with the module, its input and its
/// output; a hook may return a tensor that replaces the output. Hooks cost one check of
/// an empty table when none is registered.
///
/// A module's hooks live as long as the module: the table holds it weakly and tells it
/// apart from a later module at the same address, and `purge` drops what dead modules
/// left. Swapping a layer (`replacingLayers`: nn.acnet, nn.fuse) moves its hooks to the
/// replacement. A hook that replaced an output in a forward with gradients on makes the
/// backward through that module an error (`checkBackward`): the module's backward would
/// take the gradient of the replacement for its own output's.
public enum ForwardHooks {
    public typealias Hook = (_ module: any Module, _ input: Tensor, _ output: Tensor) throws -> Tensor?

    /// One module's hooks.
    final class Entry {
        weak var module: (any Module)?
        var hooks: [(id: Int, label: String, hook: Hook)] = []
        /// The label of the hook that replaced the output in the module's last forward
        /// with gradients on.
        var replacedBy: String?
        init(_ module: any Module) { self.module = module }
        /// Whether the entry still matters: its module lives and has hooks, or a backward
        /// through it must be refused.
        var live: Bool { module != nil && (!hooks.isEmpty || replacedBy != nil) }
    }

    nonisolated(unsafe) static var entries: [ObjectIdentifier: Entry] = [:]
    nonisolated(unsafe) static var nextID = 1
    nonisolated(unsafe) public private(set) static var isEmpty = true

    /// How many modules have hooks (or a refused backward) in the table.
    public static var count: Int { entries.count }

    /// Registers `hook` on `module`; returns its id for `remove`. `label` names the hook's
    /// module in errors (the path it was registered at; empty: the module's type).
    public static func add(_ module: any Module, label: String = "", _ hook: @escaping Hook) -> Int {
        purge()
        let id = nextID
        nextID += 1
        let e = entry(of: module) ?? {
            let e = Entry(module)
            entries[ObjectIdentifier(module)] = e
            return e
        }()
        e.hooks.append((id, label, hook))
        isEmpty = false
        return id
    }

    /// Removes the hook `id`; false if it was already removed (or died with its module).
    @discardableResult
    public static func remove(_ id: Int) -> Bool {
        defer { purge() }
        for e in entries.values {
            guard let i = e.hooks.firstIndex(where: { $0.id == id }) else { continue }
            e.hooks.remove(at: i)
            return true
        }
        return false
    }

    /// Moves the hooks of `old` to `new` (a layer swapped for its replacement).
    public static func move(from old: any Module, to new: any Module) {
        guard !isEmpty, old !== new, let e = entry(of: old) else { return }
        entries[ObjectIdentifier(old)] = nil
        let n = entry(of: new) ?? {
            let n = Entry(new)
            entries[ObjectIdentifier(new)] = n
            return n
        }()
        n.hooks += e.hooks
        isEmpty = entries.isEmpty
    }

    /// Drops the entries of modules that are gone (their hooks and whatever the hooks hold).
    public static func purge() {
        guard !entries.isEmpty else { return }
        entries = entries.filter { $0.value.live }
        isEmpty = entries.isEmpty
    }

    /// The entry of `module` itself: one left by a dead module at the same address is dropped.
    static func entry(of module: any Module) -> Entry? {
        let k = ObjectIdentifier(module)
        guard let e = entries[k] else { return nil }
        if e.module === module { return e }
        entries[k] = nil
        isEmpty = entries.isEmpty
        return nil
    }

    /// Runs the hooks of `module` in registration order. With gradients on, remembers
    /// whether one replaced the output (see `checkBackward`).
    static func run(_ module: any Module, _ x: Tensor, _ y: Tensor) throws -> Tensor {
        guard let e = entry(of: module) else { return y }
        var out = y
        var by: String?
        for h in e.hooks {
            if let r = try h.hook(module, x, out) { out = r; by = h.label }
        }
        if GradMode.enabled {
            e.replacedBy = by
            if !e.live, entries[ObjectIdentifier(module)] === e {
                entries[ObjectIdentifier(module)] = nil
                isEmpty = entries.isEmpty
            }
        }
        return out
    }

    /// Throws if a hook replaced `module`'s output in its last forward with gradients on.
    static func checkBackward(_ module: any Module) throws {
        guard let e = entry(of: module), let by = e.replacedBy else { return }
        throw TensorError("backward: a forward hook replaced the output of \(by.isEmpty ? "a" : by + " (")\(module.typeName)\(by.isEmpty ? "" : ")"), and backward cannot "
            + "differentiate through a hook: the gradients would be wrong. Return nothing from the hook while gradients "
            + "are on (replace outputs under nn.no_grad, or after the forward), or make the change a layer of the net "
            + "(e.g. a channel mask as a 1×1 depthwise conv)")
    }
}
