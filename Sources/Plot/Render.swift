extension Chart {
    /// The chart as an SVG document.
    public func svg() -> String {
        switch kind {
        case .line, .scatter: return renderXY()
        case .bar: return renderBars()
        case .histogram: return renderHistogram()
        case .heatmap: return renderHeatmap()
        }
    }

    /// Entries for the legend: shown when any series has a label or there are several.
    func legendEntries() -> [(label: String, color: String)] {
        guard series.count > 1 || series.contains(where: { $0.label != nil }) else { return [] }
        return series.enumerated().map { ($0.element.label ?? "series \($0.offset + 1)", Palette.color($0.offset)) }
    }

    /// The finite minimum and maximum of a list of values (nil if none is finite).
    func extent(_ values: [Double]) -> (Double, Double)? {
        var lo = Double.infinity, hi = -Double.infinity
        for v in values where v.isFinite { lo = min(lo, v); hi = max(hi, v) }
        return lo <= hi ? (lo, hi) : nil
    }

    func renderXY() -> String {
        let xa = AxisLayout(series.flatMap { $0.x }, scale: xScale, limits: xLimits)
        let ya = AxisLayout(series.flatMap { $0.y }, scale: yScale, limits: yLimits)
        let f = Frame(self, yLabelChars: ya.widestLabel)
        let sx = xa.map(f.left, f.right), sy = ya.map(f.bottom, f.top)
        var w = SVGWriter(width: width, height: height)
        w.title(self)
        w.grid(f, x: xa.placed(sx), y: ya.placed(sy))
        // with limits, data may fall outside the plot area: clip the series to it
        let clipped = xLimits != nil || yLimits != nil
        if clipped {
            w.open("clipPath", ["id": "plot-area"])
            w.element("rect", ["x": num(f.left), "y": num(f.top), "width": num(f.width), "height": num(f.height)])
            w.close("clipPath")
        }
        for (i, s) in series.enumerated() {
            let color = Palette.color(i)
            var group = ["class": "series", "data-label": s.label ?? "series \(i + 1)"]
            if clipped { group["clip-path"] = "url(#plot-area)" }
            w.open("g", group)
            if kind == .line {
                // NaN and infinite values break the line into pieces; a lone point is a dot.
                var run: [(Double, Double)] = []
                func flush() {
                    if run.count == 1 {
                        w.element("circle", ["cx": num(run[0].0), "cy": num(run[0].1), "r": "2", "fill": color])
                    } else if run.count > 1 {
                        w.element("polyline", ["points": run.map { "\(num($0.0)),\(num($0.1))" }.joined(separator: " "),
                                               "fill": "none", "stroke": color, "stroke-width": "2", "stroke-linejoin": "round"])
                    }
                    run = []
                }
                for (x, y) in zip(s.x, s.y) {
                    let (px, py) = (sx(x), sy(y))
                    if px.isFinite && py.isFinite { run.append((px, py)) } else { flush() }
                }
                flush()
            } else {
                for (x, y) in zip(s.x, s.y) {
                    let (px, py) = (sx(x), sy(y))
                    guard px.isFinite && py.isFinite else { continue }
                    w.element("circle", ["cx": num(px), "cy": num(py), "r": num(markerSize), "fill": color, "fill-opacity": "0.75"])
                }
            }
            w.close("g")
        }
        w.xAxis(f, xa.placed(sx), label: xlabel, chart: self)
        w.yAxis(f, ya.placed(sy), label: ylabel)
        w.legend(f, legendEntries(), swatch: kind == .line ? "line" : "point")
        return w.finish()
    }

    func renderBars() -> String {
        let (lo, hi) = extent(series.flatMap { $0.y }) ?? (0, 1)
        let ys = Ticks.nice(min(lo, 0), max(hi, 0))
        let f = Frame(self, yLabelChars: ys.ticks.widestLabel)
        let sy = LinearScale(d0: ys.lo, d1: ys.hi, r0: f.bottom, r1: f.top)
        let n = Double(categories.count), band = f.width / n
        let inner = band * 0.8 / Double(max(series.count, 1))
        var w = SVGWriter(width: width, height: height)
        w.title(self)
        w.grid(f, x: [], y: ys.ticks.placed(sy))
        for (k, s) in series.enumerated() {
            w.open("g", ["class": "series", "data-label": s.label ?? "series \(k + 1)", "fill": Palette.color(k)])
            for (i, v) in s.y.enumerated() where v.isFinite {
                let x = f.left + band * Double(i) + band * 0.1 + inner * Double(k)
                let top = sy(max(v, 0)), base = sy(min(v, 0))
                w.element("rect", ["x": num(x), "y": num(top), "width": num(inner), "height": num(base - top)])
            }
            w.close("g")
        }
        let xTicks = categories.enumerated().map { Tick(at: f.left + band * (Double($0.offset) + 0.5), label: $0.element) }
        w.xAxis(f, xTicks, label: xlabel, chart: self)
        w.yAxis(f, ys.ticks.placed(sy), label: ylabel)
        w.legend(f, legendEntries(), swatch: "box")
        return w.finish()
    }

    func renderHistogram() -> String {
        let lo = edges[0], hi = edges[edges.count - 1]
        let top = series.flatMap { $0.y }.max() ?? 1
        let xt = Ticks.within(lo, hi)
        let ys = Ticks.nice(0, max(top, density ? 1e-9 : 1))
        let f = Frame(self, yLabelChars: ys.ticks.widestLabel, hasYLabel: true)
        let sx = LinearScale(d0: lo, d1: hi, r0: f.left, r1: f.right)
        let sy = LinearScale(d0: ys.lo, d1: ys.hi, r0: f.bottom, r1: f.top)
        var w = SVGWriter(width: width, height: height)
        w.title(self)
        w.grid(f, x: [], y: ys.ticks.placed(sy))
        let opacity = series.count > 1 ? "0.55" : "0.85"
        for (k, s) in series.enumerated() {
            w.open("g", ["class": "series", "data-label": s.label ?? "series \(k + 1)", "fill": Palette.color(k),
                         "fill-opacity": opacity, "stroke": "white", "stroke-width": "0.5"])
            for (i, c) in s.y.enumerated() where c > 0 {
                let x0 = sx(edges[i]), x1 = sx(edges[i + 1])
                w.element("rect", ["x": num(x0), "y": num(sy(c)), "width": num(x1 - x0), "height": num(sy(0) - sy(c))])
            }
            w.close("g")
        }
        w.xAxis(f, xt.placed(sx), label: xlabel, chart: self)
        w.yAxis(f, ys.ticks.placed(sy), label: ylabel ?? (density ? "density" : "count"))
        w.legend(f, legendEntries(), swatch: "box")
        return w.finish()
    }
}
