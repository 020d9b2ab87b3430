import Foundation
import XCTest
@testable import Tensor

/// Reductions over leading, middle and scattered dims (the tile layout) against sums
/// written out by hand, on contiguous and non-contiguous inputs.
final class ReductionLayoutTests: XCTestCase {
    // x[i][j][k] = 100i + 10j + k, shape [2, 3, 4]
    let x: Tensor = {
        var v: [Float] = []
        for i in 0..<2 { for j in 0..<3 { for k in 0..<4 { v.append(Float(100 * i + 10 * j + k)) } } }
        return try! Tensor(shape: [2, 3, 4], values: v)
    }()

    func testSumOverLeadingMiddleAndScatteredDims() throws {
        // over i: 100 + 20j + 2k
        XCTAssertEqual(try x.sum([0]).toFloats(), [100, 102, 104, 106, 120, 122, 124, 126, 140, 142, 144, 146])
        // over j: 300i + 30 + 3k
        XCTAssertEqual(try x.sum([1]).toFloats(), [30, 33, 36, 39, 330, 333, 336, 339])
        // over i and k: sum_i sum_k = 2*4*... = 400 + 80j + 12  (i: 0+100 per k => 4*100; k: 0+1+2+3 = 6, twice)
        XCTAssertEqual(try x.sum([0, 2]).toFloats(), [412, 492, 572])
        XCTAssertEqual(try x.sum([0, 1], keepdim: true).shape, [1, 1, 4])
        XCTAssertEqual(try x.sum([0, 1]).toFloats(), [360, 366, 372, 378])
        XCTAssertEqual(try x.mean([1]).toFloats(), [10, 11, 12, 13, 110, 111, 112, 113])
    }

    func testSegmentedRowsLikeBatchNormStatistics() throws {
        // over i and k (kept j in the middle): 8 values 100i + 10j + k per j
        XCTAssertEqual(try x.mean([0, 2]).toFloats(), [51.5, 61.5, 71.5])
        // deviations ±50 + (k − 1.5): Σ = 4·5000 + 2·(2.25 + 0.25 + 0.25 + 2.25) = 20010
        XCTAssertEqual(try x.variance([0, 2], unbiased: false).toFloats(), [2501.25, 2501.25, 2501.25])
        XCTAssertEqual(try x.variance([0, 2]).toFloats()[1], 20010.0 / 7, accuracy: 1e-3)
        XCTAssertEqual(try x.norm(.infinity, [0, 2]).toFloats(), [103, 113, 123])
        XCTAssertEqual(try x.sum([0, 2], keepdim: true).shape, [1, 3, 1])
        // a trailing kept dim of size 1 does not break the runs
        let y = try x.reshape([2, 3, 4, 1])
        XCTAssertEqual(try y.sum([2]).toFloats(), try x.sum([2]).toFloats())
        XCTAssertEqual(try y.sum([0, 2]).toFloats(), [412, 492, 572])
    }

    func testNonContiguousInputs() throws {
        let p = try x.permute([2, 0, 1])                 // [4, 2, 3]: p[k][i][j]
        XCTAssertFalse(p.isContiguous)
        XCTAssertEqual(try p.sum([0]).toFloats(), [6, 46, 86, 406, 446, 486])   // 4(100i + 10j) + 6
        XCTAssertEqual(try p.sum([1]).toFloats(), [100, 120, 140, 102, 122, 142, 104, 124, 144, 106, 126, 146])
        let n = try x.narrow(2, 1, 2)                    // k in {1, 2}
        XCTAssertEqual(try n.sum([1]).toFloats(), [33, 36, 333, 336])
        let e = try Tensor(shape: [3], values: [1, 2, 3]).reshape([3, 1]).expand([3, 5])
        XCTAssertEqual(try e.sum([0]).toFloats(), [6, 6, 6, 6, 6])
    }

    func testMaxMinAlongMiddleDimWithTiesAndNaN() throws {
        var v: [Float] = [1, 5, 5, 2,  3, 5, 4, 2,  3, 0, .nan, 2]   // [1, 3, 4]
        let t = try Tensor(shape: [1, 3, 4], values: v)
        let (mx, ix) = try t.maxAlong(1)
        XCTAssertEqual(Array(mx.toFloats()[0..<2]), [3, 5])
        XCTAssertTrue(mx.toFloats()[2].isNaN)
        XCTAssertEqual(mx.toFloats()[3], 2)
        XCTAssertEqual(ix.toArray(), [1, 0, 2, 0])        // first occurrence; NaN wins
        let (mn, imn) = try t.maxAlong(1, min: true)
        XCTAssertEqual(Array(mn.toFloats()[0..<2]), [1, 0])
        XCTAssertEqual(imn.toArray(), [0, 2, 2, 0])
        v[10] = 9
        XCTAssertEqual(try Tensor(shape: [1, 3, 4], values: v).maxAlong(1, keepdim: true).0.shape, [1, 1, 4])
    }

    func testVarianceStdAndNormsOverLeadingDim() throws {
        let a = try Tensor(shape: [3, 2], values: [1, 10, 2, 20, 6, 60])
        // column 0: 1, 2, 6 -> mean 3, squared deviations 4 + 1 + 9 = 14
        XCTAssertEqual(try a.variance([0]).toFloats(), [7, 700])
        XCTAssertEqual(try a.variance([0], unbiased: false).toFloats()[0], 14.0 / 3, accuracy: 1e-6)
        XCTAssertEqual(try a.std([0]).toFloats()[0], Float(7).squareRoot(), accuracy: 1e-6)
        XCTAssertEqual(try a.norm(1, [0]).toFloats(), [9, 90])
        XCTAssertEqual(try a.norm(2, [0]).toFloats()[0], Float(41).squareRoot(), accuracy: 1e-6)
        XCTAssertEqual(try a.norm(.infinity, [0]).toFloats(), [6, 60])
        XCTAssertEqual(try a.norm(3, [0]).toFloats()[0], Float(pow(225.0, 1.0 / 3)), accuracy: 1e-5)   // 1 + 8 + 216
    }

    func testCumsumAlongEveryDim() throws {
        let a = try Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(try a.cumsum(0).toFloats(), [1, 2, 3, 5, 7, 9])
        XCTAssertEqual(try a.cumsum(1).toFloats(), [1, 3, 6, 4, 9, 15])
        XCTAssertEqual(try a.transpose(0, 1).cumsum(1).toFloats(), [1, 5, 2, 7, 3, 9])
    }

    func testLargeTiledSumMatchesDoubleReference() throws {
        Random.manualSeed(7)
        let t = try Tensor.randn([100, 7, 2500])          // 17500 outputs: 2 tiles of 8192 and a tail
        let s = try t.sum([0]).toFloats(), v = t.toFloats()
        for (j, k) in [(0, 0), (3, 1200), (6, 2499)] {
            var r = 0.0
            for i in 0..<100 { r += Double(v[(i * 7 + j) * 2500 + k]) }
            XCTAssertEqual(Double(s[j * 2500 + k]), r, accuracy: 1e-4)
        }
        let (m, i) = try t.maxAlong(0)
        for o in [5, 17499] {
            var best = -Float.infinity, bi = 0
            for r in 0..<100 where v[r * 17500 + o] > best { best = v[r * 17500 + o]; bi = r }
            XCTAssertEqual(m.toFloats()[o], best)
            XCTAssertEqual(i.toArray()[o], Double(bi))
        }
        // same numbers whatever the thread count
        let before = Parallel.threads
        Parallel.threads = 1
        let s1 = try t.sum([0]).toFloats(), v1 = try t.variance([1]).toFloats()
        Parallel.threads = 2
        XCTAssertEqual(try t.sum([0]).toFloats(), s1)
        XCTAssertEqual(try t.variance([1]).toFloats(), v1)
        Parallel.threads = before
    }

    func testRowArgExtremeMatchesAScalarScanAtEveryLength() {
        // Small integers make ties common; NaNs appear in some rows.
        var rng = SystemRandomNumberGenerator()
        for m in 1...40 {
            for trial in 0..<20 {
                var v = (0..<m).map { _ in Float(Int.random(in: 0..<5, using: &rng)) }
                if trial % 5 == 0 { v[Int.random(in: 0..<m, using: &rng)] = .nan }
                for min in [false, true] {
                    var b = v[0], bi = 0
                    for k in 0..<m {
                        if v[k].isNaN { b = v[k]; bi = k; break }
                        if k > 0 && (min ? v[k] < b : v[k] > b) { b = v[k]; bi = k }
                    }
                    let (got, gi) = v.withUnsafeBufferPointer { rowArgExtreme($0.baseAddress!, m, min: min) }
                    XCTAssertEqual(gi, bi, "m \(m) min \(min) \(v)")
                    XCTAssertTrue(got == b || (got.isNaN && b.isNaN))
                }
            }
        }
    }

    func testEmptyReductions() throws {
        let e = try Tensor.zeros([0, 3])
        XCTAssertEqual(try e.sum([0]).toFloats(), [0, 0, 0])
        XCTAssertTrue(try e.mean([0]).toFloats()[0].isNaN)
        XCTAssertEqual(try e.sum([1]).shape, [0])
        XCTAssertThrowsError(try e.maxAlong(0))
        XCTAssertEqual(try e.norm(.infinity).toFloats(), [0])
    }
}
