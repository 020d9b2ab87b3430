import XCTest
@testable import Tensor

final class IndexingTests: XCTestCase {
    let a = try! Tensor(shape: [3, 4], values: (0..<12).map(Float.init))   // rows 0-3, 4-7, 8-11

    func testIndexSelectRowsAndColumns() throws {
        let r = try a.indexSelect(0, try Tensor.int64(shape: [3], values: [2, 0, 2]))
        XCTAssertEqual(r.shape, [3, 4])
        XCTAssertEqual(r.toFloats(), [8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11])
        let c = try a.indexSelect(1, try Tensor(shape: [2], values: [3, 1]))   // integral floats
        XCTAssertEqual(c.toFloats(), [3, 1, 7, 5, 11, 9])
        let one = try a.indexSelect(-1, try Tensor.int64(shape: [2], values: [1, 4]), base: 1)
        XCTAssertEqual(one.toFloats(), [0, 3, 4, 7, 8, 11])
        XCTAssertEqual(try a.indexSelect(0, try Tensor.int64(shape: [0], values: [])).shape, [0, 4])
    }

    func testIndexSelectNonContiguousAndInt64Data() throws {
        let t = try a.transpose(0, 1)                     // [4, 3]
        XCTAssertEqual(try t.indexSelect(0, try Tensor.int64(shape: [1], values: [1])).toFloats(), [1, 5, 9])
        let n = try a.toInt64().narrow(1, 1, 2)           // [[1,2],[5,6],[9,10]]
        let s = try n.indexSelect(0, try Tensor.int64(shape: [1], values: [2]))
        XCTAssertEqual(s.dtype, .int64)
        XCTAssertEqual(s.toArray(), [9, 10])
    }

    func testIndexErrorsNameTheOpAndValue() throws {
        XCTAssertThrowsError(try a.indexSelect(0, try Tensor.int64(shape: [1], values: [3]))) { e in
            XCTAssertEqual((e as? TensorError)?.message, "index_select: index 3 out of range for a dimension of size 3")
        }
        XCTAssertThrowsError(try a.indexSelect(0, try Tensor.int64(shape: [1], values: [0]), base: 1)) { e in
            XCTAssertTrue((e as? TensorError)?.message.contains("1-based") ?? false)
        }
        XCTAssertThrowsError(try a.indexSelect(0, try Tensor(shape: [1], values: [0.5])))
        XCTAssertThrowsError(try a.indexSelect(0, try Tensor(shape: [1], values: [.nan])))
        XCTAssertThrowsError(try a.indexSelect(0, try Tensor.int64(shape: [1, 1], values: [0])))
        XCTAssertThrowsError(try a.indexSelect(2, try Tensor.int64(shape: [1], values: [0])))
    }

    func testGatherAlongEachDim() throws {
        // torch.gather(a, 1, [[3, 0], [1, 1], [0, 2]]) -> [[3, 0], [5, 5], [8, 10]]
        let idx = try Tensor.int64(shape: [3, 2], values: [3, 0, 1, 1, 0, 2])
        XCTAssertEqual(try a.gather(1, idx).toFloats(), [3, 0, 5, 5, 8, 10])
        // dim 0: out[i][j] = a[idx[i][j]][j]
        let idx0 = try Tensor.int64(shape: [1, 4], values: [2, 1, 0, 2])
        XCTAssertEqual(try a.gather(0, idx0).toFloats(), [8, 5, 2, 11])
        // non-contiguous input: gather from the transpose
        let t = try a.transpose(0, 1)                     // t[i][j] = a[j][i]
        XCTAssertEqual(try t.gather(1, try Tensor.int64(shape: [2, 1], values: [2, 0])).toFloats(), [8, 1])
    }

    func testGatherChecksShapesAndRange() throws {
        XCTAssertThrowsError(try a.gather(1, try Tensor.int64(shape: [4, 1], values: [0, 0, 0, 0])))   // 4 > 3 rows
        XCTAssertThrowsError(try a.gather(1, try Tensor.int64(shape: [2], values: [0, 0])))           // rank
        XCTAssertThrowsError(try a.gather(1, try Tensor.int64(shape: [1, 1], values: [4]))) { e in
            XCTAssertEqual((e as? TensorError)?.message, "gather: index 4 out of range for a dimension of size 4")
        }
    }
}
