import XCTest
@testable import Tensor

final class SortingTests: XCTestCase {
    // Rows: ties (1, 1) and (5, 5) and a NaN.
    let x = try! Tensor(shape: [2, 4], values: [3, 1, 2, 1, .nan, 5, -1, 5])

    func testSortAscendingIsStableWithNaNLast() throws {
        let (v, i) = try x.sort(1)
        XCTAssertEqual(Array(v.toFloats()[0..<4]), [1, 1, 2, 3])
        XCTAssertEqual(Array(v.toFloats()[4..<7]), [-1, 5, 5])
        XCTAssertTrue(v.toFloats()[7].isNaN)
        XCTAssertEqual(i.dtype, .int64)
        XCTAssertEqual(i.toArray(), [1, 3, 2, 0, 2, 1, 3, 0])   // ties keep position order
    }

    func testSortDescendingPutsNaNFirstAndKeepsTieOrder() throws {
        let (v, i) = try x.sort(1, descending: true)
        XCTAssertEqual(Array(v.toFloats()[0..<4]), [3, 2, 1, 1])
        XCTAssertTrue(v.toFloats()[4].isNaN)
        XCTAssertEqual(i.toArray(), [0, 2, 1, 3, 0, 1, 3, 2])
    }

    func testTopkLargestSmallestAndAlongDim0() throws {
        let (v, i) = try x.topk(2, 1)
        XCTAssertEqual(v.shape, [2, 2])
        XCTAssertEqual(Array(v.toFloats()[0..<2]), [3, 2])
        XCTAssertEqual(i.toArray(), [0, 2, 0, 1])                 // NaN is the largest
        let (s, si) = try x.topk(3, 1, largest: false)
        XCTAssertEqual(s.toFloats(), [1, 1, 2, -1, 5, 5])
        XCTAssertEqual(si.toArray(), [1, 3, 2, 2, 1, 3])
        let (c, ci) = try Tensor(shape: [3, 2], values: [1, 9, 7, 2, 4, 8]).topk(1, 0)
        XCTAssertEqual(c.toFloats(), [7, 9])
        XCTAssertEqual(ci.toArray(), [1, 0])
        XCTAssertThrowsError(try x.topk(5, 1))
        XCTAssertThrowsError(try x.topk(-1, 1))
        XCTAssertEqual(try x.topk(0, 1).0.shape, [2, 0])
    }

    func testNonContiguousAndInt64Inputs() throws {
        let t = try Tensor(shape: [3, 2], values: [5, 0, 1, 4, 3, 2]).transpose(0, 1)   // [[5,1,3],[0,4,2]]
        XCTAssertFalse(t.isContiguous)
        let (v, i) = try t.sort(1)
        XCTAssertEqual(v.toFloats(), [1, 3, 5, 0, 2, 4])
        XCTAssertEqual(i.toArray(), [1, 2, 0, 0, 2, 1])
        let (cv, _) = try t.sort(0, descending: true)             // columns of the view
        XCTAssertEqual(cv.toFloats(), [5, 4, 3, 0, 1, 2])
        let big = Int64(1) << 60
        let n = try Tensor.int64(shape: [3], values: [big + 1, -2, big])
        let (nv, ni) = try n.sort(0)
        XCTAssertEqual(nv.dtype, .int64)
        XCTAssertEqual(Array(UnsafeBufferPointer(start: nv.iptr, count: 3)), [-2, big, big + 1])
        XCTAssertEqual(ni.toArray(), [1, 2, 0])
    }

    func testZeroDAndEmpty() throws {
        let (v, i) = try Tensor(scalar: 4).sort(0)
        XCTAssertEqual(v.toFloats(), [4])
        XCTAssertEqual(i.toArray(), [0])
        let e = try Tensor.zeros([0, 3])
        XCTAssertEqual(try e.sort(0).0.shape, [0, 3])
        XCTAssertEqual(try e.topk(0, 0).1.shape, [0, 3])
    }
}
