import XCTest
@testable import Kernels
import Tensor

final class LinalgTests: XCTestCase {
    func testSingularValuesAndVectors() throws {
        // [[3, 0], [4, 5]]: AᵀA = [[25, 20], [20, 25]] -> σ² = 45, 5
        let a = try Tensor(shape: [2, 2], values: [3, 0, 4, 5])
        let r = try a.svd(vectors: true)
        XCTAssertEqual(r.s.toArray()[0], (45.0).squareRoot(), accuracy: 1e-5)
        XCTAssertEqual(r.s.toArray()[1], (5.0).squareRoot(), accuracy: 1e-5)
        XCTAssertEqual(try a.nuclearNorm().item(), (45.0).squareRoot() + (5.0).squareRoot(), accuracy: 1e-5)
        // a batch of non-square matrices: U·diag(S)·Vᵀ reproduces them, UᵀU = VᵀV = I
        Random.manualSeed(11)
        for shape in [[3, 5, 4], [2, 3, 6]] {
            let x = try Tensor.randn(shape)
            let s = try x.svd(vectors: true), k = min(shape[1], shape[2])
            XCTAssertEqual(s.u!.shape, [shape[0], shape[1], k])
            XCTAssertEqual(s.v!.shape, [shape[0], shape[2], k])
            let us = try s.u!.mul(try s.s.unsqueeze(1))
            let back = try us.matmul(try s.v!.transpose(1, 2))
            for (g, e) in zip(back.toArray(), x.toArray()) { XCTAssertEqual(g, e, accuracy: 1e-4) }
            let vtv = try s.v!.transpose(1, 2).matmul(s.v!).toArray()
            for b in 0..<shape[0] { for i in 0..<k { for j in 0..<k {
                XCTAssertEqual(vtv[(b * k + i) * k + j], i == j ? 1 : 0, accuracy: 1e-5)
            } } }
        }
    }

    func testRankOfKnownMatrices() throws {
        let outer = try Tensor(shape: [4, 3], values: [1, 2, 3, 2, 4, 6, -1, -2, -3, 0.5, 1, 1.5])  // rank 1
        XCTAssertEqual(try outer.matrixRank().toArray(), [1])
        XCTAssertEqual(try Tensor.eye(5).matrixRank().toArray(), [5])
        XCTAssertEqual(try Tensor.zeros([3, 3]).matrixRank().toArray(), [0])
        // third row = first + second: singular in exact arithmetic, σ3 ~ 1e-7 after rounding
        let dependent = try Tensor(shape: [3, 3], values: [1, 2, 3, 4, 5, 6.5, 5, 7, 9.5])
        XCTAssertEqual(try dependent.matrixRank().toArray(), [2])
        let perturbed = try Tensor(shape: [3, 3], values: [1, 2, 3, 4, 5, 6.5, 5, 7, 9.501])
        XCTAssertEqual(try perturbed.matrixRank().toArray(), [3])
    }

    /// torch's tolerance is σmax·max(m, n)·eps: for a 32x32 diagonal with σmax = 4 that is
    /// exactly 4·32·2⁻²³ = 2⁻¹⁶. A singular value equal to it does not count, the next
    /// float up does (strict >), as in torch.linalg.matrix_rank.
    func testRankAtTheToleranceBoundary() throws {
        let tol = Float(4 * 32) * Float.ulpOfOne
        XCTAssertEqual(tol, 0x1p-16)
        func diag(_ last: Float) -> [Float] {
            var v = [Float](repeating: 0, count: 32 * 32)
            for i in 0..<31 { v[i * 33] = i == 0 ? 4 : 1 }
            v[31 * 33] = last
            return v
        }
        let x = try Tensor(shape: [3, 32, 32], values: diag(tol) + diag(tol.nextUp) + diag(tol.nextDown))
        for method in RankMethod.allCases {
            XCTAssertEqual(try x.matrixRank(method: method).toArray(), [31, 32, 31], "\(method)")
            // explicit tolerances: atol alone switches rtol off
            XCTAssertEqual(try x.matrixRank(atol: 1e-3, method: method).toArray(), [31, 31, 31], "\(method)")
            XCTAssertEqual(try x.matrixRank(atol: 0, rtol: 0, method: method).toArray(), [32, 32, 32], "\(method)")
            XCTAssertEqual(try x.matrixRank(rtol: 0.3, method: method).toArray(), [1, 1, 1], "\(method)")
        }
        // the same boundary on a rotated (non-diagonal) matrix: Q·diag·Qᵀ with a
        // permutation Q keeps it exact; the Gram path must still count 31 and 32
        var p = [Float](repeating: 0, count: 32 * 32)
        for i in 0..<32 { p[i * 32 + (i * 5) % 32] = 1 }
        let q = try Tensor(shape: [32, 32], values: p)
        let rotated = try q.matmul(x).matmul(q.transpose(0, 1))
        XCTAssertEqual(try rotated.matrixRank().toArray(), [31, 32, 31])
    }

    func testGramAndSVDMethodsAgree() throws {
        Random.manualSeed(9)
        for (b, m, k, n) in [(50, 32, 1, 32), (50, 32, 7, 32), (50, 32, 31, 32), (30, 12, 5, 20), (30, 20, 5, 12), (9, 8, 3, 8), (3, 80, 20, 70), (2, 66, 9, 90)] {
            let x = try Tensor.randn([b, m, k]).matmul(try Tensor.randn([b, k, n]))   // rank k
            let gram = try x.matrixRank().toArray(), svd = try x.matrixRank(method: .svd).toArray()
            XCTAssertEqual(gram, svd, "\(m)x\(n) rank \(k)")
            XCTAssertEqual(gram, [Double](repeating: Double(k), count: b))
        }
    }

    func testBatchedRankMatchesPerMatrixAcrossThreads() throws {
        Random.manualSeed(5)
        let x = try Tensor.randn([6, 7, 8, 8]).clamp(min: 0, max: nil)
        let saved = Parallel.threads
        defer { Parallel.threads = saved }
        Parallel.threads = 2
        let batched = try x.matrixRank().toArray()
        Parallel.threads = 1
        for i in [0, 17, 41] {
            let m = try x.select(0, i / 7).select(0, i % 7)
            XCTAssertEqual(try m.matrixRank().toArray()[0], batched[i])
        }
    }

    func testErrors() throws {
        XCTAssertThrowsError(try Tensor(shape: [2, 2], values: [1, .nan, 0, 1]).matrixRank()) {
            XCTAssertTrue("\($0)".contains("NaN"), "\($0)")
        }
        // a non-finite value in the second group of 8 lanes, and in a matrix past the fast path's size
        var values = [Float](repeating: 1, count: 9 * 16)
        values[8 * 16 + 5] = .infinity
        XCTAssertThrowsError(try Tensor(shape: [9, 4, 4], values: values).matrixRank()) {
            XCTAssertTrue("\($0)".contains("NaN or infinity"), "\($0)")
        }
        var big = [Float](repeating: 0, count: 70 * 70)
        big[70 * 70 - 1] = .nan
        XCTAssertThrowsError(try Tensor(shape: [70, 70], values: big).matrixRank())
        XCTAssertThrowsError(try Tensor(shape: [3], values: [1, 2, 3]).svd())
    }
}
