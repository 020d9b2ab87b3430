import XCTest
@testable import Pruning
@testable import Tensor

/// Calibration's stacking of per-batch maps: equal to the concatenation in every case —
/// all batches as expected, fewer (a short last batch, a source that stops early), a later
/// batch larger than the first, another trailing shape — and nil when nothing came.
final class StackedBatchesTests: XCTestCase {
    func batch(_ rows: Int, _ shape: [Int] = [3, 2], from start: Int) throws -> Tensor {
        let n = rows * shape.reduce(1, *)
        return try Tensor(shape: [rows] + shape, values: (0..<n).map { Float(start + $0) })
    }

    func check(_ batches: [Tensor], expected: Int, _ what: String) throws {
        var s = StackedBatches(expected: expected)
        for b in batches { try s.append(b) }
        let got = try XCTUnwrap(try s.result(), what)
        let want = try Tensor.cat(batches, 0)
        XCTAssertEqual(got.shape, want.shape, what)
        XCTAssertEqual(try got.contiguous().toFloats(), want.toFloats(), what)
    }

    func testEqualsConcatenation() throws {
        try check([batch(4, from: 0), batch(4, from: 100), batch(4, from: 200)], expected: 3, "as expected")
        try check([batch(4, from: 0), batch(4, from: 100), batch(2, from: 200)], expected: 3, "short last batch")
        try check([batch(4, from: 0), batch(4, from: 100)], expected: 5, "fewer batches than expected")
        try check([batch(2, from: 0), batch(4, from: 100), batch(1, from: 200)], expected: 3, "a larger later batch")
        try check([batch(2, from: 0), batch(2, from: 100), batch(2, from: 200)], expected: 2, "more batches than expected")
        try check([batch(1, from: 0)], expected: 1, "one batch")
        try check([batch(1, from: 0), batch(3, from: 10)], expected: 1, "more than the one expected")
        // a lone expected batch is returned as it is, not copied
        var one = StackedBatches(expected: 1)
        let b = try batch(2, from: 0)
        try one.append(b)
        XCTAssertTrue(try XCTUnwrap(try one.result()).storage === b.storage)
        XCTAssertNil(try StackedBatches(expected: 3).result())
        var s = StackedBatches(expected: 2)
        try s.append(try batch(2, from: 0))
        XCTAssertThrowsError(try { try s.append(try self.batch(2, [2, 3], from: 9)); _ = try s.result() }(),
                             "another trailing shape: the concatenation's error")
    }
}
