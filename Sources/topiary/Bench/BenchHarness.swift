import Foundation
import Kernels
import Tensor
import Text

/// One benchmark case: a name shared with ../shared/bench, the shape it reports, the
/// floating-point operations per call (nil where not meaningful), and a factory that
/// prepares inputs once and returns the closure to time.
struct BenchCase {
    let name: String
    let shape: [Int]
    let flops: Double?
    var extra: [String: Any] = [:]
    /// Extras only known once prepared (a `check` value); filled by `prepare`.
    var results: BenchResults? = nil
    /// Fewer runs for slow cases, as the anchor scripts' per-case `measure` arguments
    /// (warm-up calls, then exactly `min`…`max` runs, no time budget); never more than the
    /// harness would do (ANCHOR_QUICK stays quick).
    var reps: (warmup: Int, min: Int, max: Int)? = nil
    let prepare: () throws -> () throws -> Void
}

/// Values a case's preparation computes for its JSON lines.
final class BenchResults {
    var values: [String: Any] = [:]
}

/// Thrown by a case's preparation to skip it; it has printed why.
struct BenchSkip: Error {}

/// Timing and JSON lines exactly as ../shared/bench/common.py: warm-up calls, then
/// repeat until at least `minReps` runs and `budget` seconds (or `maxReps`); the median
/// is reported with min, IQR and the hypervisor's steal during the runs. The same
/// environment knobs apply: ANCHOR_THREADS, ANCHOR_ONLY, ANCHOR_BUDGET_S, ANCHOR_QUICK.
struct BenchHarness {
    var budget = Double(ProcessInfo.processInfo.environment["ANCHOR_BUDGET_S"] ?? "") ?? 2.0
    var minReps = 5, maxReps = 200, warmup = 2
    var threads: [Int] = (ProcessInfo.processInfo.environment["ANCHOR_THREADS"] ?? "1,2")
        .split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    var only: [String] = (ProcessInfo.processInfo.environment["ANCHOR_ONLY"] ?? "")
        .split(separator: ",").map(String.init)
    var impl = "topiary"

    init(quick: Bool = ProcessInfo.processInfo.environment["ANCHOR_QUICK"] == "1") {
        if quick { warmup = 1; minReps = 2; maxReps = 2; budget = 0 }
    }

    func selected(_ name: String) -> Bool { only.isEmpty || only.contains { name.contains($0) } }

    /// Runs every selected case at every thread count and prints one JSON line each;
    /// returns the lines' records (for `--compare`).
    @discardableResult
    func run(_ cases: [BenchCase]) -> [JSON] {
        var records: [JSON] = []
        for c in cases where selected(c.name) {
            let body: () throws -> Void
            do { body = try c.prepare() } catch is BenchSkip {
                continue
            } catch {
                FileHandle.standardError.write(Data("bench: \(c.name): \(error)\n".utf8))
                continue
            }
            var h = self
            if let r = c.reps {
                h.warmup = min(warmup, r.warmup); h.minReps = min(minReps, r.min)
                h.maxReps = max(h.minReps, min(maxReps, r.max)); h.budget = 0
            }
            for t in threads {
                Parallel.threads = t
                BLAS.setThreads(t)
                do {
                    let timing = try h.measure(body)
                    records.append(emit(c, threads: t, timing))
                } catch {
                    FileHandle.standardError.write(Data("bench: \(c.name): \(error)\n".utf8))
                }
            }
        }
        Parallel.threads = ProcessInfo.processInfo.activeProcessorCount
        BLAS.setThreads(Parallel.threads)
        return records
    }

    func measure(_ fn: () throws -> Void) throws -> [String: Any] {
        for _ in 0..<warmup { try fn() }
        var times: [Double] = []
        let steal0 = stealTicks()
        let start = DispatchTime.now().uptimeNanoseconds
        while true {
            let t0 = DispatchTime.now().uptimeNanoseconds
            try fn()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            if times.count >= maxReps || (times.count >= minReps && elapsed >= budget) { break }
        }
        let wall = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let sorted = times.sorted()
        var res: [String: Any] = [
            "median_ms": round4(median(sorted) * 1e3),
            "min_ms": round4(sorted[0] * 1e3),
            "iqr_ms": round4((quantile(sorted, 0.75) - quantile(sorted, 0.25)) * 1e3),
            "reps": times.count,
        ]
        if let s0 = steal0, let s1 = stealTicks(), wall > 0 {
            let tick = 1.0 / Double(sysconf(Int32(_SC_CLK_TCK)))
            let cpus = Double(ProcessInfo.processInfo.activeProcessorCount)
            let stolen: Double = Double(s1 - s0) * tick
            let pct: Double = 100 * stolen / (wall * cpus)
            res["steal_pct"] = (pct * 100).rounded() / 100
        }
        return res
    }

    @discardableResult
    func emit(_ c: BenchCase, threads: Int, _ timing: [String: Any]) -> JSON {
        var rec: [String: Any] = ["case": c.name, "impl": impl, "threads": threads,
                                  "shape": c.shape.isEmpty ? NSNull() : c.shape]   // [] = no input (null)
        rec.merge(timing) { a, _ in a }
        if let f = c.flops, let ms = timing["median_ms"] as? Double, ms > 0 {
            rec["gflops"] = (f / (ms * 1e-3) / 1e9 * 100).rounded() / 100
        } else {
            rec["gflops"] = NSNull()
        }
        rec.merge(c.extra) { a, _ in a }
        if let r = c.results { rec.merge(r.values) { a, _ in a } }
        // Keys in the anchors' order first, then the rest sorted.
        let order = ["case", "impl", "threads", "shape", "median_ms", "min_ms", "iqr_ms", "reps", "steal_pct", "gflops"]
        let keys = order.filter { rec[$0] != nil } + rec.keys.filter { !order.contains($0) }.sorted()
        let line = JSON.object(keys.map { ($0, json(rec[$0]!)) })
        print(line.line)
        fflush(stdout)
        return line
    }

    private func json(_ v: Any) -> JSON {
        switch v {
        case let s as String: return .string(s)
        case let a as [Int]: return .array(a.map { .int($0) })
        case let i as Int: return .int(i)
        case let d as Double: return .double(d)
        case let b as Bool: return .bool(b)
        default: return v is NSNull ? .null : .string("\(v)")
        }
    }

    private func round4(_ x: Double) -> Double { (x * 1e4).rounded() / 1e4 }
    private func median(_ s: [Double]) -> Double {
        s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
    /// Python's statistics.quantiles (exclusive method) for n=4.
    private func quantile(_ s: [Double], _ p: Double) -> Double {
        guard s.count >= 2 else { return s[0] }
        let m = Double(s.count + 1) * p
        let j = max(1, min(s.count - 1, Int(m)))
        let delta = m - Double(j)
        return s[j - 1] + (s[j] - s[j - 1]) * delta
    }
    private func stealTicks() -> Int? {
        guard let txt = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
              let line = txt.split(separator: "\n").first else { return nil }
        let f = line.split(separator: " ")
        return f.count > 8 ? Int(f[8]) : nil
    }
}
