import Tensor

extension Module {
    /// Swaps layers in place: `replacement(path, layer)` is asked once per layer (module
    /// without children; a layer used twice is asked once and replaced everywhere) and
    /// returns its substitute or nil to keep it. Every replacement is made before any is
    /// installed, so an error leaves the tree untouched. Returns the new root (this
    /// module, or its substitute when the root itself is a layer) and the swapped paths.
    /// A swapped layer's forward hooks move to its substitute.
    /// Containers: Sequential, Residual (body, shortcut, post), Concat and SqueezeExcite.
    public func replacingLayers(_ replacement: (_ path: String, _ layer: any Module) throws -> (any Module)?) throws
        -> (root: any Module, paths: [String]) {
        var swaps = LayerSwaps()
        try swaps.walk(self, path: "", at: .root, replacement)
        var root: any Module = self
        for (site, new) in swaps.sites {
            if case .root = site { root = new } else { try site.install(new) }
        }
        for (old, new) in swaps.swapped { ForwardHooks.move(from: old, to: new) }
        return (root, swaps.paths)
    }

    /// Replaces the module at `path` (a dotted path below this module, as `namedModules`
    /// names it: a layer or a container) by `new` and returns the module it replaced. The
    /// parent must be a Sequential, a Residual (body, shortcut, post) or a Concat; where a
    /// block's unnamed body shares the block's path, the block is replaced. Forward hooks
    /// stay with the old module; a cycle or a tree deeper than `Nesting.maxDepth` is refused.
    @discardableResult
    public func replaceModule(at path: String, with new: any Module) throws -> any Module {
        guard !path.isEmpty else {
            throw TensorError("replace: the root itself cannot be replaced; use the new module in its place")
        }
        guard let (site, old) = try SwapSite.find(path, below: self, at: "") else {
            throw TensorError("replace: no module at '\(path)'")
        }
        if old !== new { try site.install(new) }
        return old
    }
}

/// Where a layer sits in its container.
private enum SwapSite {
    case root
    case sequential(Sequential, String)
    case concat(Concat, Int)
    /// 0 body, 1 shortcut, 2 post.
    case residual(Residual, Int)
    case squeezeExcite(SqueezeExcite, String)

    /// Puts `new` in this place (not `.root`: the caller holds the root).
    func install(_ new: any Module) throws {
        switch self {
        case .root: break
        case .sequential(let q, let name): try q.replace(name, with: new)
        case .concat(let c, let i): try c.replaceBranch(i, with: new)
        case .squeezeExcite(let e, let name): try e.replace(name, with: new)
        case .residual(let r, let part):
            try Nesting.adopt(new, into: r, r.typeName)
            switch part {
            case 0: r.body = new
            case 1: r.shortcut = new
            default: r.post = new
            }
        }
    }

    /// The place of the module at `target` in the tree of `m` (whose path is `path`) and
    /// that module, parents before children (a block before its unnamed body); nil when no
    /// module has that path.
    static func find(_ target: String, below m: any Module, at path: String) throws -> (SwapSite, any Module)? {
        let kids = m.children
        guard !kids.isEmpty else { return nil }
        var places: [(name: String, site: SwapSite, module: any Module)] = []
        switch m {
        case let q as Sequential: places = q.children.map { ($0.name, .sequential(q, $0.name), $0.module) }
        case let c as Concat: places = c.branches.enumerated().map { ($1.name, .concat(c, $0), $1.module) }
        case let e as SqueezeExcite: places = e.parts.map { ($0.name, .squeezeExcite(e, $0.name), $0.module) }
        case let r as Residual:
            let parts = [0] + (r.shortcut != nil ? [1] : []) + (r.post != nil ? [2] : [])
            places = zip(r.children, parts).map { ($0.name, .residual(r, $1), $0.module) }
        default:
            throw TensorError("replace: cannot replace modules inside a \(m.typeName) at '\(path)' (only children of Sequential, Residual, Concat and SqueezeExcite)")
        }
        for p in places {
            let sub = p.name.isEmpty ? path : (path.isEmpty ? p.name : path + "." + p.name)
            if sub == target { return (p.site, p.module) }
            if p.name.isEmpty || target.hasPrefix(sub + "."), let found = try find(target, below: p.module, at: sub) {
                return found
            }
        }
        return nil
    }
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
        case let e as SqueezeExcite:
            for p in e.parts { try walk(p.module, path: sub(p.name), at: .squeezeExcite(e, p.name), replacement) }
        case let r as Residual:
            // children lists body, then shortcut and post when present.
            let parts = [0] + (r.shortcut != nil ? [1] : []) + (r.post != nil ? [2] : [])
            for (c, part) in zip(r.children, parts) {
                try walk(c.module, path: sub(c.name), at: .residual(r, part), replacement)
            }
        default:
            throw TensorError("cannot swap layers inside a \(m.typeName) (only Sequential, Residual, Concat and SqueezeExcite are walked)")
        }
    }
}
