import CLua
import LuaHost
import Plot

/// Reading the data and options of plot calls.
extension PlotModule {
    /// The options every chart takes (title, axis labels, size, legend label), plus `extra`.
    struct ChartOptions {
        let options: LuaOptions
        let index: Int32

        /// The options every chart takes.
        static let common: Set<String> = ["title", "xlabel", "ylabel", "label", "width", "height"]
        /// The axis options of line and scatter charts.
        static let axes: Set<String> = ["xscale", "yscale", "xlim", "ylim"]

        /// Options at `i`; keys outside `known` (and the table form's data keys) are errors.
        init(_ L: Lua, _ i: Int32, _ fname: String, known: Set<String>, data: Set<String> = []) throws {
            options = try LuaOptions(L, i)
            index = L.absIndex(i)
            if L.isTable(i) && L.rawLength(i) > 0 {
                throw LuaError.argument(Int(index), "table of options expected, got a list of values")
            }
            try options.checkKnown(known.union(data), fname)
        }

        func label() throws -> String? { try options.string("label") }

        /// Sets the axis scales ("linear" | "log") and limits ({lo, hi}) of a line or scatter
        /// chart, when given.
        func applyAxes(_ L: Lua, to c: Chart) throws {
            func scale(_ key: String) throws -> AxisScale? {
                guard try options.string(key) != nil else { return nil }
                return AxisScale(rawValue: try options.choice(key, AxisScale.allCases.map(\.rawValue), "linear"))
            }
            func limits(_ key: String) throws -> (Double, Double)? {
                defer { L.pop() }
                guard options.push(key) != LUA_TNIL else { return nil }
                guard L.isTable(-1), L.rawLength(-1) == 2,
                      let v = try? L.plotValues(-1), v.count == 2 else { throw options.invalid(key, "expected {lo, hi}, two numbers") }
                return (v[0], v[1])
            }
            let (xs, ys, xl, yl) = (try scale("xscale"), try scale("yscale"), try limits("xlim"), try limits("ylim"))
            guard xs != nil || ys != nil || xl != nil || yl != nil else { return }
            do { try c.setAxes(xScale: xs, yScale: ys, xLimits: xl, yLimits: yl) }
            catch let e as PlotError { throw LuaError.argument(Int(index), e.message) }
        }

        /// Sets the chart's texts and size.
        func apply(to c: Chart) throws {
            if let t = try options.string("title") { c.title = t }
            if let t = try options.string("xlabel") { c.xlabel = t }
            if let t = try options.string("ylabel") { c.ylabel = t }
            for (key, path) in [("width", \Chart.width), ("height", \Chart.height)] {
                if let v = try options.number(key) {
                    guard v >= 100 && v <= 4000 else { throw LuaError.argument(Int(index), "field '\(key)': must be in 100..4000 pixels") }
                    c[keyPath: path] = v
                }
            }
        }
    }

    /// The arguments of line/scatter (and their `add`): `(y [, opts])`, `(x, y [, opts])` or
    /// `{x = ..., y = ..., ...}`.
    static func xyArguments(_ L: Lua, _ fname: String, known: Set<String>, from a: Int32 = 1) throws -> ([Double]?, [Double], ChartOptions) {
        if L.isTable(a) && L.rawField(a, "y") != LUA_TNIL {
            defer { L.pop() }
            let y = try L.plotValues(-1, argument: Int(a), what: "field 'y'")
            var x: [Double]? = nil
            if L.rawField(a, "x") != LUA_TNIL { x = try L.plotValues(-1, argument: Int(a), what: "field 'x'") }
            L.pop()
            return (x, y, try ChartOptions(L, a, fname, known: known, data: ["x", "y"]))
        }
        if L.isTable(a) { L.pop() }
        if L.isNoneOrNil(a) { throw L.typeError(a, "tensor or table of numbers") }
        if try isData(L, a + 1) {
            return (try L.plotValues(a), try L.plotValues(a + 1), try ChartOptions(L, a + 2, fname, known: known))
        }
        return (nil, try L.plotValues(a), try ChartOptions(L, a + 1, fname, known: known))
    }

    /// The arguments of bar/hist: `(values [, opts])` or `{values = ..., ...}`.
    static func valuesArguments(_ L: Lua, _ fname: String, known: Set<String>, from a: Int32 = 1) throws -> ([Double], ChartOptions) {
        if L.isTable(a) && L.rawField(a, "values") != LUA_TNIL {
            defer { L.pop() }
            let v = try L.plotValues(-1, argument: Int(a), what: "field 'values'")
            return (v, try ChartOptions(L, a, fname, known: known, data: ["values"]))
        }
        if L.isTable(a) { L.pop() }
        if L.isNoneOrNil(a) { throw L.typeError(a, "tensor or table of numbers") }
        return (try L.plotValues(a), try ChartOptions(L, a + 1, fname, known: known))
    }

    /// True if argument `i` is data (a tensor or a non-empty sequence) rather than options.
    static func isData(_ L: Lua, _ i: Int32) throws -> Bool {
        if try L.tensor(i) != nil { return true }
        return L.isTable(i) && L.rawLength(i) > 0
    }
}

extension Lua {
    /// Numbers from a tensor (any shape, flattened) or a flat table of numbers.
    func plotValues(_ i: Int32, argument: Int? = nil, what: String? = nil) throws -> [Double] {
        let arg = argument ?? Int(i)
        let prefix = what.map { "\($0): " } ?? ""
        if let t = try tensor(i) { return t.toArray() }
        guard isTable(i) else {
            throw LuaError.argument(arg, "\(prefix)tensor or table of numbers expected, got \(typeName(i))")
        }
        let n = rawLength(i)
        var out: [Double] = []
        out.reserveCapacity(n)
        for k in stride(from: 1, through: n, by: 1) {
            rawIndex(i, k)
            defer { pop() }
            guard let v = toNumber(-1) else {
                throw LuaError.argument(arg, "\(prefix)table holds a \(typeName(-1)) at index \(k) where a number was expected")
            }
            out.append(v)
        }
        return out
    }

    /// Category names: a table of strings or numbers.
    func plotLabels(_ i: Int32, argument: Int32, field: String) throws -> [String] {
        guard isTable(i) else { throw LuaError.argument(Int(argument), "field '\(field)': table of strings expected, got \(typeName(i))") }
        let n = rawLength(i)
        var out: [String] = []
        for k in stride(from: 1, through: n, by: 1) {
            rawIndex(i, k)
            defer { pop() }
            if let s = toString(-1) { out.append(s) }
            else if let v = toNumber(-1) { out.append(v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : String(v)) }
            else { throw LuaError.argument(Int(argument), "field '\(field)': a \(typeName(-1)) at index \(k) where a string was expected") }
        }
        return out
    }
}
