import XCTest
@testable import Tensor

/// Printed tensors against NumPy 2.4.6's `str(array)` with `np.set_printoptions(precision=4)`
/// on the same float32 / int64 values (outputs pasted from the anchors venv).
final class TensorFormatTests: XCTestCase {
    func floats(_ shape: [Int], _ v: [Float]) -> Tensor { try! Tensor(shape: shape, values: v) }

    func testColumnsAlignOnTheDecimalPoint() {
        XCTAssertEqual(floats([3], [1.5, 10.25, 100.125]).formattedValues(), "[  1.5    10.25  100.125]")
        XCTAssertEqual(floats([2, 2], [1, -2.5, 10, 0.25]).formattedValues(), "[[ 1.   -2.5 ]\n [10.    0.25]]")
        XCTAssertEqual(floats([2], [1, 2]).formattedValues(), "[1. 2.]")
        XCTAssertEqual(floats([2], [-0.0, 0.5]).formattedValues(), "[-0.   0.5]")
        XCTAssertEqual(floats([3], [0.1, 0.2, 0.30000001]).formattedValues(), "[0.1 0.2 0.3]")
    }

    func testScientificNotationAndNonFiniteValues() {
        XCTAssertEqual(floats([2], [1e-5, 1.5]).formattedValues(), "[1.0e-05 1.5e+00]")
        XCTAssertEqual(floats([2], [1e9, 1]).formattedValues(), "[1.e+09 1.e+00]")
        XCTAssertEqual(floats([3], [1.23456789e-3, 0.5, 100]).formattedValues(), "[1.2346e-03 5.0000e-01 1.0000e+02]")
        XCTAssertEqual(floats([3], [.nan, 1.5, -.infinity]).formattedValues(), "[ nan  1.5 -inf]")
    }

    func testLongRowsWrapAtTheLineWidth() {
        let v = (0..<30).map { Float($0) * Float(0.37) - 5 }
        XCTAssertEqual(floats([2, 15], v).formattedValues(), """
            [[-5.   -4.63 -4.26 -3.89 -3.52 -3.15 -2.78 -2.41 -2.04 -1.67 -1.3  -0.93
              -0.56 -0.19  0.18]
             [ 0.55  0.92  1.29  1.66  2.03  2.4   2.77  3.14  3.51  3.88  4.25  4.62
               4.99  5.36  5.73]]
            """)
    }

    func testBlocksOfThreeDimensionalTensorsAreSeparated() {
        XCTAssertEqual(floats([2, 2, 2], (0..<8).map(Float.init)).formattedValues(),
                       "[[[0. 1.]\n  [2. 3.]]\n\n [[4. 5.]\n  [6. 7.]]]")
    }

    func testNonContiguousViewsPrintTheirOwnOrder() throws {
        let t = try floats([2, 3], (0..<6).map(Float.init)).transpose(0, 1)
        XCTAssertEqual(t.formattedValues(), "[[0. 3.]\n [1. 4.]\n [2. 5.]]")
    }

    func testLargeTensorsAreSummarised() throws {
        let t = floats([2, 1000], (0..<2000).map(Float.init))
        XCTAssertEqual(t.formattedValues(), """
            [[0.000e+00 1.000e+00 2.000e+00 ... 9.970e+02 9.980e+02 9.990e+02]
             [1.000e+03 1.001e+03 1.002e+03 ... 1.997e+03 1.998e+03 1.999e+03]]
            """)
        // At the threshold nothing is left out.
        XCTAssertFalse(floats([1000], [Float](repeating: 1, count: 1000)).formattedValues().contains("..."))
        var f = TensorFormat()
        f.threshold = 5
        f.edgeItems = 1
        XCTAssertEqual(floats([2, 3, 4], (0..<24).map(Float.init)).formattedValues(f),
                       "[[[ 0. ...  3.]\n  ...\n  [ 8. ... 11.]]\n\n [[12. ... 15.]\n  ...\n  [20. ... 23.]]]")
    }

    func testInt64() {
        XCTAssertEqual(try Tensor.int64(shape: [3, 4], values: (0..<12).map { Int64($0) - 5 }).formattedValues(),
                       "[[-5 -4 -3 -2]\n [-1  0  1  2]\n [ 3  4  5  6]]")
        XCTAssertEqual(try Tensor.int64(shape: [6000], values: (-3000..<3000).map { Int64($0) }).formattedValues(),
                       "[-3000 -2999 -2998 ...  2997  2998  2999]")
        // Values beyond 2^53 print exactly.
        XCTAssertEqual(try Tensor.int64(shape: [1], values: [9_007_199_254_740_993]).formattedValues(), "[9007199254740993]")
    }

    func testZeroDimensionalAndEmpty() throws {
        XCTAssertEqual(try Tensor(scalar: 3.25).formatted(), "3.25\n[float32 tensor, shape []]")
        XCTAssertEqual(try Tensor.int64(shape: [], values: [-7]).formattedValues(), "-7")
        XCTAssertEqual(try Tensor(zeros: [0, 3]).formatted(), "[]\n[float32 tensor, shape [0, 3]]")
        XCTAssertEqual(try Tensor(zeros: [2, 0]).formattedValues(), "[]")
    }

    func testFooterNamesDtypeAndShape() {
        XCTAssertEqual(floats([2, 2], [1, 2, 3, 4]).formatted(), "[[1. 2.]\n [3. 4.]]\n[float32 tensor, shape [2, 2]]")
        XCTAssertEqual(try Tensor.int64(shape: [2], values: [1, 2]).footer, "[int64 tensor, shape [2]]")
    }
}
