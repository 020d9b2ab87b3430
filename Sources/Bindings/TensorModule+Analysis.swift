import Foundation
import Kernels
import LuaHost
import Tensor

extension TensorModule {
    /// The analysis kernels pruning criteria are made of:
    /// ```lua
    /// local h = maps:entropy{bins = 256}                -- (N, C) histogram entropy in bits
    /// local s = maps:cosine_similarity()                -- (C, C) via one GEMM
    /// local d = w:view(w:size(1), -1):euclidean_distance{rows = true}   -- rows of a (C, F) matrix
    /// local rho = tensor.spearman(scores_a, scores_b)   -- rank agreement of two criteria
    /// local r = maps:matrix_rank():float():mean(1)      -- HRank
    /// local labels, centroids = tensor.kmeans(v, 8, {seed = 1})
    /// ```
    static var analysisMethods: [LuaFunction] {
        waveletMethods + statisticsMethods + clusteringMethods
    }

    /// Module-level functions (not tensor methods).
    static var analysisFunctions: [LuaFunction] { waveletFunctions }

    static let statisticsMethods: [LuaFunction] = [
        LuaFunction("entropy", doc: """
            x:entropy([{variant = "histogram", bins = 256, base = 2, per = "map"}]) -> tensor
            Entropy of the maps (last two dims) -> (…). "histogram": bins over each map's
            [min, max] as numpy.histogram (a constant map scores 0); per = "channel" pools
            x[:, c] of (N, C, …) -> (C). "pooled": entropy of the N image means per channel
            -> (C). "softmax": of softmax((x - mean)^2), or of softmax(x) with logits = "values".
            Example:
              local score = tensor.randn(16, 8, 32, 32):relu():entropy():mean(1)
            """) { L in
            let x = try L.checkTensor(1), o = try LuaOptions(L, 2)
            try o.checkKnown(["variant", "bins", "base", "per", "logits"], "entropy")
            let variant = try o.choice("variant", ["histogram", "pooled", "softmax"], "histogram")
            let bins = try o.integer("bins", 256), base = try o.number("base", 2)
            let per = try o.choice("per", ["map", "channel"], "map")
            let logits = try o.choice("logits", SoftmaxLogits.allCases.map(\.rawValue), "squared_deviation")
            switch variant {
            case "pooled": L.push(try x.pooledEntropy(bins: bins, base: base))
            case "softmax": L.push(try x.softmaxEntropy(base: base, logits: SoftmaxLogits(rawValue: logits)!))
            default:
                L.push(per == "channel" ? try x.channelHistogramEntropy(bins: bins, base: base)
                                        : try x.histogramEntropy(bins: bins, base: base))
            }
            return 1
        },
        channelMeasure("cosine_similarity", .cosine, "flatten", "cosine similarity ⟨a, b⟩/(‖a‖‖b‖) (a zero channel scores 0)"),
        channelMeasure("euclidean_distance", .euclidean, "flatten", "Euclidean distance ‖a − b‖"),
        channelMeasure("foad_similarity", .foad, "per_image", "FOAD similarity 1/(1 + ‖a − b‖_F)"),
        LuaFunction("spearman", doc: """
            tensor.spearman(a, b) -> number
            Spearman's rank correlation of two 1-d tensors of equal length (scipy.stats.spearmanr): the Pearson correlation of their ranks, ties sharing the average rank. NaN when either holds a NaN or is constant.
            Example: local rho = tensor.spearman(tensor.new{1, 2, 3, 4}, tensor.new{10, 20, 20, 40})
            """) { L in
            L.push(try Tensor.spearman(try L.checkTensor(1), try L.checkTensor(2))); return 1
        },
        LuaFunction("svd", doc: """
            x:svd([{vectors = false}]) -> s [, u, v]
            Singular values (descending) of every matrix in the last two dims, batched over
            the rest (LAPACK sgesdd); with vectors = true also the thin factors, x = u·diag(s)·vᵀ
            with u (…, m, k) and v (…, n, k), k = min(m, n). NaN or infinity is an error.
            Example:
              local s, u, v = tensor.randn(5, 3):svd{vectors = true}
            """) { L in
            let x = try L.checkTensor(1), o = try LuaOptions(L, 2)
            try o.checkKnown(["vectors"], "svd")
            let r = try x.svd(vectors: try o.bool("vectors", false))
            L.push(r.s)
            if let u = r.u, let v = r.v { L.push(u); L.push(v); return 3 }
            return 1
        },
        LuaFunction("matrix_rank", doc: """
            x:matrix_rank([{atol =, rtol =, method = "gram"}]) -> int64 tensor (a number for one matrix)
            Rank of every matrix in the last two dims: singular values above max(atol,
            rtol·σmax), torch's defaults (rtol = max(m, n)·float32 eps). method "gram" counts
            eigenvalues of the double-precision Gram matrix (no SVD); "svd" uses LAPACK.
            Example:
              local hrank = tensor.randn(128, 64, 32, 32):relu():matrix_rank():float():mean(1)
            """) { L in
            let x = try L.checkTensor(1), o = try LuaOptions(L, 2)
            try o.checkKnown(["atol", "rtol", "method"], "matrix_rank")
            let method = try o.choice("method", RankMethod.allCases.map(\.rawValue), "gram")
            let r = try x.matrixRank(atol: try o.number("atol"), rtol: try o.number("rtol"),
                                     method: RankMethod(rawValue: method)!)
            if r.dim == 0 { L.push(Int(r.withInt64s { $0[0] })) } else { L.push(r) }
            return 1
        },
        LuaFunction("nuclear_norm", doc: """
            x:nuclear_norm() -> tensor (a number for one matrix)
            Sum of the singular values of every matrix in the last two dims (CHIP's measure).
            Example:
              local norms = tensor.randn(8, 64, 16, 16):nuclear_norm()   -- (8, 64)
            """) { L in
            let r = try L.checkTensor(1).nuclearNorm()
            if r.dim == 0 { L.push(Double(r.withFloats { $0[0] })) } else { L.push(r) }
            return 1
        },
    ]

    static func channelMeasure(_ name: String, _ m: ChannelMeasure, _ batch: String, _ what: String) -> LuaFunction {
        LuaFunction(name, doc: """
            x:\(name)([{batch = "\(batch)" | rows = true}]) -> (C, C) tensor
            The \(what) between the channels of a (N, C, …) tensor (3+ dims). batch =
            "flatten": a channel is one vector over (N, H, W); "mean": maps averaged over N
            first; "per_image": per image, averaged. rows = true: between the rows of a
            (C, F) matrix; a 2-d input needs it.
            Example:
              local m = tensor.randn(8, 16, 4, 4):\(name)()
              local r = tensor.randn(16, 27):\(name){rows = true}
            """) { L in
            let x = try L.checkTensor(1), o = try LuaOptions(L, 2)
            try o.checkKnown(["batch", "rows"], name)
            if try o.bool("rows", false) {
                guard try o.string("batch") == nil else {
                    throw LuaError.message("\(name): batch does not apply with rows = true (the rows of a (C, F) matrix)")
                }
                guard x.dim == 2 else {
                    throw LuaError.message("\(name): rows = true expects a (C, F) matrix, got shape \(shapeString(x.shape))")
                }
                L.push(try x.rowMatrix(m, name)); return 1
            }
            guard x.dim != 2 else {
                throw LuaError.message("\(name): a 2-d input is ambiguous: pass {rows = true} to compare the rows of a (C, F) matrix, or give (N, C, …) with 3 or more dims, got shape \(shapeString(x.shape))")
            }
            let b = try o.choice("batch", ChannelBatching.allCases.map(\.rawValue), batch)
            L.push(try x.channelMatrix(m, batching: ChannelBatching(rawValue: b)!, name))
            return 1
        }
    }
}
