/// The plot area of a chart and the furniture around it: title, axes with ticks and
/// labels, grid lines, the legend.
struct Frame {
    let left: Double, top: Double, right: Double, bottom: Double

    /// Lays out a chart of `chart.width` × `chart.height`: room for the title, the y tick
    /// labels (`yLabelChars` wide), axis labels, and `extraRight` pixels (a colour bar).
    init(_ chart: Chart, yLabelChars: Int, extraRight: Double = 0, hasYLabel: Bool? = nil) {
        left = 14 + ((hasYLabel ?? (chart.ylabel != nil)) ? 20 : 0) + Double(yLabelChars) * 7 + 8
        top = chart.title == nil ? 16 : 40
        right = chart.width - 20 - extraRight
        bottom = chart.height - 28 - (chart.xlabel == nil ? 0 : 20)
    }

    var width: Double { right - left }
    var height: Double { bottom - top }
}

/// A tick: its pixel position along the axis and its label.
struct Tick {
    let at: Double
    let label: String
}

extension SVGWriter {
    /// The chart title, centred above the plot area.
    mutating func title(_ chart: Chart) {
        guard let t = chart.title else { return }
        text(t, ["class": "title", "x": num(chart.width / 2), "y": "24", "text-anchor": "middle",
                 "font-size": "15", "font-weight": "bold"])
    }

    /// Light grid lines at the ticks (drawn first, under the data).
    mutating func grid(_ f: Frame, x: [Tick], y: [Tick]) {
        open("g", ["class": "grid", "stroke": "#e6e6e6", "stroke-width": "1"])
        for t in x { element("line", ["x1": num(t.at), "x2": num(t.at), "y1": num(f.top), "y2": num(f.bottom)]) }
        for t in y { element("line", ["x1": num(f.left), "x2": num(f.right), "y1": num(t.at), "y2": num(t.at)]) }
        close("g")
    }

    /// The x axis along the bottom of the plot area, with ticks, labels and its title.
    mutating func xAxis(_ f: Frame, _ ticks: [Tick], label: String?, chart: Chart) {
        open("g", ["class": "axis x"])
        element("line", ["class": "domain", "x1": num(f.left), "x2": num(f.right), "y1": num(f.bottom), "y2": num(f.bottom), "stroke": "#333"])
        // Thin the labels when they would overlap.
        let widest = ticks.map { $0.label.count }.max() ?? 1
        let room = ticks.count > 1 ? abs(ticks[1].at - ticks[0].at) : f.width
        let every = max(1, Int((Double(widest) * 7 + 6) / max(room, 1)) + 1)
        for (i, t) in ticks.enumerated() {
            open("g", ["class": "tick"])
            element("line", ["x1": num(t.at), "x2": num(t.at), "y1": num(f.bottom), "y2": num(f.bottom + 5), "stroke": "#333"])
            if i % every == 0 {
                text(t.label, ["x": num(t.at), "y": num(f.bottom + 18), "text-anchor": "middle", "fill": "#333"])
            }
            close("g")
        }
        if let l = label {
            text(l, ["class": "label", "x": num((f.left + f.right) / 2), "y": num(chart.height - 10), "text-anchor": "middle"])
        }
        close("g")
    }

    /// The y axis along the left of the plot area.
    mutating func yAxis(_ f: Frame, _ ticks: [Tick], label: String?) {
        open("g", ["class": "axis y"])
        element("line", ["class": "domain", "x1": num(f.left), "x2": num(f.left), "y1": num(f.top), "y2": num(f.bottom), "stroke": "#333"])
        for t in ticks {
            open("g", ["class": "tick"])
            element("line", ["x1": num(f.left - 5), "x2": num(f.left), "y1": num(t.at), "y2": num(t.at), "stroke": "#333"])
            text(t.label, ["x": num(f.left - 8), "y": num(t.at + 4), "text-anchor": "end", "fill": "#333"])
            close("g")
        }
        if let l = label {
            let x = 18.0, y = (f.top + f.bottom) / 2
            text(l, ["class": "label", "x": num(x), "y": num(y), "text-anchor": "middle",
                     "transform": "rotate(-90 \(num(x)) \(num(y)))"])
        }
        close("g")
    }

    /// The legend in the top-right corner of the plot area: one entry per labelled series.
    /// `swatch` draws the series' mark: "line", "point" or "box".
    mutating func legend(_ f: Frame, _ entries: [(label: String, color: String)], swatch: String) {
        guard !entries.isEmpty else { return }
        let widest = entries.map { $0.label.count }.max() ?? 0
        let w = Double(widest) * 7 + 38, h = Double(entries.count) * 18 + 8
        let x0 = f.right - w - 8, y0 = f.top + 8
        open("g", ["class": "legend"])
        element("rect", ["x": num(x0), "y": num(y0), "width": num(w), "height": num(h),
                         "fill": "white", "fill-opacity": "0.85", "stroke": "#bbb"])
        for (i, e) in entries.enumerated() {
            let y = y0 + 13 + Double(i) * 18
            switch swatch {
            case "point":
                element("circle", ["cx": num(x0 + 17), "cy": num(y), "r": "4", "fill": e.color])
            case "box":
                element("rect", ["x": num(x0 + 10), "y": num(y - 6), "width": "14", "height": "12", "fill": e.color])
            default:
                element("line", ["x1": num(x0 + 8), "x2": num(x0 + 26), "y1": num(y), "y2": num(y), "stroke": e.color, "stroke-width": "2"])
            }
            text(e.label, ["x": num(x0 + 32), "y": num(y + 4)])
        }
        close("g")
    }
}

extension Ticks {
    /// Pixel ticks through `scale`.
    func placed(_ scale: LinearScale) -> [Tick] {
        values.map { Tick(at: scale($0), label: label($0)) }
    }

    /// The widest label, in characters.
    var widestLabel: Int { values.map { label($0).count }.max() ?? 1 }
}
