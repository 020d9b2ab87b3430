import Tensor

/// Data-parallel sharding of a loader's epochs.
///
/// With `count` ranks and batch size B, step i of an epoch takes the global batch
/// `order[i·B·count ..< (i+1)·B·count]` (the unsharded loader's order: same seed, same
/// shuffle) and rank r gets every count-th sample of it from r on. The union of the
/// ranks' batches at step i is thus exactly batch i of the same loader with batch size
/// B·count, which is what makes K ranks × batch B train like one process × batch K·B.
/// A batch's random transforms are seeded from (seed, epoch, step, rank): a sample is
/// augmented differently than in one process's run of the same seed.
public struct Shard: Sendable, Equatable {
    public var rank: Int
    public var count: Int
    /// Every rank gets the same number of batches (training: each step is a collective):
    /// a last global batch with fewer samples than ranks is dropped. Otherwise (evaluation)
    /// a rank with no sample in the last global batch just has one batch fewer.
    public var even: Bool

    public init(rank: Int, count: Int, even: Bool) {
        self.rank = rank; self.count = count; self.even = even
    }

    /// Global index range of step `index`.
    func bounds(_ index: Int, samples: Int, batch: Int) -> (Int, Int) {
        let g = batch * count, lo = index * g
        return (lo, min(lo + g, samples))
    }

    /// Full global batches and the samples left after them (0 when dropped).
    func split(samples: Int, batch: Int, dropLast: Bool) -> (full: Int, rest: Int) {
        let g = batch * count, full = samples / g
        var rest = dropLast ? 0 : samples - full * g
        if even && rest < count { rest = 0 }
        return (full, rest)
    }

    func batchCount(samples: Int, batch: Int, dropLast: Bool) -> Int {
        let (full, rest) = split(samples: samples, batch: batch, dropLast: dropLast)
        return full + (rest > rank ? 1 : 0)
    }

    func sampleCount(samples: Int, batch: Int, dropLast: Bool) -> Int {
        let (full, rest) = split(samples: samples, batch: batch, dropLast: dropLast)
        return full * batch + (rest > rank ? (rest - rank + count - 1) / count : 0)
    }
}

extension Loader {
    /// This loader's share for `rank` (0-based) of `count` data-parallel ranks: the same
    /// dataset, batch size (per rank), seed and transforms; see `Shard`.
    public func sharded(rank: Int, of count: Int, even: Bool) throws -> Loader {
        guard count >= 1, rank >= 0, rank < count else {
            throw TensorError("loader: rank \(rank + 1) out of range (\(count) ranks)")
        }
        let l = try Loader(dataset, batchSize: batchSize, shuffle: shuffle, seed: seed, dropLast: dropLast,
                           transforms: transforms, background: background)
        l.shard = Shard(rank: rank, count: count, even: even)
        return l
    }
}
