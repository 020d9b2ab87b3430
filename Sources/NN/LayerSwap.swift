import Tensor

extension Module {
    /// Swaps layers in place: `replacement(path, layer)` is asked once per layer (module
    /// without children; a layer used twice is asked once and replaced everywhere) and
    /// returns its substitute or nil to keep it. Every replacement is made before any is
    /// installed, so an error leaves the tree untouched. Returns the new root (this
    /// module, or its substitute when the root itself is a layer) and the swapped paths.
    /// A swapped layer's forward hooks move to its substitute.
    /// Containers: Sequential, Residual (body, shortcut, post) and Concat.
    public func replacingLayers(_ replacement: (_ path: String, _ layer: any Module) throws -> (any Module)?) throws
        -> (root: any Module, paths: [String]) {
        var swaps = LayerSwaps()
        try swaps.walk(self, path: "", at: .root, replacement)
        var root: any Module = self
        for (site, new) in swaps.sites {
            switch site {
            case .root: root = new
            case .sequential(let q, let name): try q.replace(name, with: new)
            case .concat(let c, let i): try c.replaceBranch(i, with: new)
            case .residual(let r, let part):
                try Nesting.adopt(new, into: r, r.typeName)
                switch part {
                case 0: r.body = new
                case 1: r.shortcut = new
                default: r.post = new
                }
            }
        }
        for (old, new) in swaps.swapped { ForwardHooks.move(from: old, to: new) }
        return (root, swaps.paths)
    }
}

/// Where a layer sits in its container.
private enum SwapSite {
    case root
    case sequential(Sequential, String)
    case concat(Concat, Int)
    /// 0 body, 1 shortcut, 2 post.
    case residual(Residual, Int)
}

private struct LayerSwaps {
    var sites: [(SwapSite, any Module)] = []
    /// Each layer swapped and its substitute, once.
    var swapped: [(old: any Module, new: any Module)] = []
    var paths: [String] = []
    var decided: [ObjectIdentifier: (any Module)?] = [:]

    mutating func walk(_ m: any Module, path: String, at site: SwapSite,
                       _ replacement: (String, any Module) throws -> (any Module)?) throws {
        func sub(_ name: String) -> String { name.isEmpty ? path : (path.isEmpty ? name : path + "." + name) }
        if m.children.isEmpty {
            let id = ObjectIdentifier(m)
            if decided[id] == nil {
                decided[id] = .some(try replacement(path, m))
                if case .some(.some(let new)) = decided[id] { paths.append(path); swapped.append((m, new)) }
            }
            if case .some(.some(let new)) = decided[id] { sites.append((site, new)) }
            return
        }
        switch m {
        case let q as Sequential:
            for c in q.children { try walk(c.module, path: sub(c.name), at: .sequential(q, c.name), replacement) }
        case let c as Concat:
            for (i, b) in c.branches.enumerated() { try walk(b.module, path: sub(b.name), at: .concat(c, i), replacement) }
        case let r as Residual:
            // children lists body, then shortcut and post when present.
            let parts = [0] + (r.shortcut != nil ? [1] : []) + (r.post != nil ? [2] : [])
            for (c, part) in zip(r.children, parts) {
                try walk(c.module, path: sub(c.name), at: .residual(r, part), replacement)
            }
        default:
            throw TensorError("cannot swap layers inside a \(m.typeName) (only Sequential, Residual and Concat are walked)")
        }
    }
}
