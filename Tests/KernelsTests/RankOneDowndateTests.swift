import XCTest
@testable import Kernels
@testable import Tensor

/// Σ√μ over the eigenvalues of diag(λ) − z·zᵀ from the secular equation, against the same
/// matrix formed and decomposed directly (Householder + dsterf), including the deflation
/// cases: zero components of z, repeated eigenvalues (rank-deficient Gram matrices of
/// post-ReLU maps), z = 0, and a downdate that makes the matrix singular.
final class RankOneDowndateTests: XCTestCase {
    func direct(_ lambda: [Double], _ z: [Double]) -> Double {
        let k = lambda.count
        var a = [Double](repeating: 0, count: k * k), d = [Double](repeating: 0, count: k), e = d
        for r in 0..<k { for q in 0..<k { a[r * k + q] = (r == q ? lambda[r] : 0) - z[r] * z[q] } }
        return Tensor.nuclear(&a, k, &d, &e)
    }

    func secular(_ lambda: [Double], _ z: [Double]) -> Double? {
        var work = [Double](repeating: 0, count: RankOneDowndate.workCount(lambda.count))
        return RankOneDowndate.nuclear(lambda: lambda, z: z, lambda.count, work: &work)
    }

    /// A PSD downdate: λ ascending ≥ 0 and z = √λ ⊙ u for a vector u of norm ≤ 1.
    func problem(_ k: Int, _ rng: inout Xoshiro256, zeroEvery: Int = 0, repeats: Int = 0) -> ([Double], [Double]) {
        var lambda = (0..<k).map { _ in rng.nextDouble() * 10 }.sorted()
        for i in 0..<min(repeats, k) { lambda[i] = 0 }                   // a rank-deficient Gram
        if repeats > 0 && k > 4 { lambda[k - 1] = lambda[k - 2] }        // and a double eigenvalue
        var u = (0..<k).map { _ in rng.nextDouble() - 0.5 }
        if zeroEvery > 0 { for i in Swift.stride(from: 0, to: k, by: zeroEvery) { u[i] = 0 } }
        let norm = u.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let s = norm > 0 ? rng.nextDouble() / norm : 0
        return (lambda, (0..<k).map { lambda[$0].squareRoot() * u[$0] * s })
    }

    func testAgreesWithDirectDecomposition() throws {
        var rng = Xoshiro256(seed: 5)
        for k in [1, 2, 3, 7, 16, 33, 64] {
            for (zeroEvery, repeats) in [(0, 0), (3, 0), (0, 3), (2, 5)] {
                let (lambda, z) = problem(k, &rng, zeroEvery: zeroEvery, repeats: repeats)
                let got = try XCTUnwrap(secular(lambda, z)), want = direct(lambda, z)
                let scale = lambda.last!.squareRoot() * Double(k)
                XCTAssertEqual(got, want, accuracy: 1e-9 * max(scale, 1), "k \(k) zero every \(zeroEvery) repeats \(repeats)")
            }
        }
    }

    func testZeroUpdateAndSingularDowndate() throws {
        let lambda = [0.5, 1, 4, 9]
        XCTAssertEqual(try XCTUnwrap(secular(lambda, [0, 0, 0, 0])), 0.5.squareRoot() + 1 + 2 + 3, accuracy: 1e-12)
        // z = √λ₂·e₂ removes that eigenvalue entirely: √0.5 + 1 + 3
        XCTAssertEqual(try XCTUnwrap(secular(lambda, [0, 0, 2, 0])), 0.5.squareRoot() + 1 + 3, accuracy: 1e-7)
        // all of a rank-one matrix removed
        XCTAssertEqual(try XCTUnwrap(secular([0, 0, 0, 4], [0, 0, 0, 2])), 0, accuracy: 1e-7)
        XCTAssertEqual(try XCTUnwrap(secular([], [])), 0)
    }
}
