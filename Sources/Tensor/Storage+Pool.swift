import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
import CMalloc
#endif

/// Where storages get their memory back from: freed buffers from `poolThreshold` (256 KB)
/// on are kept (exact sizes, up to `poolBytes`) and handed to the next request of the same
/// size (the most recently freed first: the likeliest to be in cache), and the C allocator
/// is told not to trim or unmap what smaller storages free. A training step frees its
/// activations and the next step asks for the same sizes again: without this every step
/// pays the kernel for fresh zeroed pages (a tenth of a ResNet-56 step).
extension Storage {
    /// Most bytes of freed mapped buffers kept for reuse: `TOPIARY_POOL_BYTES` (bytes, or
    /// with a K/M/G suffix), otherwise an eighth of physical memory, at most 4 GB — room
    /// for the activations of a ResNet-56 step at batch 128 several times over.
    static let configuredPoolBytes: Int = {
        if let v = ProcessInfo.processInfo.environment["TOPIARY_POOL_BYTES"], let n = parseBytes(v) { return n }
        let eighth = Int(clamping: ProcessInfo.processInfo.physicalMemory) / 8
        return min(eighth > 0 ? eighth : 256 << 20, 4 << 30)
    }()

    /// The pool's limit in effect: `configuredPoolBytes` (tests lower it).
    nonisolated(unsafe) static var poolBytes = configuredPoolBytes

    /// glibc: buffers up to 32 MB (its largest mmap threshold; storages from 256 KB go to
    /// the pool, kernel scratch buffers of that size to the heap) come from the heap, and
    /// freed heap memory is not given back to the kernel until `poolBytes` of it are free,
    /// so steady loops reuse pages instead of faulting in zeroed ones. Set once, on the
    /// first allocation; not in AddressSanitizer builds.
    static let mallocTuned: Bool = {
        #if canImport(Glibc) && !TOPIARY_ASAN
        _ = mallopt(M_MMAP_THRESHOLD, 32 << 20)
        _ = mallopt(M_TRIM_THRESHOLD, Int32(clamping: configuredPoolBytes))
        return true
        #else
        return false
        #endif
    }()

    /// The mapped length of a buffer of `bytes`: whole huge pages from `hugePage` on, whole
    /// 4 KB pages below (a 512 KB map of a pruned net takes 512 KB, not 2 MB).
    static func mappedLength(_ bytes: Int) -> Int {
        bytes >= hugePage ? (bytes + hugePage - 1) & ~(hugePage - 1) : (bytes + 4095) & ~4095
    }

    /// Maps `bytes` (`mappedLength`): from `hugePage` on at a huge-page boundary and advised
    /// to use huge pages, below that as plain pages.
    static func map(_ bytes: Int) -> (UnsafeMutableRawPointer, Int)? {
        #if os(Linux)
        let len = mappedLength(bytes)
        guard len >= hugePage else {
            let m = mmap(nil, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
            guard let m, m != MAP_FAILED else { return nil }
            return (m, len)
        }
        let total = len + hugePage
        let m = mmap(nil, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        guard let m, m != MAP_FAILED else { return nil }
        let start = (Int(bitPattern: m) + hugePage - 1) & ~(hugePage - 1)
        let head = start - Int(bitPattern: m)
        if head > 0 { munmap(m, head) }
        let tail = total - head - len
        if tail > 0 { munmap(UnsafeMutableRawPointer(bitPattern: start + len), tail) }
        let p = UnsafeMutableRawPointer(bitPattern: start)!
        _ = madvise(p, len, MADV_HUGEPAGE)
        return (p, len)
        #else
        return nil
        #endif
    }

    /// Recently freed mapped buffers, oldest first, kept for reuse (at most `poolBytes` in
    /// all): a loop making same-sized temporaries then skips the kernel's page faults and
    /// zeroing. Not counted in `liveBytes`.
    static let pool = Mutex<[(UnsafeMutableRawPointer, Int)]>([])

    /// Whether a request takes the most recently freed buffer of its size (B) or the
    /// oldest (A) (`topiary bench --ab pool-newest`). AMD EPYC Zen 4 (family 25 model 17), 4
    /// alternating rounds, 1 | 2 threads: infer/resnet56_pruned50 1.046× | 1.056× (paired),
    /// criterion/taylor 1.033× | 1.009×; infer/resnet56, vgg16_bn and the train steps within
    /// ±1 %. A layer's output then lands in the buffer freed last, which a layer just read.
    nonisolated(unsafe) public static var reusesNewest = true

    /// Whether a request no kept buffer fits exactly takes the head of the smallest larger
    /// one, whose tail stays in the pool (`topiary bench --ab pool-split`), instead of
    /// mapping fresh pages. A pruned net's maps are smaller than the full net's whose
    /// buffers the pool holds; without this the first steps of its fine-tuning fault in
    /// all their memory again (on this VM ~0.4 GB/s of page clearing) while the pool keeps
    /// sizes nobody asks for. AMD EPYC (Zen 4, family 25 model 17), ResNet-56 trained three
    /// steps, pruned by L1 to half its inner channels, trained four more (one thread, batch
    /// 128): the pruned net's first step 800–822 → 223–226 ms (its later steps 219–229
    /// either way), peak RSS 813–818 → 690 MB; `bench train --ab pool-split`, 6 rounds, 1 |
    /// 2 threads: train steps 0.995–1.015×.
    nonisolated(unsafe) public static var splitsLarger = true

    /// A kept buffer for `bytes`: one of exactly its mapped length (the newest or the
    /// oldest, `reusesNewest`), else (`splitsLarger`) the head of the smallest larger one —
    /// all of it when the tail would be under `poolThreshold`, which no pooled request could
    /// use (the storage then holds, and later gives back, the whole length).
    static func reuse(_ bytes: Int) -> (UnsafeMutableRawPointer, Int)? {
        let len = mappedLength(bytes)
        return pool.withLock { p in
            if let i = reusesNewest ? p.lastIndex(where: { $0.1 == len }) : p.firstIndex(where: { $0.1 == len }) {
                return p.remove(at: i)
            }
            guard splitsLarger else { return nil }
            var best: Int?
            for i in p.indices.reversed() where p[i].1 > len && (best.map { p[i].1 < p[$0].1 } ?? true) { best = i }
            guard let b = best else { return nil }
            let (raw, l) = p[b]
            guard l - len >= poolThreshold else { return p.remove(at: b) }
            p[b] = (raw + len, l - len)   // page-aligned: both lengths are whole pages
            return (raw, len)
        }
    }

    /// Keeps a freed buffer of `len` mapped bytes, giving the oldest kept ones back to the
    /// kernel until it fits, so a new phase's sizes (Taylor scores after a capture, a
    /// pruned net after the full one) replace the last phase's instead of being refused
    /// while stale sizes fill the pool. False (the caller unmaps it) only when it alone is
    /// over the limit.
    static func recycle(_ raw: UnsafeMutableRawPointer, _ len: Int) -> Bool {
        guard len <= poolBytes else { return false }
        let evicted: [(UnsafeMutableRawPointer, Int)] = pool.withLock { p in
            var held = p.reduce(0) { $0 + $1.1 }, n = 0
            while held + len > poolBytes, n < p.count { held -= p[n].1; n += 1 }
            let out = Array(p[..<n])
            p.removeFirst(n)
            p.append((raw, len))
            return out
        }
        #if os(Linux)
        for (q, l) in evicted { munmap(q, l) }
        #endif
        return true
    }

    /// Zeroes a buffer on all threads (2 MB per range at least); Storage's fresh tensors
    /// and the kernels' large zeroed scratch.
    public static func zero(_ raw: UnsafeMutableRawPointer, _ bytes: Int) {
        Parallel.ranges(bytes, grain: 1 << 21) { lo, hi in
            (raw + lo).initializeMemory(as: UInt8.self, repeating: 0, count: hi - lo)
        }
    }
}
