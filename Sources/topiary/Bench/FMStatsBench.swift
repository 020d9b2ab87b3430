import Kernels
import Tensor

extension BenchSuites {
    /// bench_fmstats.py's cases on ReLU(N(0, 1)) float32 maps: entropy_hist (per-channel
    /// 256-bin histogram entropy in bits of (128, 64, 32, 32)), entropy_softmax (per-map
    /// softmax entropy in nats, mean over images), matrix_rank (HRank: the rank of every
    /// 32x32 map), cosine_sim / euclid_dist (512x512 channel matrices of (128, 512, 4, 4)
    /// flattened over (N, H, W); gflops nominal 2·512·512·2048).
    static var fmstatsCases: [BenchCase] {
        let maps = [128, 64, 32, 32], fm = [128, 512, 4, 4]
        let relu = { (s: [Int]) throws -> Tensor in
            Random.manualSeed(0)
            return try Tensor.randn(s).clamp(min: 0, max: nil)
        }
        func make(_ name: String, _ shape: [Int], flops: Double? = nil,
                  _ fn: @escaping (Tensor) throws -> Tensor, check: @escaping (Tensor) -> Double) -> BenchCase {
            BenchCase(name: name, shape: shape, flops: flops) {
                let x = try relu(shape)
                benchNote(name, shape, "check=\(check(try fn(x)))")
                return { _ = try fn(x) }
            }
        }
        let sum = { (t: Tensor) in t.toArray().reduce(0, +) }
        let gf = 2.0 * 512 * 512 * 2048
        return [
            make("entropy_hist", maps, { try $0.channelHistogramEntropy(bins: 256, base: 2) }, check: sum),
            make("entropy_softmax", maps, { try $0.softmaxEntropy(base: 2.718281828459045, logits: .values).mean([0]) },
                 check: sum),
            make("matrix_rank", maps, { try $0.matrixRank() }, check: sum),
            make("cosine_sim", fm, flops: gf, { try $0.channelMatrix(.cosine, batching: .flatten, "cosine_similarity") },
                 check: sum),
            make("euclid_dist", fm, flops: gf, { try $0.channelMatrix(.euclidean, batching: .flatten, "euclidean_distance") },
                 check: sum),
        ]
    }
}
