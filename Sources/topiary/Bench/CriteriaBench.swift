import Bindings
import Data
import Foundation
import Kernels
import LuaHost
import NN
import Pruning
import Tensor

extension BenchSuites {
    /// bench_criteria.py's cases on the seed-0 ResNet-56 (option A) of ../shared/bench, eval
    /// mode, over its 5 calibration batches of 128 (x = sin(0.001·i) over the linear index of
    /// (640, 3, 32, 32), computed in double, stored as float32; labels n mod 10):
    /// - criterion_capture: the post-ReLU maps of the 27 layerS.B.conv1 groups (the input of
    ///   layerS.B.conv2) over the 5 batches, concatenated; check = their sum.
    /// - criterion/<name>: scoring only (maps captured beforehand) of the 27 groups, each
    ///   calibration batch reduced as the engine reduces it; taylor includes its 5
    ///   forward+backward passes. check = sum of the scores (apoz as the fraction of zeros,
    ///   as the reference reports it), or the kept count for keep-sets.
    /// Criteria are looked up by name as `prune.plan` does; one that is not built in prints
    /// a "not available" note and is skipped. Weights: TOPIARY_BENCH_DIR, else ../shared/bench.
/// Runs per case as the script's: hrank, entropy, fpwt, foad and taylor 1 warm-up + 3 runs,
/// chip ANCHOR_CHIP_REPS runs (default 1) without warm-up.
    static var criteriaCases: [BenchCase] {
        let shape = [640, 3, 32, 32]
        let cases: [(String, String, String, Bool)] = [   // case, criterion, options, uses maps
            ("l1", "l1", "{}", false), ("l2", "l2", "{}", false), ("fpgm", "fpgm", "{}", false),
            ("bn_scale", "bn_scale", "{}", false), ("apoz", "apoz", "{}", true), ("hrank", "hrank", "{}", true),
            ("chip", "chip", "{}", true), ("entropy", "entropy", "{bins = 256}", true),
            ("fpwt", "fpwt", "{wavelet = 'haar', mode = 'symmetric', level = 1, weights = 'layer'}", true),
            ("foad_t1_s0", "foad", "{t = 1, s = 0}", true), ("foad_t2_s05", "foad", "{t = 2, s = 0.5}", true),
            ("redundancy", "redundancy", "{ratio = 0.5, seed = 0}", true), ("taylor", "taylor", "{}", true),
        ]
        let capture = BenchResults()
        var out = [BenchCase(name: "criterion_capture", shape: shape, flops: nil, results: capture) {
            let s = try CriteriaBenchState.shared()
            let maps = try s.capture()
            let check = maps.reduce(0.0) { $0 + $1.toFloats().reduce(0.0) { $0 + Double($1) } }
            capture.values = ["layers": maps.count, "check": (check * 1e3).rounded() / 1e3,
                              "note": "eval forwards collecting the 27 layerS.B.conv1 groups' post-ReLU maps + concatenation"]
            return { _ = try s.capture() }
        }]
        // bench_criteria.py's `heavy` cases (1 warm-up, 3 runs) and chip (ANCHOR_CHIP_REPS runs, no warm-up)
        let heavy = ["hrank", "entropy", "fpwt", "foad_t1_s0", "foad_t2_s05", "taylor"]
        let chipReps = max(1, Int(ProcessInfo.processInfo.environment["ANCHOR_CHIP_REPS"] ?? "") ?? 1)
        for (name, criterion, options, maps) in cases {
            let box = BenchResults()
            let reps: (warmup: Int, min: Int, max: Int)? = name == "chip" ? (0, chipReps, chipReps)
                : heavy.contains(name) ? (1, 3, 200) : nil
            out.append(BenchCase(name: "criterion/\(name)", shape: maps ? shape : [], flops: nil, results: box, reps: reps) {
                let s = try CriteriaBenchState.shared()
                guard let c = try CriteriaModule.criterion(named: criterion, options: options, in: s.interp) else {
                    benchNote("criterion/\(name)", shape, "not available: no built-in criterion '\(criterion)' in this build; skipped")
                    throw BenchSkip()
                }
                box.values = Self.criterionCheck(name, try s.score(c))
                if name == "taylor" { box.values["note"] = "includes 5 forward+backward passes (batch 128) for the gradients" }
                if ["chip", "fpwt"].contains(name) || name.hasPrefix("foad") { box.values["dtype"] = "float32" }
                return { _ = try s.score(c) }
            })
        }
        return out
    }

    /// bench_criteria.py's `layers` and `check`: the sum of all scores (apoz as the
    /// fraction of zeros it reports), or the kept count of keep-sets.
    static func criterionCheck(_ name: String, _ results: [CriterionResult]) -> [String: Any] {
        var sum = 0.0, kept = 0, keepSets = false
        for r in results {
            switch r {
            case .scores(let v): sum += name == "apoz" ? v.reduce(0) { $0 + 1 - $1 } : v.reduce(0, +)
            case .keep(let k): kept += k.count; keepSets = true
            case .skip: break
            }
        }
        return ["layers": results.count, "check": keepSets ? kept as Any : (sum * 1e6).rounded() / 1e6]
    }
}

/// The model, calibration batches, the 27 groups and their captured maps, built once.
final class CriteriaBenchState {
    nonisolated(unsafe) private static var instance: CriteriaBenchState?
    let net: Sequential
    let graph: DependencyGraph
    let groups: [Int]
    let points: [GroupPoint]
    let batches: BatchList
    let interp = Libraries.makeInterpreter()
    /// maps[g][b]: group g's maps of batch b.
    private(set) var maps: [[Tensor]] = []

    static func shared() throws -> CriteriaBenchState {
        if let s = instance { return s }
        let s = try CriteriaBenchState()
        instance = s
        return s
    }

    static func weightsPath() throws -> String {
        var dirs: [String] = []
        if let d = ProcessInfo.processInfo.environment["TOPIARY_BENCH_DIR"] { dirs.append(d) }
        dirs += ["../shared/bench", URL(fileURLWithPath: #filePath).appendingPathComponent("../../../../../shared/bench").standardized.path]
        for d in dirs where FileManager.default.fileExists(atPath: d + "/resnet56_seed0.safetensors") {
            return d + "/resnet56_seed0.safetensors"
        }
        throw TensorError("resnet56_seed0.safetensors not found in \(dirs.joined(separator: ", ")) (set TOPIARY_BENCH_DIR)")
    }

    init() throws {
        net = try Zoo.resnetCifar(depth: 56)
        let file = try SafeTensors.read(try Self.weightsPath())
        try net.loadStateDict(file.entries.map { ($0.name, $0.tensor) }, strict: false)
        net.eval()
        let graph = try DependencyGraph(net, inputShape: [1, 3, 32, 32])
        let names = (1...3).flatMap { s in (0..<9).map { "layer\(s).\($0).conv1" } }
        let groups = try names.map { n in
            guard let g = graph.group(named: n) else { throw TensorError("bench: no group \(n)") }
            return g.index
        }
        points = try groups.map { g in
            guard let p = graph.point(of: g, .act) else { throw TensorError("bench: no act point for group \(g)") }
            return p
        }
        self.graph = graph; self.groups = groups
        batches = try BatchList.sinusoid(batches: 5, size: 128)
        let all = try capture()
        maps = try all.map { m in try (0..<5).map { try m.narrow(0, $0 * 128, 128).contiguous() } }
    }

    /// The 27 groups' maps over all batches, concatenated (group order).
    func capture() throws -> [Tensor] {
        let r = try Calibration.collect(net, points: points, source: batches, batches: batches.batchCount,
                                        gradients: false, reduce: nil)
        return groups.map { r[$0]! }
    }

    /// Every group's result: batches reduced as the engine reduces them, then evaluated.
    func score(_ c: any Criterion) throws -> [CriterionResult] {
        if c.needs.contains(.gradients) {
            let r = try Planner.score(net, graph: graph, criterion: c, groups: groups, calibration: batches,
                                      batches: batches.batchCount)
            return groups.map { r[$0]! }
        }
        return try groups.enumerated().map { i, g in
            let ctx = try CriterionContext(graph: graph, group: graph.groups[g], model: net)
            if c.needs.contains(.featureMaps) {
                let parts = try maps[i].map { try c.reduceBatch($0, grads: nil) ?? $0 }
                ctx.fmaps = try Tensor.cat(parts, 0)
            }
            return try c.evaluate(ctx)
        }
    }
}
