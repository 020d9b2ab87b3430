import Kernels
import LuaHost
import Pruning
import Tensor

/// FPWT (wavelet sub-band similarity) and SFM's entropy: their options, read from the
/// plan's (or `criteria.score`'s) option table, and `criteria.fpwt` / `criteria.entropy`,
/// which score one layer's maps [N, C, H, W] given as a tensor.
///
/// ```lua
/// local plan = prune.plan(net, {criterion = "fpwt", wavelet = "db2", mode = "periodization", calib = loader})
/// local s = criteria.entropy(maps, {variant = "pooled", bins = 64})   -- one score per channel
/// ```
extension CriteriaModule {
    static let fpwtOptions: Set<String> = ["wavelet", "mode", "level", "weights", "variant", "details", "force", "dead"]
    static let entropyOptions: Set<String> = ["variant", "bins", "base", "logits"]

    /// FPWT with options wavelet (haar), mode (symmetric), level (1), weights ("layer" |
    /// "channel"), variant ("similarity" | "energy"), details ("all" | "coarsest"), force,
    /// dead ("formula" | "prune").
    static func fpwt(_ o: LuaOptions) throws -> FPWTCriterion {
        let wavelet = try Wavelet.named(try o.choice("wavelet", Wavelet.names, "haar"))
        let mode = WaveletMode(rawValue: try o.choice("mode", WaveletMode.allCases.map(\.rawValue), "symmetric"))!
        let level = try o.integer("level", 1)
        guard (1...16).contains(level) else {
            throw o.invalid("level", "expected an integer in 1...16, got \(level)")
        }
        return FPWTCriterion(
            wavelet: wavelet, mode: mode, level: level,
            weights: .init(rawValue: try o.choice("weights", FPWTCriterion.Weights.allCases.map(\.rawValue), "layer"))!,
            variant: .init(rawValue: try o.choice("variant", FPWTCriterion.Variant.allCases.map(\.rawValue), "similarity"))!,
            details: .init(rawValue: try o.choice("details", WaveletDetailBands.allCases.map(\.rawValue), "all"))!,
            force: try o.bool("force", false),
            prunesDead: try o.choice("dead", ["formula", "prune"], "formula") == "prune")
    }

    /// Entropy with options variant ("histogram" | "pooled" | "softmax"), bins (256),
    /// base (2), logits ("squared_deviation" | "values", softmax only).
    static func entropy(_ o: LuaOptions) throws -> EntropyCriterion {
        let variant = try o.choice("variant", EntropyCriterion.Variant.allCases.map(\.rawValue), "histogram")
        let bins = try o.integer("bins", 256)
        guard (1...(1 << 22)).contains(bins) else {
            throw o.invalid("bins", "expected an integer in 1...4194304, got \(bins)")
        }
        let base = try o.number("base", 2)
        guard base > 0, base != 1, base.isFinite else {
            throw o.invalid("base", "expected a positive number other than 1, got \(base)")
        }
        let logits = try o.choice("logits", SoftmaxLogits.allCases.map(\.rawValue), "squared_deviation")
        return EntropyCriterion(variant: .init(rawValue: variant)!, bins: bins, base: base, logits: .init(rawValue: logits)!)
    }

    static let paperFunctions: [LuaFunction] = [
        LuaFunction("fpwt", doc: """
            criteria.fpwt(maps [, {wavelet = "haar", mode = "symmetric", level = 1, weights = "layer",
                          variant = "similarity", details = "all", force = false, dead = "formula"}]) -> scores, info
            FPWT's scores of one layer's feature maps [N, C, H, W] (higher = keep), as the built-in
            criterion "fpwt" computes them for a group. L = the level-`level` approximation (LL)
            and H = the detail bands (LH, HL, HH; every level's, or the coarsest's) of each map;
            α = E_L/(E_L + E_H), β = E_H/(E_L + E_H) over the layer (weights = "channel": per
            channel). "similarity": sim(i, j) = mean_n [α cos(L_ni, L_nj) + β cos(H_ni, H_nj)],
            score(i) = −mean_{j≠i} sim(i, j); "energy": α·mean_n ‖L_nc‖ + β·mean_n ‖H_nc‖.
            A zero map has cosine 0 with every other, so a channel dead in every image scores 0 under
            "similarity", above every live channel, as the formula (and the reference script) gives;
            dead = "prune" scores it −1 instead (as a channel identical to all others), so it goes first.
            Wavelets: tensor.wavelets(); modes as x:dwt2. info = {alpha =, beta = (C), similarity = (C, C)}.
            Example:
              local s, info = criteria.fpwt(tensor.randn(16, 8, 32, 32):relu(), {wavelet = "db2"})
              print(s:shape(), info.alpha[1])
            """) { L in
            let maps = try L.checkTensor(1), o = try LuaOptions(L, 2)
            try o.checkKnown(fpwtOptions, "criteria.fpwt")
            let r = try fpwt(o).scores(maps: maps)
            L.push(try Tensor(shape: [r.importance.count], values: r.importance.map(Float.init)))
            L.newTable()
            L.push(try Tensor(shape: [r.alpha.count], values: r.alpha.map(Float.init))); L.setField(-2, "alpha")
            L.push(try Tensor(shape: [r.beta.count], values: r.beta.map(Float.init))); L.setField(-2, "beta")
            if let s = r.similarity {
                let c = r.importance.count
                L.push(try Tensor(shape: [c, c], values: s.map(Float.init))); L.setField(-2, "similarity")
            }
            return 2
        },
        LuaFunction("entropy", doc: """
            criteria.entropy(maps [, {variant = "histogram", bins = 256, base = 2, logits = "squared_deviation"}]) -> scores
            SFM's entropy scores of one layer's feature maps [N, C, H, W] (higher = keep), as the
            built-in criterion "entropy" computes them. "histogram": per map, numpy.histogram's
            `bins` equal bins over [min, max], −Σ p log p, mean over images (a constant map scores
            0); "pooled": the entropy of the N per-image map means of each channel (needs N ≥ 2);
            "softmax": of softmax((x − mean)²) over the pixels (logits = "values": softmax(x)).
            Example:
              local s = criteria.entropy(tensor.randn(16, 8, 32, 32):relu(), {bins = 64})
              print(s:shape())   -- {8}
            """) { L in
            let maps = try L.checkTensor(1), o = try LuaOptions(L, 2)
            try o.checkKnown(entropyOptions, "criteria.entropy")
            let s = try entropy(o).scores(maps: maps)
            L.push(try Tensor(shape: [s.count], values: s.map(Float.init)))
            return 1
        },
    ]
}
