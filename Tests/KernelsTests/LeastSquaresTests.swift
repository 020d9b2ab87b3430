import XCTest
@testable import Kernels
import Tensor

/// lstsq and pinv against systems solved by hand (the working is in the comments).
final class LeastSquaresTests: XCTestCase {
    func assertClose(_ got: Tensor, _ expected: [Double], _ tol: Double = 1e-5, _ what: String = "",
                     file: StaticString = #filePath, line: UInt = #line) {
        let g = got.toArray()
        XCTAssertEqual(g.count, expected.count, "\(what) count", file: file, line: line)
        for (a, b) in zip(g, expected) { XCTAssertEqual(a, b, accuracy: tol, what, file: file, line: line) }
    }

    /// 2x + y = 3, x + 3y = 5: Cramer's rule with det 5 gives x = 4/5, y = 7/5.
    func testExactlyDetermined() throws {
        let a = try Tensor(shape: [2, 2], values: [2, 1, 1, 3])
        let r = try a.lstsq(try Tensor(shape: [2], values: [3, 5]))
        XCTAssertEqual(r.solution.shape, [2])
        assertClose(r.solution, [0.8, 1.4])
        XCTAssertEqual(r.rank, 2)
        XCTAssertEqual(r.residuals.shape, [0], "no residuals when m = n (numpy)")
        // AᵀA = [[5, 5], [5, 10]]: σ² = (15 ± √125)/2
        assertClose(r.singularValues, [((15 + (125.0).squareRoot()) / 2).squareRoot(), ((15 - (125.0).squareRoot()) / 2).squareRoot()])
    }

    /// The line through (0, 1), (1, 2), (2, 4): AᵀA = [[3, 3], [3, 5]], Aᵀb = [7, 10], so
    /// x = [5/6, 3/2]; fitted 5/6, 7/3, 23/6, errors 1/6, −1/3, 1/6, residual 6/36 = 1/6
    /// (numpy.linalg.lstsq([[1,0],[1,1],[1,2]], [1,2,4]) prints residuals [0.16666667]).
    /// The second column [0, 1, 2] lies on the line x = [0, 1]: residual 0.
    func testOverdeterminedResiduals() throws {
        let a = try Tensor(shape: [3, 2], values: [1, 0, 1, 1, 1, 2])
        let b = try Tensor(shape: [3, 2], values: [1, 0, 2, 1, 4, 2])
        let r = try a.lstsq(b)
        XCTAssertEqual(r.solution.shape, [2, 2])
        assertClose(r.solution, [5.0 / 6, 0, 1.5, 1])
        assertClose(r.residuals, [1.0 / 6, 0])
        XCTAssertEqual(r.rank, 2)
        // σ² are the eigenvalues 4 ± √10 of AᵀA
        assertClose(r.singularValues, [(4 + (10.0).squareRoot()).squareRoot(), (4 - (10.0).squareRoot()).squareRoot()])
        let v = try a.lstsq(try Tensor(shape: [3], values: [1, 2, 4]))
        XCTAssertEqual(v.solution.shape, [2])
        assertClose(v.residuals, [1.0 / 6])
    }

    /// A = a·vᵀ with a = [1, 2, 3], v = [1, 2] (rank 1). Ax = (x₀ + 2x₁)·a, so for b = a
    /// every x with x₀ + 2x₁ = 1 fits exactly and the minimum-norm one is v/‖v‖² = [1/5, 2/5];
    /// for b = e₁ the best c = x₀ + 2x₁ is a·b/‖a‖² = 1/14, minimum norm x = v/70.
    /// Rank-deficient: no residuals (numpy).
    func testRankDeficientMinimumNorm() throws {
        let a = try Tensor(shape: [3, 2], values: [1, 2, 2, 4, 3, 6])
        let r = try a.lstsq(try Tensor(shape: [3, 2], values: [1, 1, 2, 0, 3, 0]))
        XCTAssertEqual(r.rank, 1)
        assertClose(r.solution, [0.2, 1.0 / 70, 0.4, 2.0 / 70])
        XCTAssertEqual(r.residuals.shape, [0])
        assertClose(r.singularValues, [(70.0).squareRoot(), 0], 1e-5)   // ‖a‖·‖v‖ = √70
    }

    /// A = [[2, 0], [0, 1], [0, 0]] has σ = 2, 1. For b = [2, 1, 5]: rcond 0.4 keeps both,
    /// x = [1, 1] with residual 5² = 25; rcond 0.6 drops σ = 1 (1 <= 0.6·2), x = [1, 0];
    /// rcond 0.5 drops it too (at the cutoff counts as zero, as LAPACK).
    func testRcondCutoff() throws {
        let a = try Tensor(shape: [3, 2], values: [2, 0, 0, 1, 0, 0]), b = try Tensor(shape: [3], values: [2, 1, 5])
        let both = try a.lstsq(b, rcond: 0.4)
        XCTAssertEqual(both.rank, 2)
        assertClose(both.solution, [1, 1])
        assertClose(both.residuals, [25])
        for rcond in [0.5, 0.6] {
            let one = try a.lstsq(b, rcond: rcond)
            XCTAssertEqual(one.rank, 1, "rcond \(rcond)")
            assertClose(one.solution, [1, 0])
            XCTAssertEqual(one.residuals.shape, [0], "rank-deficient: no residuals")
        }
        // LAPACK would read rcond >= 1 as machine precision: refused instead
        XCTAssertThrowsError(try a.lstsq(b, rcond: 1)) { XCTAssertTrue("\($0)".contains("rcond must be in [0, 1)"), "\($0)") }
        // rcond 0 keeps every nonzero σ (LAPACK alone would use machine precision)
        let tiny = try Tensor(shape: [2, 2], values: [1, 0, 0, 1e-20])
        let zero = try tiny.lstsq(try Tensor(shape: [2], values: [1, 1e-20]), rcond: 0)
        XCTAssertEqual(zero.rank, 2)
        assertClose(zero.solution, [1, 1])
    }

    /// A⁺ of the rank-1 a·vᵀ above is v·aᵀ/(‖a‖²‖v‖²) = [[1, 2, 3], [2, 4, 6]]/70.
    func testPseudoInverseKnownValue() throws {
        let a = try Tensor(shape: [3, 2], values: [1, 2, 2, 4, 3, 6])
        let p = try a.pinv()
        XCTAssertEqual(p.shape, [2, 3])
        assertClose(p, [1, 2, 3, 2, 4, 6].map { $0 / 70.0 })
        // an atol above σ = √70 ≈ 8.37 leaves nothing
        assertClose(try a.pinv(atol: 9), [0, 0, 0, 0, 0, 0])
    }

    /// The four Penrose conditions, checked in double from the float results: AXA = A,
    /// XAX = X, AX and XA symmetric; for tall, wide and rank-deficient matrices, batched.
    func testPenroseConditions() throws {
        Random.manualSeed(5)
        let low = try Tensor.randn([6, 2]).matmul(try Tensor.randn([2, 4]))   // rank 2
        let cases = [try Tensor.randn([2, 5, 3]), try Tensor.randn([3, 6]), low]
        for a in cases {
            let x = try a.pinv()
            XCTAssertEqual(x.shape, Array(a.shape.dropLast(2)) + [a.shape[a.dim - 1], a.shape[a.dim - 2]])
            let count = a.shape.dropLast(2).reduce(1, *), m = a.shape[a.dim - 2], n = a.shape[a.dim - 1]
            let av = a.toArray(), xv = x.toArray()
            for i in 0..<count {
                let am = Matrix(rows: m, cols: n, Array(av[(i * m * n)..<((i + 1) * m * n)]))
                let xm = Matrix(rows: n, cols: m, Array(xv[(i * m * n)..<((i + 1) * m * n)]))
                let ax = am * xm, xa = xm * am
                assertNear(ax * am, am, "AXA = A")
                assertNear(xa * xm, xm, "XAX = X")
                assertNear(ax, ax.transposed, "AX symmetric")
                assertNear(xa, xa.transposed, "XA symmetric")
            }
        }
    }

    /// Ridge against the closed form (AᵀA + λI)⁻¹AᵀB solved in double here, over- and
    /// under-determined; the residuals are the data term ‖AX − B‖² alone.
    func testRidgeMatchesClosedForm() throws {
        Random.manualSeed(7)
        for (m, n, k, lambda) in [(8, 3, 2, 0.5), (3, 5, 1, 2.0), (6, 6, 3, 1e-3)] {
            let a = try Tensor.randn([m, n]), b = try Tensor.randn([m, k])
            let r = try a.lstsq(b, lambda: lambda)
            let am = Matrix(rows: m, cols: n, a.toArray()), bm = Matrix(rows: m, cols: k, b.toArray())
            var gram = am.transposed * am
            for i in 0..<n { gram[i, i] += lambda }
            let expected = gram.solve(am.transposed * bm)
            assertNear(Matrix(rows: n, cols: k, r.solution.toArray()), expected, "ridge \(m)x\(n)", 1e-4)
            let fit = am * expected
            var res = [Double](repeating: 0, count: k)
            for i in 0..<m { for j in 0..<k { res[j] += (fit[i, j] - bm[i, j]) * (fit[i, j] - bm[i, j]) } }
            assertClose(r.residuals, res, 1e-4, "ridge residuals")
            XCTAssertEqual(r.rank, min(m, n))
            assertClose(r.singularValues, try a.svd().s.toArray(), 1e-4, "A's own singular values")
        }
    }

    func testEmptyAndErrors() throws {
        // no unknowns: X is (0, k) and the residual is all of B (numpy)
        let r = try Tensor.zeros([3, 0]).lstsq(try Tensor(shape: [3], values: [1, 2, 2]))
        XCTAssertEqual(r.solution.shape, [0])
        assertClose(r.residuals, [9])
        let a = try Tensor.ones([3, 2])
        XCTAssertThrowsError(try a.lstsq(try Tensor.ones([4, 1]))) { XCTAssertTrue("\($0)".contains("as many rows as A (3)"), "\($0)") }
        XCTAssertThrowsError(try Tensor.ones([3]).lstsq(try Tensor.ones([3]))) { XCTAssertTrue("\($0)".contains("A must be a 2-d matrix"), "\($0)") }
        XCTAssertThrowsError(try a.lstsq(try Tensor.ones([3, 1, 1]))) { XCTAssertTrue("\($0)".contains("B must be"), "\($0)") }
        XCTAssertThrowsError(try a.lstsq(try Tensor.zeros([3], dtype: .int64))) { XCTAssertTrue("\($0)".contains("B must be float32, got int64"), "\($0)") }
        XCTAssertThrowsError(try a.lstsq(try Tensor(shape: [3], values: [1, .nan, 2]))) { XCTAssertTrue("\($0)".contains("NaN or infinity"), "\($0)") }
        XCTAssertThrowsError(try a.lstsq(try Tensor.ones([3]), lambda: -1)) { XCTAssertTrue("\($0)".contains("lambda must be"), "\($0)") }
        XCTAssertThrowsError(try Tensor.ones([4]).pinv()) { XCTAssertTrue("\($0)".contains("at least 2 dimensions"), "\($0)") }
        // sizes LAPACK's 32-bit integers cannot take fail before anything is allocated
        XCTAssertThrowsError(try LAPACK.checkSizes("lstsq", rows: 100_000, cols: 50_000)) { XCTAssertTrue("\($0)".contains("too large for LAPACK"), "\($0)") }
        let huge = try Tensor.ones([1, 1]).expand([60_000, 10_000])
        XCTAssertThrowsError(try huge.pinv()) { XCTAssertTrue("\($0)".contains("too large for LAPACK"), "\($0)") }
        XCTAssertThrowsError(try huge.lstsq(try Tensor.ones([60_000]))) { XCTAssertTrue("\($0)".contains("too large for LAPACK"), "\($0)") }
    }

    func assertNear(_ a: Matrix, _ b: Matrix, _ what: String, _ tol: Double = 1e-4, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.rows, b.rows, what, file: file, line: line)
        let scale = max(1, b.values.map(abs).max() ?? 0)
        for (x, y) in zip(a.values, b.values) { XCTAssertEqual(x, y, accuracy: tol * scale, what, file: file, line: line) }
    }
}
