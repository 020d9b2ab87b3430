import Foundation
import Plot
import Tensor
import Text

/// `topiary sweep collect`: every task's parameters and reported values in one table.
public struct ResultTable {
    /// `index`, the grid names, the reported names (first seen first), `status`.
    public var columns: [String]
    /// One row per grid point, in expansion order; nil where a task reported nothing.
    public var rows: [[JSON?]]

    /// The table of `points`: parameters from the grid, values from each task's record
    /// (or, for a task still running or killed, from the report.json it wrote so far), and
    /// each task's status as `sweep status` gives it (`status`: `SweepOverview.gather`'s
    /// tasks; by default the task folders' word alone): `ok`, `failed (exit 1)`, `RUNNING`,
    /// `PENDING`, `missing`.
    public static func collect(_ spec: SweepSpec, points: [GridPoint], status: [TaskStatus]? = nil) throws -> ResultTable {
        let names = spec.grid.map(\.name)
        let status = try status ?? SweepStatus.compute(spec, points: points, slurm: [:])
        guard status.count == points.count else { throw SweepError("collect: \(status.count) task states for \(points.count) grid points") }
        var reportNames: [String] = []
        var reports: [(JSON, String)] = []
        for (p, s) in zip(points, status) {
            let folder = TaskFolder(out: spec.out, point: p)
            let report = try TaskRecord.read(folder)?.report ?? TaskRecord.readReport(folder)
            for (k, _) in report.object ?? [] where !reportNames.contains(k) { reportNames.append(k) }
            reports.append((report, s.state == "failed" ? "failed" + (s.detail.map { " (\($0))" } ?? "") : s.state))
        }
        let shown = reportNames.map { names.contains($0) || $0 == "index" || $0 == "status" ? "report." + $0 : $0 }
        var rows: [[JSON?]] = []
        for (p, (report, status)) in zip(points, reports) {
            var row: [JSON?] = [.int(p.index)] + p.params.map { $0.value.json }
            row += reportNames.map { report[$0] }
            row.append(.string(status))
            rows.append(row)
        }
        return ResultTable(columns: ["index"] + names + shown + ["status"], rows: rows)
    }

    static func cell(_ v: JSON?) -> String {
        switch v {
        case nil, .null?: ""
        case .string(let s)?: s
        case .some(let j): j.text
        }
    }

    /// A Markdown table; numbers right-aligned.
    public var markdown: String {
        let numeric = columns.indices.map { c in rows.allSatisfy { $0[c]?.double != nil || $0[c] == nil } }
        func esc(_ s: String) -> String {
            s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
        }
        var md = "| " + columns.map(esc).joined(separator: " | ") + " |\n"
        md += "|" + numeric.map { $0 ? " ---: |" : " --- |" }.joined() + "\n"
        for r in rows { md += "| " + r.map { esc(Self.cell($0)) }.joined(separator: " | ") + " |\n" }
        return md
    }

    /// CSV as RFC 4180 writes it: fields with commas, quotes or line breaks quoted.
    public var csv: String {
        func field(_ s: String) -> String {
            s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        }
        var out = columns.map(field).joined(separator: ",") + "\r\n"
        for r in rows { out += r.map { field(Self.cell($0)) }.joined(separator: ",") + "\r\n" }
        return out
    }

    /// A column's values as numbers: nil where not a number, and in the rows of tasks that did
    /// not finish ok (a failed, running or killed task's values are partial), when the table
    /// has a status column.
    func numbers(_ column: String) -> [Double?]? {
        guard let c = columns.firstIndex(of: column) else { return nil }
        let status = columns.lastIndex(of: "status")
        return rows.map { r in status.map { r[$0] == .string("ok") } ?? true ? r[c]?.double : nil }
    }

    /// The chart choice filled in: y defaults to the first numeric reported column, x to
    /// the first numeric grid parameter, by to the first other grid parameter.
    public func resolve(_ choice: PlotChoice, grid: [String]) throws -> PlotChoice? {
        let reported = columns.filter { !grid.contains($0) && $0 != "index" && $0 != "status" }
        let isNumeric = { (c: String) in (numbers(c) ?? []).contains { $0 != nil } }
        for (what, name) in [("x", choice.x), ("y", choice.y), ("by", choice.by)] {
            if let name, !columns.contains(name) {
                throw SweepError("plot \(what) = '\(name)' is not a column of the results (columns: \(columns.joined(separator: ", ")))")
            }
        }
        guard let y = choice.y ?? reported.first(where: isNumeric) else { return nil }
        guard let x = choice.x ?? grid.first(where: { $0 != y && isNumeric($0) }) ?? reported.first(where: { $0 != y && isNumeric($0) }) else { return nil }
        let by = choice.by ?? grid.first { $0 != x && $0 != y }
        return PlotChoice(x: x, y: y, by: by)
    }

    /// `y` against `x`, one line per value of `by` (in order of first appearance); points with
    /// the same x on one line (other parameters, seeds) are averaged. Only tasks that finished
    /// ok are drawn; rows without numbers are skipped.
    public func chart(_ p: PlotChoice) throws -> Chart? {
        guard let xc = p.x, let yc = p.y, let xs = numbers(xc), let ys = numbers(yc) else { return nil }
        let byIndex = p.by.flatMap { columns.firstIndex(of: $0) }
        var order: [String] = []
        var sums: [String: [Double: (Double, Int)]] = [:]
        for (k, r) in rows.enumerated() {
            guard let x = xs[k], let y = ys[k], x.isFinite, y.isFinite else { continue }
            let key = byIndex.map { "\(p.by!)=\(Self.cell(r[$0]))" } ?? yc
            if sums[key] == nil { order.append(key); sums[key] = [:] }
            let s = sums[key]![x] ?? (0, 0)
            sums[key]![x] = (s.0 + y, s.1 + 1)
        }
        guard !order.isEmpty else { return nil }
        var chart: Chart?
        for key in order {
            let pts = sums[key]!.sorted { $0.key < $1.key }
            let x = pts.map(\.key), y = pts.map { $0.value.0 / Double($0.value.1) }
            if let c = chart { try c.addXY(x: x, y: y, label: key) } else { chart = try Chart.line(x: x, y: y, label: key) }
        }
        chart?.title = "\(yc) against \(xc)" + (p.by.map { ", one line per \($0)" } ?? "")
        chart?.xlabel = xc
        chart?.ylabel = yc
        return chart
    }

    /// Writes `results.md`, `results.csv` and (when there is something to draw) `results.svg`
    /// under `out`, each atomically; returns the paths written. Without a chart, an earlier
    /// `results.svg` is removed, so no chart of older results stays beside the new table.
    public func write(out: String, chart: Chart?) throws -> [String] {
        var files = [(out + "/results.md", markdown), (out + "/results.csv", csv)]
        let svg = out + "/results.svg"
        if let chart { files.append((svg, chart.svg())) }
        do {
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            for (path, text) in files { try AtomicFile.write(path, bytes: Array(text.utf8), op: "sweep collect") }
        } catch { throw SweepError("\(out): cannot write the results: \(error)") }
        if chart == nil, unlink(svg) != 0, errno != ENOENT {
            throw SweepError("\(svg): cannot remove the chart of earlier results: \(String(cString: strerror(errno)))")
        }
        return files.map(\.0)
    }
}
