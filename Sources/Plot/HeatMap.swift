import Foundation

extension Chart {
    /// A heat map: one cell per matrix entry coloured by viridis, row 1 at the top, with a
    /// colour bar on the right. Non-finite entries are grey. Up to `maxHeatmapCells` cells
    /// are one SVG rectangle each; a larger matrix is one embedded PNG of a pixel per cell.
    func renderHeatmap() -> String {
        guard let m = matrix else { return SVGWriter(width: width, height: height).text + "</svg>\n" }
        let (lo, hi) = Chart.colorRange(m)
        let barTicks = Ticks.within(lo, hi)
        // Row and column ticks are 1-based integers.
        let rowTicks = integerTicks(m.rows), colTicks = integerTicks(m.cols)
        let f = Frame(self, yLabelChars: String(m.rows).count, extraRight: 30 + Double(barTicks.widestLabel) * 7 + 14)
        let cw = f.width / Double(m.cols), ch = f.height / Double(m.rows)
        var w = SVGWriter(width: width, height: height)
        w.title(self)
        w.open("g", ["class": "cells", "shape-rendering": "crispEdges"])
        if m.rows * m.cols <= Chart.maxHeatmapCells {
            for r in 0..<m.rows {
                for c in 0..<m.cols {
                    let v = m.at(r, c)
                    let color = v.isFinite ? Palette.viridis((v - lo) / (hi - lo)) : "#bbbbbb"
                    w.element("rect", ["x": num(f.left + cw * Double(c)), "y": num(f.top + ch * Double(r)),
                                       "width": num(cw), "height": num(ch), "fill": color])
                }
            }
        } else {
            w.element("image", ["x": num(f.left), "y": num(f.top), "width": num(f.width), "height": num(f.height),
                                "preserveAspectRatio": "none", "style": "image-rendering:pixelated",
                                "href": "data:image/png;base64," + (raster ?? "")])
        }
        w.close("g")
        w.xAxis(f, colTicks.map { Tick(at: f.left + cw * (Double($0) - 0.5), label: String($0)) }, label: xlabel, chart: self)
        w.yAxis(f, rowTicks.map { Tick(at: f.top + ch * (Double($0) - 0.5), label: String($0)) }, label: ylabel)
        colorBar(&w, f, lo: lo, hi: hi, ticks: barTicks)
        return w.finish()
    }

    /// Nice integer ticks in 1...n.
    func integerTicks(_ n: Int) -> [Int] {
        if n <= 10 { return Array(1...n) }
        let t = Ticks.within(1, Double(n), count: 6)
        let step = max(1, Int(t.step.rounded()))
        // 1 is labelled only when the next tick is far enough away (1, 5, 10 but 2, 4, 6).
        return (step >= 5 ? [1] : []) + Array(stride(from: step, through: n, by: step))
    }

    /// A vertical gradient from `lo` (bottom) to `hi` (top), with its own ticks.
    func colorBar(_ w: inout SVGWriter, _ f: Frame, lo: Double, hi: Double, ticks: Ticks) {
        let x = f.right + 22, barWidth = 14.0
        let scale = LinearScale(d0: lo, d1: hi, r0: f.bottom, r1: f.top)
        w.open("g", ["class": "colorbar"])
        w.open("defs")
        w.open("linearGradient", ["id": "colorbar-gradient", "x1": "0", "x2": "0", "y1": "1", "y2": "0"])
        for i in 0...10 {
            let t = Double(i) / 10
            w.element("stop", ["offset": num(t), "stop-color": Palette.viridis(t)])
        }
        w.close("linearGradient")
        w.close("defs")
        w.element("rect", ["x": num(x), "y": num(f.top), "width": num(barWidth), "height": num(f.height),
                           "fill": "url(#colorbar-gradient)", "stroke": "#333", "stroke-width": "0.5"])
        for t in ticks.values {
            let y = scale(t)
            w.open("g", ["class": "tick"])
            w.element("line", ["x1": num(x + barWidth), "x2": num(x + barWidth + 4), "y1": num(y), "y2": num(y), "stroke": "#333"])
            w.text(ticks.label(t), ["x": num(x + barWidth + 7), "y": num(y + 4), "fill": "#333"])
            w.close("g")
        }
        w.close("g")
    }

    /// The colour scale's interval: the finite values' extent, widened when it is one value.
    static func colorRange(_ m: HeatMatrix) -> (Double, Double) {
        var lo = Double.infinity, hi = -Double.infinity
        for v in m.values where v.isFinite { lo = min(lo, v); hi = max(hi, v) }
        return lo <= hi ? Ticks.widen(lo, hi) : Ticks.widen(0, 1)
    }

    /// The matrix as a base64 PNG, a pixel per cell in the vector cells' colours (non-finite
    /// entries grey): made once, when the chart is made, for matrices above `maxHeatmapCells`.
    static func rasterPNG(_ m: HeatMatrix) throws -> String {
        let (lo, hi) = colorRange(m)
        var rgb = [UInt8](repeating: 0xbb, count: m.rows * m.cols * 3)
        for (k, v) in m.values.enumerated() where v.isFinite {
            (rgb[3 * k], rgb[3 * k + 1], rgb[3 * k + 2]) = Palette.viridisBytes((v - lo) / (hi - lo))
        }
        return Data(try PNG.rgb(rows: m.rows, cols: m.cols, rgb)).base64EncodedString()
    }
}
