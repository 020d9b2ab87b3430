import XCTest
@testable import Kernels

/// The kernels' free scratch buffers: many small ones do not push the big ones out (a
/// two-thread call's per-thread buffers once made a one-thread call's 9 MB Winograd
/// buffers come fresh from the kernel at every call), and the byte limit releases the
/// largest.
final class ScratchPoolTests: XCTestCase {
    override func tearDown() { Scratch.useOldPoolLimits(false) }

    /// Lends `small` small buffers and one of `big` floats all at once and takes them back:
    /// whether the big one is among the pool's free buffers.
    func bigIsReused(small: Int, big: Int) -> Bool {
        var first: UnsafeMutablePointer<Float>?
        func nest(_ k: Int) {
            if k == small {
                Scratch.with(big) { p in first = p }
                return
            }
            Scratch.with(16 + k) { _ in nest(k + 1) }
        }
        nest(0)
        return ScratchPool.lock.withLock { ScratchPool.free.contains { $0.0 == first } }
    }

    func testManySmallBuffersKeepTheBigOne() throws {
        #if TOPIARY_ASAN
        throw XCTSkip("AddressSanitizer builds keep no free buffers")
        #endif
        let big = 9 << 18   // 9 MB of floats
        XCTAssertTrue(bigIsReused(small: 12, big: big), "12 small buffers and a big one: the big one is kept")
        // the old limits released the largest past 8 buffers: the test fails with them
        Scratch.useOldPoolLimits(true)
        XCTAssertFalse(bigIsReused(small: 12, big: big))
        Scratch.useOldPoolLimits(false)
        XCTAssertTrue(bigIsReused(small: 12, big: big))
    }

    func testByteLimitReleasesTheLargest() throws {
        #if TOPIARY_ASAN
        throw XCTSkip("AddressSanitizer builds keep no free buffers")
        #endif
        // two buffers over the byte limit together: the larger is released, the smaller kept
        let limit = ScratchPool.maxBytes / 4
        var a: UnsafeMutablePointer<Float>?, b: UnsafeMutablePointer<Float>?
        Scratch.with(limit / 2 + 1024) { p in a = p; Scratch.with(limit / 2 + 4096) { q in b = q } }
        var a2: UnsafeMutablePointer<Float>?
        Scratch.with(limit / 2 + 1024) { p in a2 = p }
        XCTAssertEqual(a, a2, "the smaller buffer stays")
        XCTAssertNotNil(b)
        let held = ScratchPool.lock.withLock { ScratchPool.free.reduce(0) { $0 + $1.1 * 4 } }
        XCTAssertLessThanOrEqual(held, ScratchPool.maxBytes)
    }
}
