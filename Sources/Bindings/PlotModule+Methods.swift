import CLua
import Foundation
import LuaHost
import Plot
import Tensor

extension PlotModule {
    /// Who is told when a plot is saved (a notebook runner collects saved plots this way).
    public final class SaveObserver {
        public let onSave: (Chart, String) -> Void
        public init(_ onSave: @escaping (Chart, String) -> Void) { self.onSave = onSave }
    }

    static let observerKey = "topiary.plot.observer"

    /// Calls `f(chart, path)` after every `p:save(path)` in this Lua state (nil stops it).
    public static func observeSaves(_ L: Lua, _ f: ((Chart, String) -> Void)?) {
        if let f { L.pushObject(SaveObserver(f), as: observerKey) } else { L.pushNil() }
        L.setField(clua_registryindex(), observerKey)
    }

    static let methods: [LuaFunction] = [
        LuaFunction("add", doc: """
            p:add(y [, options]) | p:add(x, y [, options]) | p:add(values [, options])
            Adds a series: another line (plot.line), set of points (plot.scatter), bars beside the \
            others (plot.bar), or a histogram over the same bins (plot.hist). Options: label. Returns p.
            Example:
              local p = plot.line({3, 2, 1.5}, {label = "train"})
              p:add({3.2, 2.4, 2.2}, {label = "test"})
            """) { L in
            let c = try check(L, 1)
            switch c.kind {
            case .line, .scatter:
                let (x, y, opts) = try xyArguments(L, "add", known: ["label"], from: 2)
                if c.kind == .scatter && x == nil { throw LuaError.message("add: a scatter series needs x and y") }
                let label = try opts.label()
                try c.addXY(x: x, y: y, label: label)
            case .bar, .histogram:
                let (values, opts) = try valuesArguments(L, "add", known: ["label"], from: 2)
                let label = try opts.label()
                if c.kind == .bar { try c.addBars(values, label: label) } else { try c.addHistogram(values, label: label) }
            case .heatmap:
                throw LuaError.message("add: a heat map shows one matrix; make another plot")
            }
            L.setTop(1)
            return 1
        },
        LuaFunction("set", doc: """
            p:set(options)
            Changes the title, axis labels or size of a chart, and for line and scatter charts the axis \
            scales and limits. Options: title, xlabel, ylabel, width, height; xscale, yscale, xlim, ylim. Returns p.
            Example:
              local p = plot.line({1, 4, 9})
              p:set{title = "squares", xlabel = "n", yscale = "log"}
            """) { L in
            let c = try check(L, 1)
            try L.checkTable(2)
            let opts = try ChartOptions(L, 2, "set", known: ChartOptions.common.subtracting(["label"]).union(ChartOptions.axes))
            try opts.apply(to: c)
            try opts.applyAxes(L, to: c)
            L.setTop(1)
            return 1
        },
        LuaFunction("save", doc: """
            p:save(path)
            Writes the chart as an SVG file (the path must end in .svg). In a notebook, a saved plot \
            also appears in the cell's outputs.
            Example:
              plot.hist(tensor.randn(500), {bins = 20}):save("randn.svg")
            """) { L in
            let c = try check(L, 1)
            let path = try L.checkPath(2)
            guard path.bytes.count >= 4, String(decoding: path.bytes.suffix(4), as: UTF8.self).lowercased() == ".svg" else {
                throw LuaError.argument(2, "only SVG is supported: the path must end in .svg, got '\(path)'")
            }
            try AtomicFile.write(path, bytes: Array(c.svg().utf8), op: "save")
            L.rawField(clua_registryindex(), observerKey)
            let observer = (try? L.object(-1, of: observerKey)) as? SaveObserver
            L.pop()
            observer?.onSave(c, path.description)
            return 0
        },
        LuaFunction("show", doc: """
            p:show()
            Returns p. A notebook cell that ends with p:show() (or any call returning a plot) shows \
            the plot in its outputs; in a plain script it does nothing.
            Example:
              local p = plot.line({1, 4, 9}, {title = "squares"})
              p:show()
            """) { L in
            _ = try check(L, 1)
            L.setTop(1)
            return 1
        },
        LuaFunction("svg", doc: """
            p:svg()
            The chart as SVG text.
            Example:
              local text = plot.bar({1, 2, 3}):svg()
              print(#text, text:sub(1, 4))   --> ... <svg
            """) { L in
            L.push(try check(L, 1).svg()); return 1
        },
    ]
}
