import Dispatch
import Tensor

/// Batches of a dataset for training and evaluation: a batch size, seeded shuffling,
/// optional dropping of the last incomplete batch, transforms, and a background thread
/// that prepares the next batch while the current one is used.
///
/// Determinism: epoch `e` shuffles with a generator seeded from (`seed`, e), and batch
/// `b` of that epoch draws its transform randomness from a generator seeded from
/// (`seed`, e, b). The batches are therefore the same with or without the background
/// thread, whatever its timing.
public final class Loader: BatchSource, @unchecked Sendable {
    public let dataset: Dataset
    public let batchSize: Int
    public let shuffle: Bool
    public let seed: UInt64
    public let dropLast: Bool
    /// Flattened transforms, applied in order.
    public let transforms: [Transform]
    /// Whether batches are prepared on a background thread.
    public let background: Bool
    /// The epoch the next `nextEpoch()` starts (0-based).
    public var nextEpochIndex = 0
    /// Data-parallel sharding (see `sharded`): this loader's rank (0-based) among `count`.
    public internal(set) var shard = Shard(rank: 0, count: 1, even: true)

    /// The leading transforms that may run on the background thread; the rest run on the
    /// consumer's thread when the batch is taken.
    let backgroundStages: [Transform], foregroundStages: [Transform]
    private let queue = DispatchQueue(label: "topiary.loader", qos: .userInitiated)

    public init(_ dataset: Dataset, batchSize: Int, shuffle: Bool = false, seed: UInt64 = 0,
                dropLast: Bool = false, transforms: [Transform] = [], background: Bool = true) throws {
        guard batchSize >= 1 else { throw TensorError("loader: batch size must be at least 1, got \(batchSize)") }
        self.dataset = dataset
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.seed = seed
        self.dropLast = dropLast
        self.background = background
        let flat = Compose.flatten(transforms)
        self.transforms = flat
        let split = flat.firstIndex { !$0.runsInBackground } ?? flat.count
        backgroundStages = Array(flat[..<split])
        foregroundStages = Array(flat[split...])
    }

    public var batchCount: Int {
        if shard.count > 1 { return shard.batchCount(samples: dataset.count, batch: batchSize, dropLast: dropLast) }
        return dropLast ? dataset.count / batchSize : (dataset.count + batchSize - 1) / batchSize
    }

    public var sampleCount: Int {
        if shard.count > 1 { return shard.sampleCount(samples: dataset.count, batch: batchSize, dropLast: dropLast) }
        return dropLast ? batchCount * batchSize : dataset.count
    }

    /// Two seeds mixed into one (SplitMix64 finaliser).
    static func mix(_ a: UInt64, _ b: UInt64) -> UInt64 {
        var z = a ^ (b &+ 0x9E37_79B9_7F4A_7C15 &+ (a << 6) &+ (a >> 2))
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    func epochSeed(_ epoch: Int) -> UInt64 { Loader.mix(seed, UInt64(bitPattern: Int64(epoch))) }

    /// The sample order of `epoch`: 0..<count, shuffled (Fisher–Yates) if `shuffle`.
    public func order(epoch: Int) -> [Int] {
        var p = Array(0..<dataset.count)
        guard shuffle else { return p }
        var rng = Xoshiro256(seed: epochSeed(epoch))
        for i in stride(from: p.count - 1, to: 0, by: -1) { p.swapAt(i, rng.nextInt(i + 1)) }
        return p
    }

    /// Gathers batch `index` and applies the background stages.
    func prepare(epoch: Int, index: Int, order: [Int]) throws -> (Batch, Xoshiro256) {
        var rng: Xoshiro256
        let (x, y): (Tensor, Tensor)
        if shard.count > 1 {
            let (lo, hi) = shard.bounds(index, samples: order.count, batch: batchSize)
            (x, y) = try dataset.gather(ArraySlice(stride(from: lo + shard.rank, to: hi, by: shard.count).map { order[$0] }))
            rng = Xoshiro256(seed: Loader.mix(Loader.mix(epochSeed(epoch), UInt64(index) + 1), UInt64(shard.rank) + 1))
        } else {
            let lo = index * batchSize, hi = min(lo + batchSize, order.count)
            (x, y) = try dataset.gather(order[lo..<hi])
            rng = Xoshiro256(seed: Loader.mix(epochSeed(epoch), UInt64(index) + 1))
        }
        var b = Batch(input: x, target: y)
        for t in backgroundStages { b = try t.apply(b, rng: &rng) }
        return (b, rng)
    }

    /// Batch `index` of `epoch` with every transform applied, on the calling thread.
    public func batch(epoch: Int, index: Int) throws -> Batch {
        guard index >= 0 && index < batchCount else {
            throw TensorError("loader: batch \(index + 1) out of range (\(batchCount) batches)")
        }
        var (b, rng) = try prepare(epoch: epoch, index: index, order: order(epoch: epoch))
        for t in foregroundStages { b = try t.apply(b, rng: &rng) }
        return b
    }

    /// Starts the next epoch (counting from 0) and returns its batches.
    public func nextEpoch() throws -> () throws -> (input: Tensor, target: Tensor)? {
        defer { nextEpochIndex += 1 }
        return try batches(epoch: nextEpochIndex)
    }

    public func batches(epoch: Int) throws -> () throws -> (input: Tensor, target: Tensor)? {
        let order = order(epoch: epoch), count = batchCount
        var next = 0
        var pending: Pending? = nil
        let schedule = { [self] (i: Int) -> Pending in
            Pending(queue) { try self.prepare(epoch: epoch, index: i, order: order) }
        }
        if background && count > 0 { pending = schedule(0) }
        return { [self] in
            guard next < count else { return nil }
            try Interrupt.check("loader")
            let i = next
            next += 1
            var (b, rng): (Batch, Xoshiro256)
            if let p = pending {
                pending = nil
                (b, rng) = try p.wait()
            } else {
                (b, rng) = try prepare(epoch: epoch, index: i, order: order)
            }
            if background && next < count { pending = schedule(next) }
            for t in foregroundStages { b = try t.apply(b, rng: &rng) }
            return (b.input, b.target)
        }
    }
}

/// A batch being prepared on a loader's queue.
final class Pending: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var result: Result<(Batch, Xoshiro256), Error>?

    init(_ queue: DispatchQueue, _ work: @escaping () throws -> (Batch, Xoshiro256)) {
        queue.async { [self] in
            result = Result { try work() }
            done.signal()
        }
    }

    func wait() throws -> (Batch, Xoshiro256) {
        done.wait()
        return try result!.get()
    }
}
