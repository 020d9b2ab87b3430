import XCTest
@testable import Kernels
@testable import Tensor

/// The prefetch walk (`PrefetchStream`): every line of every run once, in order, within
/// the promised number of steps; nothing when switched off. The kernels that use it give
/// the same bits with it on and off (a prefetch only moves data between cache levels).
final class PrefetchStreamTests: XCTestCase {
    let base = UnsafeRawPointer(bitPattern: 1 << 20)!

    func lines(_ s: inout PrefetchStream) -> [Int] {
        var out: [Int] = []
        while let p = s.next() { out.append(Int(p) - Int(bitPattern: base)) }
        return out
    }

    func testContiguousRun() {
        var s = PrefetchStream(base, bytes: 1000, steps: 5)
        XCTAssertEqual(s.linesPerStep, 4)   // 16 lines over 5 steps
        XCTAssertEqual(lines(&s), (0..<16).map { $0 * 64 })
        XCTAssertNil(s.next())
    }

    func testStridedRuns() {
        var s = PrefetchStream(base, bytes: 256, runs: 3, runStride: 4096, steps: 2)
        XCTAssertEqual(lines(&s), [0, 64, 128, 192, 4096, 4160, 4224, 4288, 8192, 8256, 8320, 8384])
        XCTAssertEqual(s.linesPerStep, 6)
        // runs going down in memory
        var down = PrefetchStream(base, bytes: 128, runs: 3, runStride: -4096, steps: 6)
        XCTAssertEqual(lines(&down), [0, 64, -4096, -4032, -8192, -8128])
    }

    /// `steps` calls of `step()` issue every line, for awkward sizes and step counts.
    func testStepsCoverEverything() {
        for (bytes, runs, steps) in [(1, 1, 1), (64, 1, 7), (65, 2, 3), (4000, 5, 11), (256, 16, 64), (100, 3, 1000)] {
            var s = PrefetchStream(base, bytes: bytes, runs: runs, runStride: 1 << 16, steps: steps)
            let total = runs * ((bytes + 63) / 64)
            XCTAssertGreaterThanOrEqual(s.linesPerStep * steps, total, "\(bytes) \(runs) \(steps)")
            var walked = s
            XCTAssertEqual(lines(&walked).count, total)
            for _ in 0..<steps { s.step() }
            XCTAssertNil(s.next(), "\(bytes) bytes × \(runs) runs not covered in \(steps) steps")
        }
    }

    func testNoneAndSwitchedOff() {
        var none = PrefetchStream.none
        XCTAssertNil(none.next())
        let on = Conv2dKernel.prefetchEnabled
        defer { Conv2dKernel.prefetchEnabled = on }
        Conv2dKernel.prefetchEnabled = false
        var off = PrefetchStream(base, bytes: 4096, runs: 4, runStride: 8192, steps: 3)
        XCTAssertNil(off.next())
    }

    /// The direct forward, dw and Winograd's forward give the same bits with and without
    /// the prefetches (batch 3: each part prefetches a next image).
    func testKernelsUnchanged() throws {
        let on = Conv2dKernel.prefetchEnabled
        defer { Conv2dKernel.prefetchEnabled = on }
        var rng = Xoshiro256(seed: 9)
        for (c, k, hw) in [(16, 8, 32), (5, 11, 9), (64, 64, 8)] {
            let g = try ConvGeometry(batch: 3, inChannels: c, height: hw, width: hw, outChannels: k,
                                     kernel: (3, 3), padding: (1, 1))
            let x = (0..<(3 * c * hw * hw)).map { _ in Float(rng.nextDouble() - 0.5) }
            let w = (0..<(k * c * 9)).map { _ in Float(rng.nextDouble() - 0.5) }
            let dy = (0..<(3 * k * g.outPlane)).map { _ in Float(rng.nextDouble() - 0.5) }
            func run() throws -> [[Float]] {
                var y = [Float](repeating: 0, count: 3 * k * g.outPlane), dw = [Float](repeating: 0, count: k * c * 9)
                try Conv2dKernel.forwardDirect(g, x: x, weight: w, epilogue: ConvEpilogue(), y: &y)
                try Conv2dKernel.weightGradientDirect(g, x: x, dy: dy, dw: &dw)
                var yw = [Float](repeating: 0, count: 3 * k * g.outPlane)
                try Conv2dKernel.forwardWinograd(g, x: x, weight: w, epilogue: ConvEpilogue(), y: &yw)
                return [y, dw, yw]
            }
            Conv2dKernel.prefetchEnabled = false
            let plain = try run()
            Conv2dKernel.prefetchEnabled = true
            let fetched = try run()
            for (a, b) in zip(plain, fetched) {
                XCTAssertEqual(a.map(\.bitPattern), b.map(\.bitPattern), "\(c)→\(k) at \(hw)×\(hw)")
            }
        }
    }
}
