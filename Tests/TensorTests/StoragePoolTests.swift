import XCTest
#if canImport(Glibc)
import Glibc
#endif
@testable import Tensor

/// A loop that frees its tensors and asks for the same sizes again (a training step's
/// activations) gets its memory back without faulting in fresh pages: big buffers from
/// the pool, smaller ones from a heap the C allocator does not trim.
final class StoragePoolTests: XCTestCase {
    /// Minor page faults of this process so far.
    func faults() -> Int {
        var u = rusage()
        getrusage(RUSAGE_SELF.rawValue, &u)
        return u.ru_minflt
    }

    /// Faults taken by the last of three rounds that each hold `count` tensors of
    /// `floats` elements at once, written through, then free them all (the first rounds
    /// settle the heap among whatever the other tests left in it).
    func lastRoundFaults(count: Int, floats: Int) throws -> Int {
        var before = 0
        for round in 0..<3 {
            if round == 2 { before = faults() }
            var held: [Tensor] = []
            for _ in 0..<count {
                let t = try Tensor(uninitialized: [floats])
                t.fill(1)
                held.append(t)
            }
            held.removeAll()
        }
        return faults() - before
    }

    func testSmallBuffersAreNotTrimmedBetweenRounds() throws {
        #if TOPIARY_ASAN
        throw XCTSkip("AddressSanitizer builds leave the C allocator as it is")
        #endif
        // 48 × 2 MB through malloc: untrimmed, a round reuses the heap's pages; trimmed
        // (or mapped and unmapped per buffer), it faults in 48 × 512 fresh 4 KB pages.
        XCTAssertLessThan(try lastRoundFaults(count: 48, floats: 1 << 19), 48 * 512 / 4)
    }

    func testBigBuffersOverTheOldPoolSizeAreReused() throws {
        #if TOPIARY_ASAN
        throw XCTSkip("AddressSanitizer builds do not pool")
        #endif
        try XCTSkipIf(Storage.poolBytes < 512 << 20, "a pool under 512 MB on this machine")
        // 50 × 8 MB = 400 MB held at once, more than the 256 MB the pool once kept.
        XCTAssertLessThan(try lastRoundFaults(count: 50, floats: 2 << 20), 200)
    }
}
