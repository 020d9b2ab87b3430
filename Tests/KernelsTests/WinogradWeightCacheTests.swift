import XCTest
@testable import Kernels
@testable import Tensor

/// `WinogradWeightCache`: a kept transform is used only for bit-equal weights, so results
/// never differ from a fresh transform, whatever was written to the weights in between;
/// the limit holds; an entry in use is not shared. And `ParallelBatch.runChunks`, which
/// deals the Winograd forward's chunks out to the threads.
final class WinogradWeightCacheTests: XCTestCase, Conv3x3Checks {
    typealias Case = Conv3x3Case

    override func setUp() {
        WinogradWeightCache.clear()
    }

    /// y of the Winograd forward with the cache at `limit` bytes (0: every call transforms).
    func forward(_ g: ConvGeometry, _ x: [Float], _ w: UnsafePointer<Float>, limit: Int = 64 << 20) throws -> [Float] {
        let before = WinogradWeightCache.limitBytes
        defer { WinogradWeightCache.limitBytes = before }
        WinogradWeightCache.limitBytes = limit
        var y = [Float](repeating: .nan, count: g.batch * g.outChannels * g.outPlane)
        try Conv2dKernel.forwardWinograd(g, x: x, weight: w, epilogue: ConvEpilogue(), y: &y)
        return y
    }

    func counts() -> (hits: Int, misses: Int) { (WinogradWeightCache.hits, WinogradWeightCache.misses) }

    /// Sends every 3×3 stride-1 shape to the Winograd path (no direct kernel) until the test ends.
    func onWinograd() {
        let (before, direct) = (Conv2dKernel.winogradMinChannels, Conv2dKernel.directEnabled)
        addTeardownBlock { Conv2dKernel.winogradMinChannels = before; Conv2dKernel.directEnabled = direct }
        Conv2dKernel.winogradMinChannels = 1
        Conv2dKernel.directEnabled = false
    }

    /// A first call (miss) and a second (hit) give the bits of a call without the cache,
    /// with our products and with OpenBLAS's (U packed or not).
    func testKeptTransformGivesTheSameBits() throws {
        let own = Conv2dKernel.winogradOwnMaxChannels
        defer { Conv2dKernel.winogradOwnMaxChannels = own }
        for products in [64, 0] {
            Conv2dKernel.winogradOwnMaxChannels = products
            for (i, c) in [Case(n: 2, c: 16, k: 8, h: 12, w: 12, pad: 1), Case(n: 1, c: 11, k: 23, h: 9, w: 7, pad: 0)].enumerated() {
                let g = try geometry(c)
                let x = random(c.n * c.c * c.h * c.w, seed: UInt64(i)), w = random(c.k * c.c * 9, seed: 20 + UInt64(i))
                try w.withUnsafeBufferPointer { wp in
                    let fresh = try forward(g, x, wp.baseAddress!, limit: 0)
                    let before = counts()
                    let first = try forward(g, x, wp.baseAddress!), second = try forward(g, x, wp.baseAddress!)
                    XCTAssertEqual(counts().misses, before.misses + 1, "case \(i)")
                    XCTAssertEqual(counts().hits, before.hits + 1, "case \(i)")
                    XCTAssertEqual(first.map(\.bitPattern), fresh.map(\.bitPattern), "case \(i), products \(products)")
                    XCTAssertEqual(second.map(\.bitPattern), fresh.map(\.bitPattern), "case \(i), products \(products)")
                }
            }
        }
    }

    /// Weights written in place between calls (the last element, so the comparison must
    /// read to the end; then one bit of the first, -0 for +0) are transformed again.
    func testWeightsWrittenInPlaceAreNotStale() throws {
        let c = Case(n: 2, c: 8, k: 16, h: 10, w: 10, pad: 1), g = try geometry(c)
        let x = random(c.n * c.c * c.h * c.w, seed: 3)
        var w = random(c.k * c.c * 9, seed: 4)
        w[0] = 0
        let p = UnsafeMutablePointer<Float>.allocate(capacity: w.count)
        defer { p.deallocate() }
        p.initialize(from: w, count: w.count)
        _ = try forward(g, x, p)
        for edit in [{ p[w.count - 1] += 1 }, { p[0] = -0.0 }] {
            edit()
            let misses = counts().misses
            let cached = try forward(g, x, p), fresh = try forward(g, x, p, limit: 0)
            XCTAssertEqual(counts().misses, misses + 2)   // the cached call, then the uncached one
            XCTAssertEqual(cached.map(\.bitPattern), fresh.map(\.bitPattern))
        }
        let original = try w.withUnsafeBufferPointer { try forward(g, x, $0.baseAddress!, limit: 0) }
        XCTAssertNotEqual(try forward(g, x, p), original)
    }

    /// The entries never hold more than the limit; past it, an idle entry of the same shape
    /// is taken over; a transform larger than the limit runs in scratch.
    func testLimit() throws {
        let c = Case(n: 1, c: 16, k: 16, h: 8, w: 8, pad: 1), g = try geometry(c)
        let x = random(c.n * c.c * c.h * c.w, seed: 5)
        let entry = (9 * 16 * 16 + WinogradProducts.packedCount(outChannels: 16, inChannels: 16)) * 4
        let weights = (0..<4).map { random(16 * 16 * 9, seed: 30 + UInt64($0)) }
        for w in weights {
            try w.withUnsafeBufferPointer { wp in
                let y = try forward(g, x, wp.baseAddress!, limit: 2 * entry + 100)
                XCTAssertLessThanOrEqual(WinogradWeightCache.heldBytes, 2 * entry + 100)
                XCTAssertEqual(y, try forward(g, x, wp.baseAddress!, limit: 0))
            }
        }
        XCTAssertEqual(WinogradWeightCache.heldBytes, 2 * entry)
        WinogradWeightCache.clear()
        let misses = counts().misses
        _ = try weights[0].withUnsafeBufferPointer { try forward(g, x, $0.baseAddress!, limit: entry - 1) }
        XCTAssertEqual(WinogradWeightCache.heldBytes, 0)
        XCTAssertEqual(counts().misses, misses + 1)
    }

    /// A nested call for the same weights does not get the entry the outer call is using:
    /// it transforms into its own buffer, with the same values.
    func testEntryInUseIsNotShared() {
        let w = random(5 * 7 * 9, seed: 8)
        w.withUnsafeBufferPointer { wp in
            WinogradWeightCache.with(wp.baseAddress!, outChannels: 5, inChannels: 7, packed: true) { outer in
                WinogradWeightCache.with(wp.baseAddress!, outChannels: 5, inChannels: 7, packed: true) { inner in
                    XCTAssertNotEqual(outer, inner)
                    let n = WinogradProducts.packedCount(outChannels: 5, inChannels: 7)
                    XCTAssertTrue((0..<n).allSatisfy { outer[$0].bitPattern == inner[$0].bitPattern })
                }
            }
        }
    }

    /// ∂L/∂x runs as a Winograd forward of flipped weights made in scratch: kept under the
    /// layer's weights (a hit on the second call) with the bits of an uncached call.
    func testInputGradientKeptUnderTheLayersWeights() throws {
        onWinograd()
        let c = Case(n: 2, c: 11, k: 16, h: 9, w: 9, pad: 1), g = try geometry(c)
        let x = random(c.n * c.c * c.h * c.w, seed: 1), w = random(c.k * c.c * 9, seed: 2)
        let dy = random(c.n * c.k * g.outPlane, seed: 3)
        func dx(limit: Int) throws -> [Float] {
            let saved = WinogradWeightCache.limitBytes
            defer { WinogradWeightCache.limitBytes = saved }
            WinogradWeightCache.limitBytes = limit
            var dx = [Float](repeating: .nan, count: x.count)
            try Conv2dKernel.backward(g, x: x, weight: w, dy: dy, dx: &dx, dw: nil, db: nil)
            return dx
        }
        let fresh = try dx(limit: 0)
        _ = try dx(limit: 64 << 20)
        let hits = counts().hits
        XCTAssertEqual(try dx(limit: 64 << 20).map(\.bitPattern), fresh.map(\.bitPattern))
        XCTAssertEqual(counts().hits, hits + 1)
        XCTAssertLessThan(relError(fresh, inputGradientReference(g, dy, w)), WinogradTests.relTolerance)
    }

    /// The flipped weights of ∂L/∂x are made only on a miss: the entry is checked against the
    /// layer's weights and the BatchNorm scale folded into them, so writing either (in place,
    /// at the same addresses) is a miss whose result has the bits of an uncached call, and an
    /// unchanged pair is a hit.
    func testScaledInputGradientChecksWeightsAndScale() throws {
        onWinograd()
        let c = Case(n: 2, c: 12, k: 10, h: 8, w: 8, pad: 1), g = try geometry(c)
        let x = random(c.n * c.c * c.h * c.w, seed: 11), dy = random(c.n * c.k * g.outPlane, seed: 13)
        var w = random(c.k * c.c * 9, seed: 12), scale = random(c.k, seed: 14)
        func dx(limit: Int) throws -> [Float] {
            let saved = WinogradWeightCache.limitBytes
            defer { WinogradWeightCache.limitBytes = saved }
            WinogradWeightCache.limitBytes = limit
            var dx = [Float](repeating: .nan, count: x.count)
            try w.withUnsafeBufferPointer { wp in
                try scale.withUnsafeBufferPointer { sp in
                    try Conv2dKernel.backward(g, x: x, weight: wp.baseAddress!, dy: dy, dx: &dx, dw: nil, db: nil,
                                              dxAdding: nil, scaledBy: sp.baseAddress!)
                }
            }
            return dx
        }
        let fresh = try dx(limit: 0)
        _ = try dx(limit: 64 << 20)
        var (hits, misses) = counts()
        XCTAssertEqual(try dx(limit: 64 << 20).map(\.bitPattern), fresh.map(\.bitPattern))
        XCTAssertEqual(counts().hits, hits + 1, "unchanged weights and scale: a hit")
        for edit in 0..<2 {
            if edit == 0 { scale[3] *= -2 } else { w[w.count - 1] += 0.5 }
            let expected = try dx(limit: 0)
            XCTAssertNotEqual(expected.map(\.bitPattern), fresh.map(\.bitPattern))
            (hits, misses) = counts()
            XCTAssertEqual(try dx(limit: 64 << 20).map(\.bitPattern), expected.map(\.bitPattern), "edit \(edit)")
            XCTAssertEqual(counts().misses, misses + 1, "edit \(edit): a miss")
            XCTAssertEqual(counts().hits, hits, "edit \(edit)")
        }
    }

    /// Every item in exactly one chunk, chunk boundaries at multiples of `chunk`, dealt
    /// or in fixed shares, at 1–3 threads, and as one part (`TOPIARY_BATCH_SPLIT=0`).
    func testRunChunksCoversEveryItemOnce() throws {
        let (threads, deals, splits) = (Parallel.threads, ParallelBatch.dealsChunks, ParallelBatch.splitsBatch)
        defer { Parallel.threads = threads; ParallelBatch.dealsChunks = deals; ParallelBatch.splitsBatch = splits }
        for (t, split) in [(1, true), (2, true), (3, true), (2, false)] {
            Parallel.threads = t
            ParallelBatch.splitsBatch = split
            for dealt in [true, false] {
                ParallelBatch.dealsChunks = dealt
                for (items, chunk) in [(1, 1), (7, 2), (128, 32), (50, 7), (5, 9), (64, 1)] {
                    let seen = UnsafeMutablePointer<Int>.allocate(capacity: items)
                    defer { seen.deallocate() }
                    seen.initialize(repeating: 0, count: items)
                    try ParallelBatch.runChunks(items, chunk: chunk, op: "test") { next in
                        while let r = next() {
                            XCTAssertEqual(r.lowerBound % chunk, 0)
                            XCTAssertTrue(r.count == chunk || r.upperBound == items)
                            for i in r { seen[i] += 1 }
                        }
                    }
                    XCTAssertTrue((0..<items).allSatisfy { seen[$0] == 1 }, "threads \(t) dealt \(dealt) \(items)/\(chunk)")
                }
            }
        }
    }

    /// With our products each image's output does not depend on its chunk or thread: the
    /// same bits at 1, 2 and 3 threads, chunks dealt or in fixed shares.
    func testForwardBitsIndependentOfThreads() throws {
        let (threads, deals) = (Parallel.threads, ParallelBatch.dealsChunks)
        defer { Parallel.threads = threads; ParallelBatch.dealsChunks = deals }
        let c = Case(n: 9, c: 16, k: 11, h: 12, w: 12, pad: 1), g = try geometry(c)
        XCTAssertTrue(Conv2dKernel.ownWinogradProducts(g))
        let x = random(c.n * c.c * c.h * c.w, seed: 12), w = random(c.k * c.c * 9, seed: 13)
        Parallel.threads = 1
        let one = try w.withUnsafeBufferPointer { try forward(g, x, $0.baseAddress!) }
        for t in 2...3 {
            Parallel.threads = t
            for dealt in [true, false] {
                ParallelBatch.dealsChunks = dealt
                let y = try w.withUnsafeBufferPointer { try forward(g, x, $0.baseAddress!) }
                XCTAssertEqual(y.map(\.bitPattern), one.map(\.bitPattern), "threads \(t) dealt \(dealt)")
            }
        }
    }
}
