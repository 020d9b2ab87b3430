import Synchronization
import Tensor

/// How containers may nest: no cycles (a module inside itself) and at most `maxDepth`
/// levels from any root to any leaf, so the recursive walks (forward, printing, spec,
/// parameters, release) stay far from the stack's end.
///
/// Containers call `adopt` for every child they take. Parent links are kept (weakly) in
/// a registry, so the depth is checked whichever way a tree is built: bottom-up
/// (`Sequential{Sequential{…}}`) or top-down (`a:add(b); b:add(c)`).
public enum Nesting {
    /// The most container levels above a leaf (a root holding a layer is 1 level).
    /// Far beyond real networks (a ResNet nests 3 levels), and low enough that a saved
    /// model's description (3 JSON brackets per level) stays within the JSON reader's
    /// nesting limit (512), so every model that can be built can be saved and loaded.
    public static let maxDepth = 128

    private final class WeakParent: @unchecked Sendable {
        weak var module: (any Module)?
        init(_ m: any Module) { module = m }
    }

    private struct Registry {
        var parents: [ObjectIdentifier: [WeakParent]] = [:]
        var pruneAt = 4096
    }

    private static let registry = Mutex(Registry())

    /// Checks that `parent` may hold `child` and records the link. Throws (naming `op`)
    /// when the child is the parent or contains it, or when the tree would be deeper
    /// than `maxDepth`.
    public static func adopt(_ child: any Module, into parent: any Module, _ op: String) throws {
        let below = try height(of: child, avoiding: parent, op)
        let above = try depthAbove(parent, avoiding: child, op)
        guard above + 1 + below <= maxDepth else {
            throw TensorError("\(op): modules nested more than \(maxDepth) levels deep")
        }
        link(child, parent)
    }

    /// Records a link without checks (Swift-built trees that cannot fail, like the zoo's).
    public static func link(_ child: any Module, _ parent: any Module) {
        registry.withLock { r in
            r.parents[ObjectIdentifier(child), default: []].append(WeakParent(parent))
            if r.parents.count >= r.pruneAt {
                r.parents = r.parents.filter { $0.value.contains { $0.module != nil } }
                r.pruneAt = max(4096, r.parents.count * 2)
            }
        }
    }

    /// Levels of containers in `m`'s subtree (0 for a layer), walked without recursion;
    /// meeting `forbidden` is a cycle.
    static func height(of m: any Module, avoiding forbidden: any Module, _ op: String) throws -> Int {
        var memo: [ObjectIdentifier: Int] = [:]
        var stack: [(module: any Module, expanded: Bool)] = [(m, false)]
        var onPath: Set<ObjectIdentifier> = []
        while let (node, expanded) = stack.popLast() {
            let id = ObjectIdentifier(node)
            if node === forbidden { throw cycle(op) }
            if expanded {
                onPath.remove(id)
                memo[id] = node.children.map { memo[ObjectIdentifier($0.module)] ?? 0 }.max().map { $0 + 1 } ?? 0
                continue
            }
            if memo[id] != nil { continue }
            if onPath.contains(id) { throw cycle(op) }
            guard onPath.count <= maxDepth else {
                throw TensorError("\(op): modules nested more than \(maxDepth) levels deep")
            }
            onPath.insert(id)
            stack.append((node, true))
            for c in node.children where memo[ObjectIdentifier(c.module)] == nil { stack.append((c.module, false)) }
        }
        return memo[ObjectIdentifier(m)] ?? 0
    }

    /// The longest chain of recorded containers above `m` (0 for a root). Links whose
    /// parent is gone or no longer holds the module are ignored.
    static func depthAbove(_ m: any Module, avoiding forbidden: any Module, _ op: String) throws -> Int {
        var memo: [ObjectIdentifier: Int] = [:]
        var stack: [(module: any Module, expanded: Bool)] = [(m, false)]
        var onPath: Set<ObjectIdentifier> = []
        while let (node, expanded) = stack.popLast() {
            let id = ObjectIdentifier(node)
            let ups = parents(of: node)
            if expanded {
                onPath.remove(id)
                memo[id] = ups.map { (memo[ObjectIdentifier($0)] ?? 0) + 1 }.max() ?? 0
                continue
            }
            if memo[id] != nil { continue }
            if node === forbidden || onPath.contains(id) { throw cycle(op) }
            guard onPath.count <= maxDepth else {
                throw TensorError("\(op): modules nested more than \(maxDepth) levels deep")
            }
            onPath.insert(id)
            stack.append((node, true))
            for p in ups where memo[ObjectIdentifier(p)] == nil { stack.append((p, false)) }
        }
        return memo[ObjectIdentifier(m)] ?? 0
    }

    private static func parents(of m: any Module) -> [any Module] {
        let links = registry.withLock { r in r.parents[ObjectIdentifier(m)] ?? [] }
        return links.compactMap { $0.module }.filter { p in p.children.contains { $0.module === m } }
    }

    private static func cycle(_ op: String) -> TensorError {
        TensorError("\(op): a module cannot contain itself (adding it would make a cycle)")
    }

    /// Checks the bracket nesting of a JSON text (outside strings) before it is parsed
    /// and built recursively: a model description nested past `maxDepth` modules is
    /// refused up front.
    public static func checkJSONDepth(_ json: String, _ op: String) throws {
        var depth = 0, deepest = 0, inString = false, escaped = false
        for b in json.utf8 {
            if inString {
                if escaped { escaped = false } else if b == UInt8(ascii: "\\") { escaped = true } else if b == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch b {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"): depth += 1; deepest = max(deepest, depth)
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            default: break
            }
        }
        // Each module level is `{"children": [[name, {…}]]}`: three brackets.
        guard deepest <= 3 * maxDepth + 8 else {
            throw TensorError("\(op): the model description is nested more than \(maxDepth) modules deep")
        }
    }
}
