import XCTest
@testable import Tensor

/// diag, fill_diagonal, index_fill, scatter, argsort, mask indexing and spearman.
final class HelperTests: XCTestCase {
    let a = try! Tensor(shape: [3, 4], values: (0..<12).map(Float.init))   // rows 0-3, 4-7, 8-11

    func message(_ body: () throws -> Any) -> String? {
        do { _ = try body(); return nil } catch { return (error as? TensorError)?.message }
    }

    func testDiagBothWays() throws {
        let v = try Tensor(shape: [2], values: [5, 7])
        XCTAssertEqual(try v.diag().toFloats(), [5, 0, 0, 7])
        let up = try v.diag(1)
        XCTAssertEqual(up.shape, [3, 3])
        XCTAssertEqual(up.toFloats(), [0, 5, 0, 0, 0, 7, 0, 0, 0])
        XCTAssertEqual(try v.diag(-1).toFloats(), [0, 0, 0, 5, 0, 0, 0, 7, 0])
        XCTAssertEqual(try a.diag().toFloats(), [0, 5, 10])
        XCTAssertEqual(try a.diag(1).toFloats(), [1, 6, 11])
        XCTAssertEqual(try a.diag(-2).toFloats(), [8])
        XCTAssertEqual(try a.diag(4).shape, [0])
        XCTAssertEqual(try a.transpose(0, 1).diag(-1).toFloats(), [1, 6, 11], "strided input")
        let i = try Tensor.int64(shape: [2], values: [1 << 60, 3]).diag()
        XCTAssertEqual(i.dtype, .int64)
        XCTAssertEqual(i.int64Value(at: [0, 0]), 1 << 60)
        XCTAssertEqual(message { try Tensor(scalar: 1).diag() }, "diag: expected a 1-d or 2-d tensor, got shape []")
        XCTAssertNotNil(message { try v.diag(Int.max) })
    }

    func testFillDiagonalInPlace() throws {
        let m = try Tensor.zeros([2, 3])
        XCTAssertTrue(try m.fillDiagonal(try Tensor(scalar: 4)) === m)
        XCTAssertEqual(m.toFloats(), [4, 0, 0, 0, 4, 0])
        let cube = try Tensor.zeros([2, 2, 2])
        try cube.fillDiagonal(try Tensor(scalar: 1))
        XCTAssertEqual(cube.toFloats(), [1, 0, 0, 0, 0, 0, 0, 1])
        let view = try Tensor.zeros([3, 3]).narrow(1, 1, 2)   // a view writes through
        try view.fillDiagonal(try Tensor(int64: 9))
        XCTAssertEqual(view.toFloats(), [9, 0, 0, 9, 0, 0])
        XCTAssertEqual(message { try Tensor.zeros([2, 3, 2]).fillDiagonal(try Tensor(scalar: 1)) },
                       "fill_diagonal: expected a 2-d tensor or one whose dimensions are all equal, got shape [2, 3, 2]")
    }

    func testIndexFill() throws {
        let r = try a.indexFill(1, try Tensor.int64(shape: [2], values: [1, 3]), try Tensor(scalar: -1))
        XCTAssertEqual(r.toFloats(), [0, -1, 2, -1, 4, -1, 6, -1, 8, -1, 10, -1])
        XCTAssertEqual(a.toFloats()[1], 1, "out of place")
        let rows = try a.indexFill(0, try Tensor.int64(shape: [2], values: [3, 3]), try Tensor(scalar: 0), base: 1)
        XCTAssertEqual(rows.toFloats(), (0..<8).map(Float.init) + [0, 0, 0, 0])
        XCTAssertEqual(message { try a.indexFill(0, try Tensor.int64(shape: [1], values: [4]), try Tensor(scalar: 0), base: 1) },
                       "index_fill: index 4 out of range for a dimension of size 3 (indices are 1-based)")
        XCTAssertNotNil(message { try a.indexFill(2, try Tensor.int64(shape: [1], values: [0]), try Tensor(scalar: 0)) })
        XCTAssertNotNil(message { try a.indexFill(0, try Tensor.int64(shape: [1, 1], values: [0]), try Tensor(scalar: 0)) })
    }

    func testScatterLikeTorch() throws {
        // torch.zeros(3, 5).scatter(0, [[0, 1, 2, 0]], src) with src = arange(1, 11).view(2, 5)
        let src = try Tensor(shape: [2, 5], values: (1...10).map(Float.init))
        let idx = try Tensor.int64(shape: [1, 4], values: [0, 1, 2, 0])
        let r = try Tensor.zeros([3, 5]).scatter(0, idx, src)
        XCTAssertEqual(r.toFloats(), [1, 0, 0, 4, 0,
                                      0, 2, 0, 0, 0,
                                      0, 0, 3, 0, 0])
        // dim 1, two rows: [[0, 1, 2], [0, 1, 4]] with src rows 1..5, 6..10
        let i2 = try Tensor.int64(shape: [2, 3], values: [0, 1, 2, 0, 1, 4])
        XCTAssertEqual(try Tensor.zeros([3, 5]).scatter(1, i2, src).toFloats(),
                       [1, 2, 3, 0, 0, 6, 7, 0, 0, 8, 0, 0, 0, 0, 0])
        // a scalar source: one-hot rows, 1-based
        let hot = try Tensor.zeros([2, 3]).scatter(1, try Tensor.int64(shape: [2, 1], values: [3, 1]), try Tensor(scalar: 1), base: 1)
        XCTAssertEqual(hot.toFloats(), [0, 0, 1, 1, 0, 0])
        // int64 stays exact
        let big = try Tensor.zeros([2], dtype: .int64).scatter(0, try Tensor.int64(shape: [1], values: [1]), try Tensor(int64: 1 << 60))
        XCTAssertEqual(big.int64Value(at: [1]), 1 << 60)
        XCTAssertEqual(message { try Tensor.zeros([3, 5]).scatter(0, try Tensor.int64(shape: [1, 2], values: [0, 3]), src) },
                       "scatter: index 3 out of range for a dimension of size 3")
        XCTAssertEqual(message { try Tensor.zeros([3, 5]).scatter(0, try Tensor.int64(shape: [3, 1], values: [0, 0, 0]), src) },
                       "scatter: index shape [3, 1] exceeds source shape [2, 5] in dimension 1")
        XCTAssertNotNil(message { try Tensor.zeros([3, 5]).scatter(0, try Tensor.int64(shape: [2], values: [0, 0]), src) })
        XCTAssertNotNil(message { try Tensor.zeros([3, 5]).scatter(0, try Tensor.int64(shape: [1, 6], values: [0, 0, 0, 0, 0, 0]), src) })
    }

    func testArgsortIsStable() throws {
        let x = try Tensor(shape: [2, 4], values: [3, 1, 3, .nan, 2, 2, 1, 5])
        XCTAssertEqual(try x.argsort().toArray(), [1, 0, 2, 3, 2, 0, 1, 3])
        XCTAssertEqual(try x.argsort(1, descending: true).toArray(), [3, 0, 2, 1, 3, 0, 1, 2])
        XCTAssertEqual(try x.argsort(0).toArray(), [1, 0, 1, 1, 0, 1, 0, 0])
        XCTAssertEqual(try x.argsort().dtype, .int64)
    }

    func testMaskReadAndWrite() throws {
        let x = try Tensor(shape: [2, 3], values: [1, -2, 3, -4, 5, -6])
        let mask = try Tensor.binary(LtF.self, x, try Tensor(scalar: 0), "lt")
        XCTAssertEqual(try x.maskedValues(mask).toFloats(), [-2, -4, -6])
        try x.maskedAssign(mask, try Tensor(scalar: 0))
        XCTAssertEqual(x.toFloats(), [1, 0, 3, 0, 5, 0])
        try x.maskedAssign(mask, try Tensor(shape: [3], values: [7, 8, 9]))
        XCTAssertEqual(x.toFloats(), [1, 7, 3, 8, 5, 9])
        let col = try x.narrow(1, 1, 1)                    // a strided view writes through
        try col.maskedAssign(try Tensor(shape: [2, 1], values: [0, 1]), try Tensor(int64: 42))
        XCTAssertEqual(x.toFloats(), [1, 7, 3, 8, 42, 9])
        let v = try Tensor(shape: [4], values: [1, 2, 3, 4])    // values overlapping the target
        try v.maskedAssign(try Tensor(shape: [4], values: [0, 1, 1, 1]), v.narrow(0, 0, 3))
        XCTAssertEqual(v.toFloats(), [1, 1, 2, 3])
        XCTAssertEqual(message { try x.maskedAssign(try Tensor(shape: [3], values: [1, 0, 1]), try Tensor(scalar: 0)) },
                       "mask assignment: mask shape [3] does not match the tensor's shape [2, 3]")
        XCTAssertEqual(message { try x.maskedAssign(mask, try Tensor(shape: [2], values: [1, 2])) },
                       "mask assignment: the mask selects 3 elements but 2 values were given (shape [2])")
        XCTAssertEqual(message { try x.maskedValues(try Tensor(shape: [2, 3], values: [0, 2, 0, 0, 0, 0])) },
                       "mask indexing: a mask holds only 0 and 1 (as x:gt(0) returns), got 2.0 at element 2")
    }

    func testSpearmanMatchesScipy() throws {
        // scipy.stats.spearmanr values
        let r1 = try Tensor.spearman(try Tensor(shape: [4], values: [1, 2, 3, 4]), try Tensor(shape: [4], values: [10, 20, 20, 40]))
        XCTAssertEqual(r1, 0.9486832980505139, accuracy: 1e-12)
        let p = try Tensor(shape: [8], values: [3, 1, 4, 1, 5, 9, 2, 6]), q = try Tensor(shape: [8], values: [2, 7, 1, 8, 2, 8, 1, 8])
        XCTAssertEqual(p.averageRanks(), [4, 1.5, 5, 1.5, 6, 8, 3, 7])
        XCTAssertEqual(q.averageRanks(), [3.5, 5, 1.5, 7, 3.5, 7, 1.5, 7])
        XCTAssertEqual(try Tensor.spearman(p, q), 0.19885368120992467, accuracy: 1e-12)
        XCTAssertEqual(try Tensor.spearman(try Tensor(shape: [3], values: [1, 2, 3]), try Tensor(shape: [3], values: [3, 2, 1])), -1)
        XCTAssertTrue(try Tensor.spearman(try Tensor(shape: [2], values: [1, 1]), try Tensor(shape: [2], values: [1, 2])).isNaN)
        XCTAssertTrue(try Tensor.spearman(try Tensor(shape: [2], values: [.nan, 1]), try Tensor(shape: [2], values: [1, 2])).isNaN)
        XCTAssertEqual(message { try Tensor.spearman(try Tensor(shape: [2], values: [1, 2]), try Tensor(shape: [3], values: [1, 2, 3])) },
                       "spearman: the tensors have 2 and 3 elements, expected the same number")
        XCTAssertNotNil(message { try Tensor.spearman(a, a) })
    }

    /// zeroSlices: rows of one dimension set to 0 in place, every outer block; bad rows,
    /// dims and non-contiguous tensors are errors that change nothing.
    func testZeroSlicesInPlace() throws {
        let t = try Tensor(shape: [2, 3, 2], values: (1...12).map(Float.init))
        try t.zeroSlices(1, [0, 2])
        XCTAssertEqual(t.toFloats(), [0, 0, 3, 4, 0, 0, 0, 0, 9, 10, 0, 0])
        XCTAssertThrowsError(try t.zeroSlices(1, [3])) { XCTAssertTrue("\($0)".contains("out of range"), "\($0)") }
        XCTAssertThrowsError(try t.zeroSlices(3, [0]))
        XCTAssertThrowsError(try t.transpose(0, 1).zeroSlices(0, [0])) { XCTAssertTrue("\($0)".contains("contiguous"), "\($0)") }
        XCTAssertEqual(t.toFloats(), [0, 0, 3, 4, 0, 0, 0, 0, 9, 10, 0, 0])
    }

}
