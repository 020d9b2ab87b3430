import Foundation

/// One task of a sweep: a point of the grid.
public struct GridPoint: Equatable, Sendable {
    /// 0-based position in expansion order; the Slurm array index.
    public let index: Int
    /// One value per grid parameter, in the grid's name order.
    public let params: [(name: String, value: SweepValue)]
    /// The task's folder name under the sweep's `out`: `criterion=l1,ratio=0.5,seed=1`.
    public let name: String

    public static func == (a: GridPoint, b: GridPoint) -> Bool {
        a.index == b.index && a.name == b.name && a.params.map(\.name) == b.params.map(\.name)
            && a.params.map(\.value) == b.params.map(\.value)
    }
}

/// Grid expansion. The order is fixed and documented: parameter names sorted by their
/// bytes, the last name varying fastest (like nested loops, or Python's
/// `itertools.product` over the sorted names), each parameter's values in the order the
/// sweep file lists them. Task i of a Slurm array is point i of this order.
public enum Grid {
    /// At most this many points (a grid past it is surely a mistake).
    public static let maxPoints = 1_000_000

    /// The points of `grid`, in expansion order. Errors (each message starts with `file:`
    /// unless `file` is nil): an empty grid, a parameter with no values, a parameter listing
    /// one Lua value twice in two spellings (`1` and `1.0`), too many points, and two points
    /// whose folder names coincide.
    public static func expand(_ grid: [(name: String, values: [SweepValue])], file: String? = "sweep") throws -> [GridPoint] {
        let at = file.map { $0 + ": " } ?? ""
        guard !grid.isEmpty else { throw SweepError("\(at)the grid is empty; give at least one parameter, like grid = {ratio = {0.3, 0.5}}") }
        let sorted = grid.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        var total = 1
        for p in sorted {
            guard !p.values.isEmpty else { throw SweepError("\(at)grid '\(p.name)' is an empty list; give at least one value") }
            if let (a, b) = sameInLua(p.values) {
                throw SweepError("\(at)grid '\(p.name)' lists \(p.values[a].luaLiteral) and \(p.values[b].luaLiteral), one value in Lua (\(p.values[a].luaLiteral) == \(p.values[b].luaLiteral)): give it once")
            }
            let (t, overflow) = total.multipliedReportingOverflow(by: p.values.count)
            guard !overflow, t <= maxPoints else { throw SweepError("\(at)the grid has more than \(maxPoints) points") }
            total = t
        }
        var points: [GridPoint] = []
        points.reserveCapacity(total)
        var seen: [String: Int] = [:]
        for i in 0..<total {
            var rest = i
            var params: [(name: String, value: SweepValue)] = Array(repeating: ("", .int(0)), count: sorted.count)
            for k in stride(from: sorted.count - 1, through: 0, by: -1) {
                let n = sorted[k].values.count
                params[k] = (sorted[k].name, sorted[k].values[rest % n])
                rest /= n
            }
            let name = folderName(params)
            if let j = seen[name] {
                throw SweepError("\(at)grid points \(j) and \(i) would share the task folder '\(name)' (values that differ only in characters a folder name cannot hold, or a repeated value)")
            }
            guard name.utf8.count <= 255 else {
                throw SweepError("\(at)the task folder name for point \(i) is longer than 255 bytes ('\(name.prefix(60))…'); shorten the values or parameter names")
            }
            seen[name] = i
            points.append(GridPoint(index: i, params: params, name: name))
        }
        return points
    }

    /// The positions of an integer and a float that Lua holds equal (`1` and `1.0`), if any.
    static func sameInLua(_ values: [SweepValue]) -> (Int, Int)? {
        var ints: [Int: Int] = [:], doubles: [Int: Int] = [:]   // integral value -> first position
        for (k, v) in values.enumerated() {
            switch v {
            case .int(let i):
                if let j = doubles[i] { return (j, k) }
                if ints[i] == nil { ints[i] = k }
            case .double(let d):
                guard let i = Int(exactly: d) else { continue }
                if let j = ints[i] { return (j, k) }
                if doubles[i] == nil { doubles[i] = k }
            default: continue
            }
        }
        return nil
    }

    /// `name=value` pairs joined by commas; bytes other than letters, digits and `._+-`
    /// in a value become `_` (so `a/b` and `a_b` collide, which `expand` reports).
    public static func folderName(_ params: [(name: String, value: SweepValue)]) -> String {
        params.map { "\($0.name)=\(safe($0.value.text))" }.joined(separator: ",")
    }

    static func safe(_ s: String) -> String {
        let out = String(s.map { c -> Character in
            c.isASCII && (c.isLetter || c.isNumber || c == "." || c == "_" || c == "+" || c == "-") ? c : "_"
        })
        return out.isEmpty ? "_" : out
    }
}
