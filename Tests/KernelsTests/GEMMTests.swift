import XCTest
@testable import Kernels
@testable import Tensor

final class GEMMTests: XCTestCase {
    func testMatmulHandComputed() throws {
        let a = try Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        let b = try Tensor(shape: [3, 2], values: [7, 8, 9, 10, 11, 12])
        XCTAssertEqual(try a.matmul(b).toFloats(), [58, 64, 139, 154])
    }

    func testTransposedViewsGoToBLASWithoutCopy() throws {
        let a = try Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        let at = try a.transpose(0, 1)
        XCTAssertTrue(try! MatrixOperand(at).trans)
        XCTAssertEqual(try at.matmul(a).toFloats(), [17, 22, 27, 22, 29, 36, 27, 36, 45])
    }

    func testVectorAndBatchedRules() throws {
        let v = try Tensor(shape: [3], values: [1, 2, 3])
        XCTAssertEqual(try v.matmul(v).shape, [])
        XCTAssertEqual(try v.matmul(v).toFloats(), [14])
        let m = try Tensor(shape: [2, 3], values: [1, 0, 0, 0, 1, 0])
        XCTAssertEqual(try m.matmul(v).toFloats(), [1, 2])
        let batch = try Tensor.ones([4, 2, 3])
        let r = try batch.matmul(try Tensor.ones([3, 5]))
        XCTAssertEqual(r.shape, [4, 2, 5])
        XCTAssertEqual(r.toFloats().allSatisfy { $0 == 3 }, true)
        XCTAssertThrowsError(try m.matmul(m))
    }

    func testMatmulIntoAPreallocatedOutput() throws {
        let a = try Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        let b = try Tensor(shape: [3, 2], values: [7, 8, 9, 10, 11, 12])
        let c = try Tensor(shape: [2, 2], values: [-1, -1, -1, -1])
        try a.matmul(b, into: c)
        XCTAssertEqual(c.toFloats(), [58, 64, 139, 154])
        // An empty inner dimension gives zeros, overwriting what was there.
        try Tensor(zeros: [2, 0]).matmul(try Tensor(zeros: [0, 2]), into: c)
        XCTAssertEqual(c.toFloats(), [0, 0, 0, 0])
        XCTAssertThrowsError(try a.matmul(b, into: try Tensor(zeros: [2, 3]))) { e in
            XCTAssertEqual((e as? TensorError)?.message,
                           "matmul: output must be a contiguous float32 tensor of shape [2, 2], got float32 [2, 3]")
        }
        XCTAssertThrowsError(try a.matmul(b, into: try Tensor(zeros: [2, 2]).transpose(0, 1)))
    }
}
