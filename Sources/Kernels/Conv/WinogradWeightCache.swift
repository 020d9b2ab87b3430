import Foundation
import Tensor

/// The transformed weights of the Winograd forward (U = G·w·Gᵀ, or U packed for
/// `WinogradProducts` where those run the products), kept between calls. Inference,
/// evaluation and calibration passes run the same weights batch after batch, and the
/// transform ran on the calling thread while the other core waited: "AMD EPYC" Zen 1,
/// pruned ResNet-56 inference at two threads, transform and packing were ~8 % of the wall
/// time (perf, samples of the calling thread outside the parallel regions).
///
/// An entry is found by a key (the weights' address, or the caller's) and shape, and its
/// transform is used only when its copy of the weights is bit-equal to this call's weights
/// (`memcmp`), so no write to the weights — optimiser steps, pruning surgery, state-dict
/// loads, edits from Lua — can leave it stale: changed weights are a miss and are
/// transformed again into the same entry, and equal weights give bit-equal transforms.
/// Entries are evicted least recently used past `limitBytes`; an entry in use by another
/// thread is not shared (that call transforms into scratch, as without the cache).
public enum WinogradWeightCache {
    /// Bytes the entries may hold together (weights copy + transform):
    /// `TOPIARY_WINOGRAD_CACHE_MB` (0 turns the cache off), default 256 MB: ResNet-56's
    /// forward and ∂L/∂x transforms take ~35 MB; VGG-16 (CIFAR) with its 4×4 layers on
    /// Winograd ~150 MB for the forward alone, which 64 MB evicted at every call (Zen 4,
    /// infer/vgg16_bn with 4×4 Winograd against without, 4 alternating rounds, 1 | 2
    /// threads: 1.18× | 1.09× at 64 MB, 1.29× | 1.14× at 256 MB).
    nonisolated(unsafe) public static var limitBytes = configuredLimitBytes

    /// The limit the process started with (`topiary bench --ab weight-cache` restores it).
    public static let configuredLimitBytes =
        (Int(ProcessInfo.processInfo.environment["TOPIARY_WINOGRAD_CACHE_MB"] ?? "") ?? 256) << 20

    /// Calls that found their transform (`hits`) or computed it (`misses`, into an entry
    /// or into scratch), since the process started; tests read them.
    nonisolated(unsafe) static var hits = 0, misses = 0

    final class Entry {
        var key: UInt
        let outChannels: Int, inChannels: Int, packed: Bool, bytes: Int
        /// Floats kept after the weights' copy: the scale of weights made from a source (`with(source:…)`).
        let extra: Int
        let weights: UnsafeMutablePointer<Float>, data: UnsafeMutablePointer<Float>
        var valid = false, busy = false, lastUse = 0

        init(key: UInt, outChannels K: Int, inChannels C: Int, packed: Bool, extra: Int) {
            self.key = key; outChannels = K; inChannels = C; self.packed = packed; self.extra = extra
            let n = 9 * K * C + extra, m = WinogradWeightCache.transformCount(K, C, packed: packed)
            bytes = WinogradWeightCache.entryBytes(K, C, packed: packed) + 4 * extra
            weights = UnsafeMutableRawPointer.allocate(byteCount: n * 4, alignment: 64).bindMemory(to: Float.self, capacity: n)
            data = UnsafeMutableRawPointer.allocate(byteCount: m * 4, alignment: 64).bindMemory(to: Float.self, capacity: m)
        }

        deinit {
            weights.deallocate()
            data.deallocate()
        }
    }

    nonisolated(unsafe) private static var entries: [Entry] = []
    nonisolated(unsafe) private static var clock = 0
    private static let lock = NSLock()

    /// Floats of the transform: U[36][K][C], or `WinogradProducts.packedCount`.
    static func transformCount(_ K: Int, _ C: Int, packed: Bool) -> Int {
        packed ? WinogradProducts.packedCount(outChannels: K, inChannels: C) : 36 * K * C
    }

    /// Bytes of an entry: the weights' copy and the transform.
    static func entryBytes(_ K: Int, _ C: Int, packed: Bool) -> Int {
        (9 * K * C + transformCount(K, C, packed: packed)) * 4
    }

    /// Runs `body` with the transform of `weight` ([K, C, 3, 3]): U, or U packed when
    /// `packed`. `key` names the weights when they are a copy made for this call (the
    /// ∂L/∂x pass's flipped weights live in scratch); nil uses their address.
    static func with<R>(_ weight: UnsafePointer<Float>, key: UInt? = nil, outChannels K: Int, inChannels C: Int,
                        packed: Bool, _ body: (UnsafePointer<Float>) throws -> R) rethrows -> R {
        try cached(source: weight, scale: nil, scaleCount: 0, key: key ?? UInt(bitPattern: weight), outChannels: K,
                   inChannels: C, packed: packed, make: nil, body)
    }

    /// `with` for weights made from a source for this call (∂L/∂x's flipped, transposed and
    /// scaled weights, `Conv2dKernel.transposeWeights`): the entry keeps a copy of the source
    /// (`weight`, and `scale`'s `scaleCount` floats when given) and is valid while the source
    /// is bit-equal to it, so a hit makes neither the weights nor their transform; a miss
    /// makes the weights by `make` (9·K·C floats) into scratch and transforms them. The same
    /// guarantee as `with`: no write to the source leaves a stale transform. Zen 4, ResNet-56
    /// Taylor scores at one thread: the per-call transposes and their `memcmp` were ~1 % of
    /// the time.
    static func with<R>(source weight: UnsafePointer<Float>, scale: UnsafePointer<Float>?, scaleCount: Int, key: UInt,
                        outChannels K: Int, inChannels C: Int, packed: Bool,
                        make: (UnsafeMutablePointer<Float>) -> Void,
                        _ body: (UnsafePointer<Float>) throws -> R) rethrows -> R {
        try withoutActuallyEscaping(make) { make in
            try cached(source: weight, scale: scale, scaleCount: scaleCount, key: key, outChannels: K, inChannels: C,
                       packed: packed, make: make, body)
        }
    }

    /// Both `with`s: the entry for (key, shape) checked against its copy of the source (and
    /// scale); the transform is of the source itself, or (`make`) of weights made from it.
    private static func cached<R>(source weight: UnsafePointer<Float>, scale: UnsafePointer<Float>?, scaleCount: Int,
                                  key: UInt, outChannels K: Int, inChannels C: Int, packed: Bool,
                                  make: ((UnsafeMutablePointer<Float>) -> Void)?,
                                  _ body: (UnsafePointer<Float>) throws -> R) rethrows -> R {
        let n = 9 * K * C, extra = scale == nil ? 0 : scaleCount
        /// The transform of the weights (the source, or made from it) into `out`.
        func transformed(into out: UnsafeMutablePointer<Float>) {
            guard let make else { return transform(weight, K, C, packed: packed, into: out) }
            Scratch.with(n) { w in
                make(w)
                transform(w, K, C, packed: packed, into: out)
            }
        }
        guard let e = acquire(key, K, C, packed, extra: extra) else {
            lock.withLock { misses += 1 }   // no entry to count it with
            return try Scratch.with(transformCount(K, C, packed: packed)) { out in
                transformed(into: out)
                return try body(out)
            }
        }
        let hit = e.valid && memcmp(e.weights, weight, n * 4) == 0
            && (scale.map { memcmp(e.weights + n, $0, extra * 4) == 0 } ?? true)
        defer { release(e, hit: hit) }
        if !hit {
            e.valid = false
            transformed(into: e.data)
            e.weights.update(from: weight, count: n)
            if let scale { (e.weights + n).update(from: scale, count: extra) }
            e.valid = true
        }
        return try body(e.data)
    }

    /// U (or U packed) of `weight` into `out`.
    static func transform(_ weight: UnsafePointer<Float>, _ K: Int, _ C: Int, packed: Bool,
                          into out: UnsafeMutablePointer<Float>) {
        if packed {
            Scratch.with(36 * K * C) { u in
                Winograd.transformWeights(weight, outChannels: K, inChannels: C, into: u)
                WinogradProducts.pack(u, outChannels: K, inChannels: C, into: out)
            }
        } else {
            Winograd.transformWeights(weight, outChannels: K, inChannels: C, into: out)
        }
    }

    /// The entry for the key and shape, marked busy: found, or made after evicting the
    /// least recently used idle entries; nil when it is busy or cannot fit.
    private static func acquire(_ key: UInt, _ K: Int, _ C: Int, _ packed: Bool, extra: Int) -> Entry? {
        let bytes = entryBytes(K, C, packed: packed) + 4 * extra
        guard bytes <= limitBytes else { return nil }
        lock.lock(); defer { lock.unlock() }
        clock += 1
        if let e = entries.first(where: { $0.key == key && $0.outChannels == K && $0.inChannels == C && $0.packed == packed
                                           && $0.extra == extra }) {
            if e.busy { return nil }
            e.busy = true
            e.lastUse = clock
            return e
        }
        var held = entries.reduce(0) { $0 + $1.bytes }
        func leastRecent(_ take: (Entry) -> Bool) -> Int? {
            entries.indices.filter { !entries[$0].busy && take(entries[$0]) }
                .min { entries[$0].lastUse < entries[$1].lastUse }
        }
        // Full: an idle entry of the same shape is taken over (weights that live at a new
        // address every call, as a functional conv's, then reuse one buffer instead of
        // allocating fresh pages every time).
        if held + bytes > limitBytes,
           let i = leastRecent({ $0.outChannels == K && $0.inChannels == C && $0.packed == packed && $0.extra == extra }) {
            let e = entries[i]
            e.key = key
            e.valid = false
            e.busy = true
            e.lastUse = clock
            return e
        }
        while held + bytes > limitBytes {
            guard let i = leastRecent({ _ in true }) else { return nil }
            held -= entries.remove(at: i).bytes
        }
        let e = Entry(key: key, outChannels: K, inChannels: C, packed: packed, extra: extra)
        e.busy = true
        e.lastUse = clock
        entries.append(e)
        return e
    }

    /// Gives the entry back and counts the call.
    private static func release(_ e: Entry, hit: Bool) {
        lock.withLock {
            e.busy = false
            if hit { hits += 1 } else { misses += 1 }
        }
    }

    /// Runs `body` with the cache off: for timing the kernels of a training step, whose
    /// weights change every step (`topiary bench conv`'s backward cases).
    public static func bypassed<R>(_ body: () throws -> R) rethrows -> R {
        let limit = limitBytes
        limitBytes = 0
        defer { limitBytes = limit }
        return try body()
    }

    /// Drops every idle entry (tests; a caller that wants the memory back).
    static func clear() {
        lock.withLock { entries.removeAll { !$0.busy } }
    }

    /// Bytes the entries hold now.
    static var heldBytes: Int { lock.withLock { entries.reduce(0) { $0 + $1.bytes } } }
}
