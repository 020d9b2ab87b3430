import CLua
import Foundation
import LuaHost
import Plot
import Tensor

/// The `plot` Lua module: SVG charts (line, scatter, bar, histogram, heat map). A chart is
/// a userdata of type "plot" with methods `add`, `set`, `save`, `svg` (PlotModule+Methods).
/// Notebooks show a plot returned from a cell, and any plot saved with `p:save`.
public enum PlotModule {
    /// The userdata type of charts.
    public static let chartType = LuaType<Chart>("plot")

    public static let library = LuaLibrary(name: "plot") { L in
        // charts' data counts with tensors' for the collector (a loop making plots runs it)
        Chart.memoryObserver = { d in d > 0 ? Storage.noteExternal(d) : Storage.releaseExternal(-d) }
        chartType.register(L, methods: methods, metamethods: [chartType.tostring(\.summary)])
        L.newTable()
        for f in constructors { L.push(f); L.setField(-2, f.name) }
    }

    /// The chart at stack slot `i`, or nil if the value is not a plot.
    public static func chart(_ L: Lua, _ i: Int32) -> Chart? {
        try? chartType.get(L, i)
    }

    static func check(_ L: Lua, _ i: Int32) throws -> Chart {
        try chartType.check(L, i)
    }

    static let constructors: [LuaFunction] = [
        LuaFunction("line", doc: """
            plot.line(y [, options]) | plot.line(x, y [, options]) | plot.line{x = ..., y = ..., ...}
            A line chart of y (a tensor or a table of numbers) against x (1, 2, ... when omitted). \
            Add more series with p:add. Options: title, xlabel, ylabel, label (the legend entry), width, height, \
            xscale / yscale = "linear" | "log" (log: powers-of-ten ticks; values <= 0 are left out), xlim / ylim = \
            {lo, hi} (the interval shown; what falls outside is clipped).
            Example:
              local loss = {2.3, 1.2, 0.8, 0.6, 0.5}
              local p = plot.line(loss, {title = "Training loss", xlabel = "epoch", ylabel = "loss", label = "train"})
              p:add({2.4, 1.5, 1.1, 0.9, 0.9}, {label = "test"})
              p:set{yscale = "log", ylim = {0.1, 10}}
              p:save("loss.svg")
            """) { L in
            let (x, y, opts) = try xyArguments(L, "plot.line", known: ChartOptions.common.union(ChartOptions.axes))
            let label = try opts.label()
            let c = try Chart.line(x: x, y: y, label: label)
            try opts.apply(to: c)
            try opts.applyAxes(L, to: c)
            chartType.push(L, c); return 1
        },
        LuaFunction("scatter", doc: """
            plot.scatter(x, y [, options]) | plot.scatter{x = ..., y = ..., ...}
            A scatter plot of the points (x[i], y[i]). Add more series with p:add. Options: title, \
            xlabel, ylabel, label, size (marker radius in pixels), width, height, xscale, yscale, xlim, ylim \
            (as plot.line's).
            Example:
              local x = tensor.randn(200)
              local p = plot.scatter(x, x * 2 + tensor.randn(200), {title = "y = 2x + noise", label = "samples"})
            """) { L in
            let (x, y, opts) = try xyArguments(L, "plot.scatter", known: ChartOptions.common.union(["size"]).union(ChartOptions.axes))
            guard let x else { throw LuaError.message("plot.scatter: x and y expected (plot.scatter(x, y))") }
            let label = try opts.label()
            let c = try Chart.scatter(x: x, y: y, label: label)
            try opts.apply(to: c)
            try opts.applyAxes(L, to: c)
            if let s = try opts.options.number("size") {
                guard s > 0 && s <= 50 else { throw LuaError.argument(Int(opts.index), "field 'size': must be in (0, 50]") }
                c.markerSize = s
            }
            chartType.push(L, c); return 1
        },
        LuaFunction("bar", doc: """
            plot.bar(values [, options]) | plot.bar{values = ..., labels = ..., ...}
            A bar chart, one bar per value, named by options.labels (1, 2, ... by default). p:add puts \
            another series of bars beside the first. Options: title, xlabel, ylabel, label, labels, width, height.
            Example:
              local p = plot.bar({0.91, 0.89, 0.84}, {labels = {"l1", "fpgm", "random"}, ylabel = "top-1", title = "Pruned at 50%"})
            """) { L in
            let (values, opts) = try valuesArguments(L, "plot.bar", known: ChartOptions.common.union(["labels"]))
            let label = try opts.label()
            var cats: [String]? = nil
            if opts.options.push("labels") != LUA_TNIL { cats = try L.plotLabels(-1, argument: opts.index, field: "labels") }
            L.pop()
            let c = try Chart.bar(values, categories: cats, label: label)
            try opts.apply(to: c)
            chartType.push(L, c); return 1
        },
        LuaFunction("hist", doc: """
            plot.hist(values [, options]) | plot.hist{values = ..., bins = ..., ...}
            A histogram of values (a tensor of any shape, or a table of numbers) with options.bins \
            equal bins (10) over options.range = {lo, hi} (the data's min and max). Values outside \
            the range are not counted; non-finite values are ignored. options.density = true scales \
            the bars to unit area. p:add overlays another histogram on the same bins. Options also: \
            title, xlabel, ylabel, label, width, height.
            Example:
              tensor.manual_seed(1)
              local p = plot.hist(tensor.randn(1000), {bins = 30, title = "randn", label = "N(0, 1)"})
              p:add(tensor.randn(1000) * 0.5 + 1, {label = "N(1, 0.25)"})
            """) { L in
            let (values, opts) = try valuesArguments(L, "plot.hist", known: ChartOptions.common.union(["bins", "range", "density"]))
            let label = try opts.label()
            let bins = try opts.options.integer("bins", 10)
            var range: (Double, Double)? = nil
            if opts.options.push("range") != LUA_TNIL {
                let r = try L.plotValues(-1, argument: Int(opts.index), what: "field 'range'")
                guard r.count == 2 else { L.pop(); throw LuaError.argument(Int(opts.index), "field 'range': {lo, hi} expected") }
                range = (r[0], r[1])
            }
            L.pop()
            let density = try opts.options.bool("density", false)
            let c = try Chart.histogram(values, bins: bins, range: range, density: density, label: label)
            try opts.apply(to: c)
            chartType.push(L, c); return 1
        },
        LuaFunction("heatmap", doc: """
            plot.heatmap(matrix [, options])
            A heat map of a 2-D tensor (or nested table): row 1 at the top, colours from viridis, and \
            a colour bar. Up to 65536 cells are SVG rectangles; larger matrices (a 512 x 512 channel \
            similarity, up to 4096 rows or columns and 4194304 cells) are one embedded PNG, a pixel per cell. \
            Options: title, xlabel, ylabel, width, height.
            Example:
              local w = tensor.randn(16, 27)
              local p = plot.heatmap(w:abs(), {title = "|weights| of conv1", xlabel = "input", ylabel = "filter"})
            """) { L in
            guard !L.isNoneOrNil(1) else { throw L.typeError(1, "tensor") }
            let m = try L.checkTensorLike(1)
            guard m.dim == 2 else {
                throw LuaError.argument(1, "a 2-D matrix expected, got shape [\(m.shape.map(String.init).joined(separator: ", "))]")
            }
            let opts = try ChartOptions(L, 2, "plot.heatmap", known: ChartOptions.common.subtracting(["label"]))
            let c = try Chart.heatmap(rows: m.shape[0], cols: m.shape[1], values: m.toArray())
            try opts.apply(to: c)
            chartType.push(L, c); return 1
        },
    ]
}

/// Plot errors read as the plot function's own (`plot.line: x has 5 values, y has 6`).
extension PlotError: LuaMessageError {}
