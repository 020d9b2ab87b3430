import Foundation
import Kernels
import LuaHost
import Tensor

extension TensorModule {
    /// The analysis kernels pruning criteria are made of:
    /// ```lua
    /// local h = maps:entropy{bins = 256}                -- (N, C) histogram entropy in bits
    /// local s = maps:cosine_similarity()                -- (C, C) via one GEMM
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
              local nn = tensor.randn(8, 64, 16, 16):nuclear_norm()   -- (8, 64)
            """) { L in
            let r = try L.checkTensor(1).nuclearNorm()
            if r.dim == 0 { L.push(Double(r.withFloats { $0[0] })) } else { L.push(r) }
            return 1
        },
    ]

    static func channelMeasure(_ name: String, _ m: ChannelMeasure, _ batch: String, _ what: String) -> LuaFunction {
        LuaFunction(name, doc: """
            x:\(name)([{batch = "\(batch)"}]) -> (C, C) tensor
            The \(what) between the channels of a (N, C, …) tensor, from one GEMM.
            batch = "flatten": each channel is one vector over (N, H, W); "mean": maps
            averaged over N first; "per_image": computed per image and averaged over N.
            Example:
              local fm = tensor.randn(128, 64, 8, 8):clamp(0)
              local m = fm:\(name)()
            """) { L in
            let x = try L.checkTensor(1), o = try LuaOptions(L, 2)
            try o.checkKnown(["batch"], name)
            let b = try o.choice("batch", ChannelBatching.allCases.map(\.rawValue), batch)
            L.push(try x.channelMatrix(m, batching: ChannelBatching(rawValue: b)!, name))
            return 1
        }
    }
}
