import XCTest
@testable import Tensor

final class JoiningTests: XCTestCase {
    let a = try! Tensor(shape: [2, 2], values: [1, 2, 3, 4])
    let b = try! Tensor(shape: [2, 1], values: [5, 6])

    func testCatShapesAndValues() throws {
        let c = try Tensor.cat([a, b], 1)
        XCTAssertEqual(c.shape, [2, 3])
        XCTAssertEqual(c.toFloats(), [1, 2, 5, 3, 4, 6])
        let r = try Tensor.cat([a, a, try b.transpose(0, 1)], 0)   // the transpose is [1, 2]
        XCTAssertEqual(r.shape, [5, 2])
        XCTAssertEqual(r.toFloats(), [1, 2, 3, 4, 1, 2, 3, 4, 5, 6])
        XCTAssertEqual(try Tensor.cat([a, b], -1).shape, [2, 3])
        // 1-d empty tensors are skipped; mixed dtypes become float32
        let e = try Tensor.zeros([0])
        XCTAssertEqual(try Tensor.cat([e, a, e], 0).shape, [2, 2])
        let m = try Tensor.cat([a.toInt64(), a], 0)
        XCTAssertEqual(m.dtype, .float32)
        XCTAssertEqual(try Tensor.cat([a.toInt64(), a.toInt64()], 0).dtype, .int64)
    }

    func testCatErrors() throws {
        XCTAssertThrowsError(try Tensor.cat([a, b], 0)) { e in
            XCTAssertEqual((e as? TensorError)?.message, "cat: tensor 2 has shape [2, 1], expected [2, 2] outside dimension 1")
        }
        XCTAssertThrowsError(try Tensor.cat([], 0))
        XCTAssertThrowsError(try Tensor.cat([a], 2))
        XCTAssertThrowsError(try Tensor.cat([try Tensor(scalar: 1)], 0))
    }

    func testStackAddsADimension() throws {
        let s = try Tensor.stack([a, try a.transpose(0, 1)], 0)
        XCTAssertEqual(s.shape, [2, 2, 2])
        XCTAssertEqual(s.toFloats(), [1, 2, 3, 4, 1, 3, 2, 4])
        let last = try Tensor.stack([a, a], 2)
        XCTAssertEqual(last.shape, [2, 2, 2])
        XCTAssertEqual(last.toFloats(), [1, 1, 2, 2, 3, 3, 4, 4])
        XCTAssertEqual(try Tensor.stack([try Tensor(scalar: 1), try Tensor(scalar: 2)], 0).toFloats(), [1, 2])
        XCTAssertThrowsError(try Tensor.stack([a, b], 0))
        XCTAssertThrowsError(try Tensor.stack([a, a], 3))
    }

    func testFullLikeKeepsShapeAndDtype() throws {
        let i = try a.toInt64().fullLike(7)
        XCTAssertEqual(i.dtype, .int64)
        XCTAssertEqual(i.toArray(), [7, 7, 7, 7])
        XCTAssertEqual(try a.transpose(0, 1).fullLike(0).shape, [2, 2])
    }
}
