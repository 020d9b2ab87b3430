import Bindings
import Foundation
import LuaHost
import NN
import Pruning
import Tensor

extension BenchSuites {
    /// bench_prune.py's cases on ResNet-56 (option A), seed-independent (timing only):
    /// - tp_build_dg: build the dependency groups of a ResNet-56 built beforehand (as
    ///   Torch-Pruning's case times `build_dependency` on an existing model).
    /// - tp_prune/local, tp_prune/global: copy the model, build the groups, score with the
    ///   group-mean L1 (Torch-Pruning's default MagnitudeImportance(p=1): mean over members,
    ///   mean-normalised), plan 50 % of the 27 inner groups (the stem, every conv2 and the
    ///   linear ignored, as Torch-Pruning's frozen residual stream leaves them) and apply.
    /// - tp_count_ops: MACs and parameters of the dense model.
    /// And ours alone: prune_criterion/l1_{builtin,lua} (the same filter L1 written in Lua with
    /// vectorised tensor ops, scoring every group) and capture/resnet56_blocks (every
    /// block's output over 5 batches of 128, against infer/resnet56 × 5).
    static var pruneCases: [BenchCase] {
        let shape = [1, 3, 32, 32]
        func inner(_ g: DependencyGraph) -> Set<Int> {
            Set(g.groups.filter { !($0.name.hasPrefix("layer") && $0.name.hasSuffix(".conv1")) }.map(\.index))
        }
        func prune(global: Bool) -> BenchCase {
            BenchCase(name: "tp_prune/\(global ? "global" : "local")", shape: shape, flops: nil) {
                let base = try Zoo.resnetCifar(depth: 56)
                return {
                    let net = try base.deepCopy()
                    let graph = try DependencyGraph(net, inputShape: shape)
                    var o = PlanOptions()
                    o.amount = .ratio(0.5, perGroup: [:])
                    o.global = global
                    o.normalizer = .mean
                    o.ignored = inner(graph)
                    let plan = try Planner.plan(net, graph: graph, criterion: NormCriterion(p: 1, reduction: .mean), options: o)
                    try plan.apply(to: net)
                }
            }
        }
        let interp = Libraries.makeInterpreter()
        func lua(_ name: String, _ code: String) -> BenchCase {
            BenchCase(name: name, shape: shape, flops: nil) {
                try interp.run("bench_net = nn.zoo.resnet56{}; prune.groups(bench_net, {1, 3, 32, 32})")
                try interp.run("criteria.define('bench_l1', function(ctx) return ctx.weight:abs():sum{2, 3, 4} end)")
                return { try interp.run(code) }
            }
        }
        return [
            BenchCase(name: "tp_build_dg", shape: shape, flops: nil) {
                let net = try Zoo.resnetCifar(depth: 56)
                return { _ = try DependencyGraph(net, inputShape: shape) }
            },
            prune(global: false), prune(global: true),
            BenchCase(name: "tp_count_ops", shape: shape, flops: nil) {
                let net = try Zoo.resnetCifar(depth: 56)
                return { _ = try net.count(inputShape: shape) }
            },
            lua("prune_criterion/l1_builtin", "criteria.score(bench_net, 'l1')"),
            lua("prune_criterion/l1_lua", "criteria.score(bench_net, 'bench_l1')"),
            lua("capture/resnet56_blocks", """
                bench_x = bench_x or tensor.randn(128, 3, 32, 32)
                for i = 1, 5 do bench_net:capture("layer%d%.%d+", bench_x) end
                """),
            lua("capture/resnet56_forward5", """
                bench_x = bench_x or tensor.randn(128, 3, 32, 32)
                bench_net:eval()
                for i = 1, 5 do bench_net:forward(bench_x) end
                """),
        ]
    }
}
