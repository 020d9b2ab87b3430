import XCTest
@testable import Tensor

final class ReductionTests: XCTestCase {
    let a = try! Tensor(shape: [2, 3], values: [1, 5, 3, 4, 2, 6])

    func testSumMeanOverDims() throws {
        XCTAssertEqual(try a.sum().toFloats(), [21])
        XCTAssertEqual(try a.sum([0]).toFloats(), [5, 7, 9])
        XCTAssertEqual(try a.sum([1], keepdim: true).shape, [2, 1])
        XCTAssertEqual(try a.mean([1]).toFloats(), [3, 4])
    }

    func testMaxIndicesFirstOccurrenceAndNaN() throws {
        let (v, i) = try a.maxAlong(1)
        XCTAssertEqual(v.toFloats(), [5, 6])
        XCTAssertEqual(i.toArray(), [1, 2])            // 0-based in Swift
        let t = try Tensor(shape: [4], values: [1, .nan, 7, 7])
        XCTAssertTrue(try t.extreme(min: false).isNaN)
        let u = try Tensor(shape: [3], values: [7, 2, 7])
        XCTAssertEqual(try u.maxAlong(0).1.toArray(), [0])
    }

    func testVarianceUnbiasedAndNorms() throws {
        // row 0: 1,5,3 mean 3 -> squared deviations 4,4,0 -> 8/2 = 4 (unbiased), 8/3 biased
        XCTAssertEqual(try a.variance([1]).toFloats()[0], 4, accuracy: 1e-6)
        XCTAssertEqual(try a.variance([1], unbiased: false).toFloats()[0], 8.0 / 3, accuracy: 1e-6)
        XCTAssertEqual(try a.norm(1, [1]).toFloats(), [9, 12])
        XCTAssertEqual(try a.norm(2).toFloats()[0], Float((1 + 25 + 9 + 16 + 4 + 36 as Double).squareRoot()), accuracy: 1e-5)
        XCTAssertEqual(try a.norm(.infinity, [0]).toFloats(), [4, 5, 6])
    }

    func testLogSumExpIsStable() throws {
        let t = try Tensor(shape: [2], values: [1000, 1000])
        XCTAssertEqual(try t.logsumexp().toFloats()[0], 1000 + Float(log(2.0)), accuracy: 1e-3)
    }
}
