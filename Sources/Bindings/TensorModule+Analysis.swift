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
            x:entropy([{variant = "histogram", bins = 256, base = 2, per = "map", logits = "squared_deviation"}]) -> tensor

            Entropy of feature maps. "histogram": per map over the last two dims, 256 equal
            bins over the map's own [min, max] binned as numpy.histogram (last bin closed;
            a constant map scores 0), (…, H, W) -> (…); per = "channel" takes all of
            x[:, c] of a (N, C, …) tensor as one sample -> (C). "pooled": each map averaged
            to one value per image, the histogram entropy of those N values -> (C).
            "softmax": p = softmax over the pixels of (x - mean)^2 (logits =
            "squared_deviation") or of x itself (logits = "values"), per map -> (…).

            Example:
              local maps = tensor.randn(16, 8, 32, 32):clamp(0)
              local score = maps:entropy{bins = 256}:mean(1)   -- one score per channel
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

            Rank of every matrix in the last two dims: singular values above
            max(atol, rtol·σmax), with torch.linalg.matrix_rank's defaults (atol 0,
            rtol = max(m, n)·eps of float32; rtol 0 when only atol > 0 is given).
            method "gram" (default) counts the eigenvalues of the double-precision Gram
            matrix above the squared tolerance (no SVD, more accurate than float32);
            "svd" uses LAPACK's float32 SVD as torch does.

            Example:
              local maps = tensor.randn(128, 64, 32, 32):clamp(0)
              local hrank = maps:matrix_rank():float():mean(1)   -- HRank's score per channel
            """) { L in
            let x = try L.checkTensor(1), o = try LuaOptions(L, 2)
            try o.checkKnown(["atol", "rtol", "method"], "matrix_rank")
            let method = try o.choice("method", RankMethod.allCases.map(\.rawValue), "gram")
            let r = try x.matrixRank(atol: try o.number("atol"), rtol: try o.number("rtol"),
                                     method: RankMethod(rawValue: method)!)
            if r.dim == 0 { L.push(Int(r.iptr[0])) } else { L.push(r) }
            return 1
        },
        LuaFunction("nuclear_norm", doc: """
            x:nuclear_norm() -> tensor (a number for one matrix)

            Sum of the singular values of every matrix in the last two dims (CHIP's measure).

            Example:
              local nn = tensor.randn(8, 64, 16, 16):nuclear_norm()   -- (8, 64)
            """) { L in
            let r = try L.checkTensor(1).nuclearNorm()
            if r.dim == 0 { L.push(Double(r.ptr[0])) } else { L.push(r) }
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
