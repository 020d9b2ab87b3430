import XCTest
@testable import Kernels
@testable import Tensor

/// `Pooling.maxForward2x2` (2×2 windows, stride 2, no padding) against hand-computed windows
/// and against the general window loop bit for bit: maxima, indices, ties, ±0, ±∞ and NaN
/// (a NaN leads and ends its row), even and odd planes, 1 and 2 threads.
final class PoolingMax2x2Tests: XCTestCase {
    func pool(_ x: [Float], planes: Int, h: Int, w: Int, fast: Bool, ceil: Bool = false) throws -> ([UInt32], [Int32]) {
        let before = Pooling.fastMax2x2
        defer { Pooling.fastMax2x2 = before }
        Pooling.fastMax2x2 = fast
        let g = try PoolGeometry(planes: planes, height: h, width: w, kernel: (2, 2), stride: (2, 2), padding: (0, 0),
                                 ceilMode: ceil, op: "test")
        var y = [Float](repeating: 7, count: planes * g.outHeight * g.outWidth)
        var index = [Int32](repeating: -5, count: y.count)
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                index.withUnsafeMutableBufferPointer { ip in
                    Pooling.maxForward(g, x: xp.baseAddress!, y: yp.baseAddress!, index: ip.baseAddress!)
                }
            }
        }
        return (y.map(\.bitPattern), index)
    }

    func testHandComputedWindows() throws {
        let nan = Float.nan, inf = Float.infinity
        // one 4×6 plane: six windows, each row of windows two rows of the plane
        let x: [Float] = [
            nan, nan, 1, nan, 3, 3,
            7, 1, nan, nan, 3, 3,
            -inf, -inf, -0.0, 0, 1, 4,
            -inf, -inf, 2, 2, 9, nan,
        ]
        XCTAssertTrue(Pooling.isMax2x2(try PoolGeometry(planes: 1, height: 4, width: 6, kernel: (2, 2), stride: (2, 2),
                                                         padding: (0, 0), op: "test")))
        let (y, index) = try pool(x, planes: 1, h: 4, w: 6, fast: true)
        let values = y.map { Float(bitPattern: $0) }
        // a NaN first: it leads and ends its row (the NaN b is not looked at), 7 does not beat it
        XCTAssertTrue(values[0].isNaN); XCTAssertEqual(index[0], 0)
        // 1, then the NaN b leads, the NaN c takes over and ends its row (the NaN d unread)
        XCTAssertTrue(values[1].isNaN); XCTAssertEqual(index[1], 6 + 2)
        // ties: the first of four 3s
        XCTAssertEqual(values[2], 3); XCTAssertEqual(index[2], 4)
        // all −∞: the first
        XCTAssertEqual(values[3], -inf); XCTAssertEqual(index[3], 12)
        // −0, 0, 2, 2: 0 does not beat −0, the first 2 wins
        XCTAssertEqual(values[4], 2); XCTAssertEqual(index[4], 18 + 2)
        // 1, 4, 9, NaN: the NaN d leads
        XCTAssertTrue(values[5].isNaN); XCTAssertEqual(index[5], 18 + 5)
        XCTAssertEqual(try pool(x, planes: 1, h: 4, w: 6, fast: false).0, y)
        XCTAssertEqual(try pool(x, planes: 1, h: 4, w: 6, fast: false).1, index)
    }

    func testEqualsTheGeneralLoop() throws {
        let threadsBefore = Parallel.threads
        defer { Parallel.threads = threadsBefore }
        Random.manualSeed(12)
        let specials: [Float] = [.nan, .infinity, -.infinity, 0, -0.0, 1, 1]
        for threads in [1, 2] {
            Parallel.threads = threads
            for (planes, h, w) in [(3, 8, 8), (2, 7, 9), (5, 2, 2), (64, 32, 32), (4, 5, 4), (1, 3, 3)] {
                var x = try Tensor.randn([planes * h * w]).toFloats().map { ($0 * 4).rounded() / 4 }   // many ties
                for i in stride(from: 0, to: x.count, by: 13) { x[i] = specials[(i / 13) % specials.count] }
                let what = "\(planes)×\(h)×\(w), \(threads) threads"
                let fast = try pool(x, planes: planes, h: h, w: w, fast: true)
                let general = try pool(x, planes: planes, h: h, w: w, fast: false)
                XCTAssertEqual(fast.0, general.0, what)
                XCTAssertEqual(fast.1, general.1, what)
                XCTAssertFalse(fast.1.contains(-5), "\(what): an index was not written")
            }
        }
        // ceil_mode on an odd plane has a window over the edge: the general loop runs it
        let g = try PoolGeometry(planes: 1, height: 5, width: 5, kernel: (2, 2), stride: (2, 2), padding: (0, 0),
                                 ceilMode: true, op: "test")
        XCTAssertFalse(Pooling.isMax2x2(g))
        let x = (0..<25).map { Float($0 % 7) }
        XCTAssertEqual(try pool(x, planes: 1, h: 5, w: 5, fast: true, ceil: true).1,
                       try pool(x, planes: 1, h: 5, w: 5, fast: false, ceil: true).1)
    }
}
