import Foundation
import Tensor
import Text

/// `topiary bench --compare ANCHORS.jsonl`: the ratio table of our cases against the best
/// peer of ../shared/bench (torch NCHW, torch channels_last, onnxruntime, numpy, …) at
/// the same thread count. ratio = best peer's median / ours (> 1: ours is faster).
/// Rows match on case, threads and shape (a batch-1 run is no peer of a batch-128 one).
/// Several runs of the same case and implementation in the anchors file (run files
/// concatenated) count by their median, as summarize.py's merge does.
enum BenchCompare {
    /// The JSON records of a JSON-lines file (lines not starting with "{" are skipped,
    /// so a file holding an earlier table still loads).
    static func load(_ path: String) throws -> [JSON] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TensorError("bench: cannot read '\(path)'")
        }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap { line in
            let l = line.trimmingCharacters(in: .whitespaces)
            guard l.hasPrefix("{"), let obj = try? JSON.parse(l), obj.object != nil else { return nil }
            return obj
        }
    }

    struct Key: Hashable {
        let name: String, threads: Int, shape: [Int]

        init?(_ r: JSON) {
            guard let name = r["case"]?.string, name != "env", let t = r["threads"]?.int else { return nil }
            self.name = name; threads = t; shape = r["shape"]?.array?.compactMap(\.int) ?? []
        }
    }

    /// (case, threads) → timed median in ms, of records that have one; `impl` filter.
    static func medians(_ rows: [JSON], impl keep: (String) -> Bool) -> [Key: [(impl: String, ms: Double)]] {
        var runs: [Key: [String: [Double]]] = [:]
        for r in rows {
            guard let k = Key(r), let impl = r["impl"]?.string, keep(impl),
                  let ms = r["median_ms"]?.double, ms > 0 else { continue }
            runs[k, default: [:]][impl, default: []].append(ms)
        }
        return runs.mapValues { byImpl in
            byImpl.map { impl, v in
                let s = v.sorted()
                return (impl, s[(s.count - 1) / 2])
            }.sorted { $0.ms < $1.ms }
        }
    }

    /// The Markdown table (one row per case and thread count of `ours`, in its order) and
    /// a summary line: how many cases reach 1.0 and the geometric mean of the ratios.
    static func table(anchors: [JSON], ours: [JSON]) -> String {
        let peers = medians(anchors) { !$0.hasPrefix("topiary") }
        let mine = medians(ours) { _ in true }
        var order: [Key] = []
        for r in ours {
            guard let k = Key(r) else { continue }
            if mine[k] != nil && !order.contains(k) { order.append(k) }
        }
        var out = "| case | thr | ours ms | best peer | peer ms | peer/ours |\n|---|---|---|---|---|---|\n"
        var logSum = 0.0, compared = 0, wins = 0
        for k in order {
            guard let our = mine[k]?.first else { continue }
            if let best = peers[k]?.first {
                let ratio = best.ms / our.ms
                logSum += Foundation.log(ratio); compared += 1
                if ratio >= 1 { wins += 1 }
                out += "| \(k.name) | \(k.threads) | \(fmt(our.ms)) | \(best.impl) | \(fmt(best.ms)) | \(String(format: "%.2f", ratio)) |\n"
            } else {
                out += "| \(k.name) | \(k.threads) | \(fmt(our.ms)) | – | – | – |\n"
            }
        }
        if compared > 0 {
            out += "\n\(wins) of \(compared) cases ≥ 1.00×; geometric mean \(String(format: "%.2f", Foundation.exp(logSum / Double(compared))))×\n"
        } else {
            out += "\nno case in common with the anchors file\n"
        }
        return out
    }

    static func fmt(_ ms: Double) -> String { String(format: ms < 10 ? "%.3f" : "%.1f", ms) }
}
