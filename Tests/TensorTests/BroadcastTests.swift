import XCTest
@testable import Tensor

final class BroadcastTests: XCTestCase {
    func testBroadcastShapes() throws {
        XCTAssertEqual(try broadcastShapes([3, 1], [1, 4], "add"), [3, 4])
        XCTAssertEqual(try broadcastShapes([2, 3, 4], [4], "add"), [2, 3, 4])
        XCTAssertThrowsError(try broadcastShapes([3, 4], [5], "add")) { e in
            XCTAssertEqual((e as? TensorError)?.message, "add: shapes [3, 4] and [5] cannot broadcast")
        }
    }

    func testAddBroadcastsRowAndColumn() throws {
        let col = try Tensor(shape: [3, 1], values: [1, 2, 3])
        let row = try Tensor(shape: [1, 2], values: [10, 20])
        let s = try col.add(row)
        XCTAssertEqual(s.shape, [3, 2])
        XCTAssertEqual(s.toFloats(), [11, 21, 12, 22, 13, 23])
    }

    func testNonContiguousInputs() throws {
        let a = try Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        let t = try a.transpose(0, 1)            // [[1,4],[2,5],[3,6]], strides [1, 3]
        XCTAssertFalse(t.isContiguous)
        XCTAssertEqual(try t.mul(t).toFloats(), [1, 16, 4, 25, 9, 36])
        XCTAssertEqual(try t.sum([0]).toFloats(), [6, 15])
        XCTAssertEqual(try t.unary(NegF.self).toFloats(), [-1, -4, -2, -5, -3, -6])
        let n = try a.narrow(1, 1, 2)             // [[2,3],[5,6]]
        XCTAssertEqual(try n.add(try Tensor(scalar: 1)).toFloats(), [3, 4, 6, 7])
    }

    func testViewsShareStorage() throws {
        let a = try Tensor.zeros([2, 3])
        try a.select(0, 1).fill(5)
        XCTAssertEqual(a.toFloats(), [0, 0, 0, 5, 5, 5])
        let v = try a.view([-1])
        v.ptr[0] = 9
        XCTAssertEqual(a.value(at: [0, 0]), 9)
    }

    func testLargeParallelElementwiseMatchesSerial() throws {
        Random.manualSeed(3)
        let x = try Tensor.randn([257, 1031])
        let y = try x.mul(x)
        let xs = x.toFloats(), ys = y.toFloats()
        for i in stride(from: 0, to: xs.count, by: 997) { XCTAssertEqual(ys[i], xs[i] * xs[i]) }
        // sum over a dim by hand
        let s = try x.sum([1]).toFloats()
        var r0 = 0.0
        for j in 0..<1031 { r0 += Double(xs[j]) }
        XCTAssertEqual(Double(s[0]), r0, accuracy: 1e-3)
    }
}
