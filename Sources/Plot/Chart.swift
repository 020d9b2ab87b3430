/// What a chart draws.
public enum ChartKind: String, Sendable {
    case line, scatter, bar, histogram, heatmap
}

/// One series of a line, scatter, bar or histogram chart. For bars `x` is unused (the
/// chart's categories name the positions); for histograms `y` holds the bin heights.
public struct Series: Sendable {
    public var label: String?
    public var x: [Double]
    public var y: [Double]
}

/// A matrix for a heat map, row-major; row 1 is drawn at the top.
public struct HeatMatrix: Sendable {
    public let rows: Int, cols: Int
    public let values: [Double]
    public func at(_ r: Int, _ c: Int) -> Double { values[r * cols + c] }
}

/// A chart: its kind, texts, and data. Build one with the static constructors, add series
/// with the `add…` methods, and render it with `svg()`. Rendering is deterministic: the
/// same chart always gives the same bytes.
public final class Chart {
    public let kind: ChartKind
    public var title: String?
    public var xlabel: String?
    public var ylabel: String?
    public var width: Double = 640
    public var height: Double = 400
    /// Scatter marker radius in pixels.
    public var markerSize: Double = 3
    /// Line and scatter charts: how each axis maps data (`setAxes` checks them with the limits).
    public private(set) var xScale: AxisScale = .linear, yScale: AxisScale = .linear
    /// Line and scatter charts: the interval each axis shows (the data's when nil); what
    /// falls outside is clipped.
    public private(set) var xLimits: (Double, Double)?, yLimits: (Double, Double)?
    public private(set) var series: [Series] = [] { didSet { account() } }
    /// Bar charts: the label of each bar position.
    public private(set) var categories: [String] = [] { didSet { account() } }
    /// Histograms: the bin edges (bins + 1 values).
    public private(set) var edges: [Double] = [] { didSet { account() } }
    /// Histograms: heights are densities (area 1) rather than counts.
    public private(set) var density = false
    /// Heat maps: the matrix.
    public private(set) var matrix: HeatMatrix? { didSet { account() } }
    /// Heat maps above `maxHeatmapCells` cells: the matrix as a base64 PNG (`rasterPNG`).
    private(set) var raster: String? { didSet { account() } }

    /// Told of the bytes charts' data holds, +n as it grows and −n when a chart goes (the
    /// Lua host counts them with tensors', so a loop making plots runs the collector).
    nonisolated(unsafe) public static var memoryObserver: ((Int) -> Void)?
    /// The bytes last reported to `memoryObserver`.
    private var reported = 0

    /// Reports the change in the bytes this chart's data holds.
    private func account() {
        guard let observe = Self.memoryObserver else { return }
        var bytes = series.reduce(0) { $0 + 8 * ($1.x.count + $1.y.count) } + 8 * edges.count
            + categories.reduce(0) { $0 + $1.utf8.count } + 8 * (matrix?.values.count ?? 0) + (raster?.utf8.count ?? 0)
        bytes = max(bytes, 0)
        if bytes != reported { observe(bytes - reported); reported = bytes }
    }

    deinit { if reported != 0 { Self.memoryObserver?(-reported) } }

    /// The most cells a heat map draws as SVG rectangles (an element per cell); larger
    /// matrices are drawn as one embedded PNG.
    public static let maxHeatmapCells = 65_536
    /// The most rows or columns, and cells, of a heat map (a 4096 × 1024 PNG at most).
    public static let maxHeatmapSide = 4096, maxHeatmapPixels = 4 << 20

    init(kind: ChartKind) { self.kind = kind }

    /// Sets the axis scales and limits of a line or scatter chart (nil leaves one as it is):
    /// limits must be finite with lo < hi, and positive on a log axis.
    public func setAxes(xScale: AxisScale? = nil, yScale: AxisScale? = nil,
                        xLimits: (Double, Double)? = nil, yLimits: (Double, Double)? = nil) throws {
        guard kind == .line || kind == .scatter else {
            throw PlotError("plot: log scales and axis limits are for line and scatter charts, not a \(kind.rawValue) chart")
        }
        let xs = xScale ?? self.xScale, ys = yScale ?? self.yScale
        let xl = xLimits ?? self.xLimits, yl = yLimits ?? self.yLimits
        for (axis, s, l) in [("x", xs, xl), ("y", ys, yl)] {
            guard let (a, b) = l else { continue }
            guard a.isFinite, b.isFinite, a < b else { throw PlotError("plot: \(axis)lim must be two finite numbers {lo, hi} with lo < hi, got {\(a), \(b)}") }
            guard s == .linear || a > 0 else { throw PlotError("plot: \(axis)lim must be positive on a log \(axis) axis, got {\(a), \(b)}") }
        }
        (self.xScale, self.yScale, self.xLimits, self.yLimits) = (xs, ys, xl, yl)
    }

    // MARK: Constructors

    /// A line chart of `y` against `x` (1, 2, … when `x` is nil).
    public static func line(x: [Double]? = nil, y: [Double], label: String? = nil) throws -> Chart {
        let c = Chart(kind: .line)
        try c.addXY(x: x, y: y, label: label)
        return c
    }

    /// A scatter plot of the points (x[i], y[i]).
    public static func scatter(x: [Double], y: [Double], label: String? = nil) throws -> Chart {
        let c = Chart(kind: .scatter)
        try c.addXY(x: x, y: y, label: label)
        return c
    }

    /// A bar chart: one bar per value, named by `categories` (1, 2, … when nil).
    public static func bar(_ values: [Double], categories: [String]? = nil, label: String? = nil) throws -> Chart {
        let c = Chart(kind: .bar)
        guard !values.isEmpty else { throw PlotError("plot.bar: no values to plot") }
        if let cats = categories, cats.count != values.count {
            throw PlotError("plot.bar: \(cats.count) labels for \(values.count) values")
        }
        c.categories = categories ?? (1...values.count).map { String($0) }
        try c.addBars(values, label: label)
        return c
    }

    /// A histogram of `values` with `bins` equal bins over `range` (the finite values'
    /// minimum and maximum when nil). Values outside the range are not counted; the last
    /// bin includes its right edge (as numpy.histogram does).
    public static func histogram(_ values: [Double], bins: Int = 10, range: (Double, Double)? = nil,
                                 density: Bool = false, label: String? = nil) throws -> Chart {
        guard bins >= 1 && bins <= 10_000 else { throw PlotError("plot.hist: bins must be in 1..10000, got \(bins)") }
        let finite = values.filter { $0.isFinite }
        var (lo, hi) = range ?? (finite.min() ?? 0, finite.max() ?? 1)
        guard lo.isFinite, hi.isFinite, lo <= hi else { throw PlotError("plot.hist: range must be {lo, hi} with lo <= hi") }
        if lo == hi { lo -= 0.5; hi += 0.5 }
        let c = Chart(kind: .histogram)
        c.density = density
        c.edges = (0...bins).map { lo + (hi - lo) * Double($0) / Double(bins) }
        try c.addHistogram(values, label: label)
        return c
    }

    /// A heat map of a rows × cols matrix (row-major values).
    public static func heatmap(rows: Int, cols: Int, values: [Double]) throws -> Chart {
        guard rows >= 1, cols >= 1, values.count == rows * cols else {
            throw PlotError("plot.heatmap: expected a non-empty matrix, got \(rows) x \(cols)")
        }
        guard rows <= maxHeatmapSide, cols <= maxHeatmapSide, rows * cols <= maxHeatmapPixels else {
            throw PlotError("plot.heatmap: \(rows) x \(cols) is too large to draw (at most \(maxHeatmapSide) rows or columns and \(maxHeatmapPixels) cells); reduce the matrix first")
        }
        let c = Chart(kind: .heatmap)
        let m = HeatMatrix(rows: rows, cols: cols, values: values)
        c.matrix = m
        if rows * cols > maxHeatmapCells { c.raster = try rasterPNG(m) }
        return c
    }

    // MARK: More series

    /// Adds a line or scatter series.
    public func addXY(x: [Double]?, y: [Double], label: String? = nil) throws {
        let name = "plot.\(kind.rawValue)"
        guard kind == .line || kind == .scatter else { throw PlotError("\(name): cannot add an x/y series to a \(kind.rawValue) chart") }
        guard !y.isEmpty else { throw PlotError("\(name): no values to plot") }
        let xs = x ?? (1...y.count).map(Double.init)
        guard xs.count == y.count else { throw PlotError("\(name): x has \(xs.count) values, y has \(y.count)") }
        series.append(Series(label: label, x: xs, y: y))
    }

    /// Adds a series of bars (one value per category), drawn beside the others.
    public func addBars(_ values: [Double], label: String? = nil) throws {
        guard kind == .bar else { throw PlotError("plot.\(kind.rawValue): cannot add bars to a \(kind.rawValue) chart") }
        guard values.count == categories.count else {
            throw PlotError("plot.bar: \(values.count) values for \(categories.count) bars")
        }
        series.append(Series(label: label, x: [], y: values))
    }

    /// Adds a histogram of `values` over the same bins as the first.
    public func addHistogram(_ values: [Double], label: String? = nil) throws {
        guard kind == .histogram else { throw PlotError("plot.\(kind.rawValue): cannot add a histogram to a \(kind.rawValue) chart") }
        var counts = [Double](repeating: 0, count: edges.count - 1)
        let lo = edges[0], hi = edges[edges.count - 1], n = counts.count
        var total = 0.0
        for v in values where v.isFinite && v >= lo && v <= hi {
            let i = min(Int((v - lo) / (hi - lo) * Double(n)), n - 1)
            counts[i] += 1
            total += 1
        }
        if density && total > 0 {
            let width = (hi - lo) / Double(n)
            counts = counts.map { $0 / (total * width) }
        }
        series.append(Series(label: label, x: Array(edges.dropLast()), y: counts))
    }

    // MARK: Description

    /// A one-line description: `plot.line "Loss" (2 series, 200 points)`.
    public var summary: String {
        var s = "plot.\(kind == .histogram ? "hist" : kind.rawValue)"
        if let t = title { s += " \"\(t)\"" }
        switch kind {
        case .heatmap:
            s += " (\(matrix?.rows ?? 0) x \(matrix?.cols ?? 0))"
        case .histogram:
            s += " (\(series.count) series, \(edges.count - 1) bins)"
        case .bar:
            s += " (\(series.count) series, \(categories.count) bars)"
        default:
            let points = series.reduce(0) { $0 + $1.y.count }
            s += " (\(series.count) series, \(points) points)"
        }
        return s
    }
}
