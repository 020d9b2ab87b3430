import XCTest
#if canImport(Glibc)
import Glibc
#endif
@testable import Tensor

/// A loop that frees its tensors and asks for the same sizes again (a training step's
/// activations) gets its memory back without faulting in fresh pages: big buffers from
/// the pool, smaller ones from a heap the C allocator does not trim.
final class StoragePoolTests: XCTestCase {
    /// Minor page faults of the calling thread so far: the counts of the whole process
    /// took in other threads' faults (1510 against a limit of 384, one suite run in three).
    func faults() -> Int {
        var u = rusage()
        let rusageThread: Int32 = 1   // Linux's RUSAGE_THREAD (glibc declares it for _GNU_SOURCE only)
        getrusage(rusageThread, &u)
        return u.ru_minflt
    }

    /// Skips in AddressSanitizer builds, which neither pool storages nor tune the C allocator.
    func requirePooling(_ why: String = "AddressSanitizer builds do not pool") throws {
        #if TOPIARY_ASAN
        throw XCTSkip(why)
        #endif
    }

    /// Writes every element on the calling thread (`fill` may split over the cores, whose
    /// faults `faults` does not see).
    func touch(_ t: Tensor) {
        t.ptr.update(repeating: 1, count: t.numel)
    }

    /// Faults taken by the last of five rounds that each hold `count` tensors of
    /// `floats` elements at once, written through, then free them all (the first rounds
    /// settle the heap among whatever the other tests left in it). Three rounds were not
    /// enough in a fresh process: glibc 2.36 with this file's mallopt settings, 48 × 2 MB
    /// through posix_memalign and memset, faults 24577, 512, 7681, then 0 pages a round,
    /// every run, with no system call between rounds (the same loop in C, strace'd;
    /// without the settings every round faults ~24.5 K) — so this test failed when run
    /// alone and passed in the full suite.
    func lastRoundFaults(count: Int, floats: Int) throws -> Int {
        var before = 0
        let rounds = 5
        for round in 0..<rounds {
            if round == rounds - 1 { before = faults() }
            var held: [Tensor] = []
            for _ in 0..<count {
                let t = try Tensor(uninitialized: [floats])
                touch(t)
                held.append(t)
            }
            held.removeAll()
        }
        return faults() - before
    }

    func testSmallBuffersAreNotTrimmedBetweenRounds() throws {
        try requirePooling("AddressSanitizer builds leave the C allocator as it is")
        // 48 × 128 KB through malloc (under `poolThreshold`): untrimmed, a round reuses the
        // heap's pages; trimmed, it faults in 48 × 32 fresh 4 KB pages.
        XCTAssertLessThan(128 << 10, Storage.poolThreshold, "128 KB buffers come from malloc")
        XCTAssertLessThan(try lastRoundFaults(count: 48, floats: 1 << 15), 48 * 32 / 4)
    }

    /// Maps of 256 KB to 2 MB (a pruned net's later stages) are pooled at their page-rounded
    /// size: from the glibc heap they fragmented it, which grew by ~25 MB a training step
    /// for 30 steps, every new page faulted in and zeroed.
    func testMidSizedBuffersArePooledAtTheirOwnSize() throws {
        try requirePooling()
        XCTAssertEqual(Storage.mappedLength(512 << 10), 512 << 10)
        XCTAssertEqual(Storage.mappedLength((512 << 10) + 1), (512 << 10) + 4096)
        XCTAssertEqual(Storage.mappedLength(2 << 20), 2 << 20)
        XCTAssertEqual(Storage.mappedLength((2 << 20) + 1), 4 << 20)
        // 40 × 512 KB interleaved with 40 × 1 MB, held at once: reused whole the next rounds
        var before = 0
        for round in 0..<4 {
            if round == 3 { before = faults() }
            var held: [Tensor] = []
            for i in 0..<80 {
                let t = try Tensor(uninitialized: [i % 2 == 0 ? 1 << 17 : 1 << 18])
                touch(t)
                held.append(t)
            }
            held.removeAll()
        }
        XCTAssertLessThan(faults() - before, 16, "page faults in the last round (fresh: 40 × 128 + 40 × 256)")
    }

    /// A phase's freed sizes fill the pool; the next phase's bigger buffers push the
    /// oldest out and are then reused round after round (the pool once refused them,
    /// so every round mapped and faulted them in afresh).
    func testANewPhaseReplacesStaleSizes() throws {
        try requirePooling()
        let limit = Storage.poolBytes
        defer { Storage.poolBytes = limit }
        Storage.poolBytes = 64 << 20
        _ = try lastRoundFaults(count: 8, floats: 2 << 20)          // 8 × 8 MB: the pool is full
        let faults = try lastRoundFaults(count: 4, floats: 7 << 19)  // 4 × 14 MB, three rounds
        // buffers mapped afresh fault at least 7 times a round here (2 MB pages; thousands with
        // 4 KB pages); reused, none (1 measured, from the heap)
        XCTAssertLessThan(faults, 4, "page faults in the last round")
        XCTAssertLessThanOrEqual(Storage.pool.withLock { $0.reduce(0) { $0 + $1.1 } }, 64 << 20)
    }

    /// A request takes the most recently freed buffer of its size, the one most likely still
    /// in the caches (pruned ResNet-56 inference 1.05× at one and two threads against the
    /// oldest first); `reusesNewest` off takes the oldest.
    func testARequestTakesTheNewestFreedBufferOfItsSize() throws {
        try requirePooling()
        let saved = Storage.reusesNewest
        defer { Storage.reusesNewest = saved }
        let floats = 77 * 1024 + 5   // a size no other test asks for (78 pages)
        for newest in [true, false] {
            Storage.reusesNewest = newest
            var a: Tensor? = try Tensor(uninitialized: [floats]), b: Tensor? = try Tensor(uninitialized: [floats])
            let (pa, pb) = (a!.ptr, b!.ptr)
            XCTAssertNotEqual(pa, pb)
            a = nil   // freed first: the older
            b = nil
            let c = try Tensor(uninitialized: [floats])
            XCTAssertEqual(c.ptr, newest ? pb : pa, newest ? "the newest" : "the oldest")
            _ = (a, b)
        }
    }

    /// A smaller request no freed buffer fits exactly takes the head of a larger one (a pruned
    /// net's maps after the full net's), its tail left for the next: 6 × 12 MB written and
    /// freed, then 12 × 6 MB fault in nothing (fresh, at least 3 a buffer with 2 MB pages;
    /// 1536 with 4 KB ones); `splitsLarger` off maps them afresh.
    func testSmallerRequestsTakeTheHeadsOfLargerFreedBuffers() throws {
        try requirePooling()
        let saved = Storage.splitsLarger
        defer { Storage.splitsLarger = saved }
        func run(splitting: Bool) throws -> Int {
            Storage.splitsLarger = splitting
            var big: [Tensor] = []
            for _ in 0..<6 { let t = try Tensor(uninitialized: [3 << 20 - 5]); touch(t); big.append(t) }   // 12 MB maps
            big.removeAll()
            let before = faults()
            var small: [Tensor] = []
            for _ in 0..<12 { let t = try Tensor(uninitialized: [3 << 19 - 7]); touch(t); small.append(t) }   // 6 MB maps
            let taken = faults() - before
            small.removeAll()
            // the 6 MB heads and tails go back as 6 MB buffers: drop them, so the next run starts from 12 MB ones
            Storage.pool.withLock { p in
                for (q, l) in p where l == 6 << 20 { munmap(q, l) }
                p.removeAll { $0.1 == 6 << 20 }
            }
            return taken
        }
        XCTAssertLessThan(try run(splitting: true), 12, "page faults for 12 × 6 MB from 6 freed 12 MB buffers")
        XCTAssertGreaterThanOrEqual(try run(splitting: false), 12 * 3, "fresh maps fault")
    }

    /// A larger buffer whose tail would be under `poolThreshold` (no pooled request could
    /// use it) is handed out whole, so the pool never fills with dead slivers.
    func testASplitLeavesNoTailTooSmallToServe() throws {
        try requirePooling()
        let saved = Storage.splitsLarger
        defer { Storage.splitsLarger = saved }
        Storage.splitsLarger = true
        let big = 1220 * 256, small = 1120 * 256   // maps of 1220 and 1120 KB (sizes no other test asks for)
        func kept(_ len: Int) -> Int { Storage.pool.withLock { $0.filter { $0.1 == len }.count } }
        let bigLen = Storage.mappedLength(big * 4), smallLen = Storage.mappedLength(small * 4)
        XCTAssertEqual(bigLen - smallLen, 100 << 10)
        var t: Tensor? = try Tensor(uninitialized: [big])
        let at = t!.ptr
        t = nil
        let before = kept(bigLen - smallLen)
        let u = try Tensor(uninitialized: [small])
        XCTAssertEqual(u.ptr, at, "the freed buffer's head")
        XCTAssertEqual(kept(bigLen - smallLen), before, "no 100 KB tail pooled")
        XCTAssertEqual(kept(bigLen), 0, "the whole buffer taken")
    }

    func testBigBuffersOverTheOldPoolSizeAreReused() throws {
        try requirePooling()
        try XCTSkipIf(Storage.poolBytes < 512 << 20, "a pool under 512 MB on this machine")
        // 50 × 8 MB = 400 MB held at once, more than the 256 MB the pool once kept.
        XCTAssertLessThan(try lastRoundFaults(count: 50, floats: 2 << 20), 200)
    }
}
