import XCTest
@testable import Kernels
import Tensor

final class DistanceTests: XCTestCase {
    func assertNear(_ t: Tensor, _ expected: [Double], _ what: String, tol: Double = 1e-5) {
        XCTAssertEqual(t.numel, expected.count, what)
        for (g, e) in zip(t.toArray(), expected) { XCTAssertEqual(g, e, accuracy: tol, what) }
    }

    /// One image, three channels a = (1, 0), b = (0, 1), c = (3, 4), a zero channel z.
    let x = Tensor(shape: [1, 4, 1, 2], values: [1, 0, 0, 1, 3, 4, 0, 0])

    func testCosine() throws {
        let m = try x.channelMatrix(.cosine, batching: .flatten, "cosine")
        assertNear(m, [1, 0, 0.6, 0,
                       0, 1, 0.8, 0,
                       0.6, 0.8, 1, 0,
                       0, 0, 0, 0], "cosine")
    }

    func testEuclideanAndFOAD() throws {
        let d = [[0, (2.0).squareRoot(), (20.0).squareRoot(), 1],
                 [(2.0).squareRoot(), 0, (18.0).squareRoot(), 1],
                 [(20.0).squareRoot(), (18.0).squareRoot(), 0, 5],
                 [1, 1, 5, 0]]
        assertNear(try x.channelMatrix(.euclidean, batching: .flatten, "e"), d.flatMap { $0 }, "euclidean")
        assertNear(try x.channelMatrix(.foad, batching: .perImage, "f"), d.flatMap { $0 }.map { 1 / (1 + $0) }, "foad")
    }

    func testBatching() throws {
        // two images, two channels: p = ((1, 0), (0, 2)) and q = ((0, 1), (0, 2))
        let y = Tensor(shape: [2, 2, 2], values: [1, 0, 0, 1, 0, 2, 0, 2])
        // flatten: p = (1, 0, 0, 2), q = (0, 1, 0, 2): cos = 4/5, distance √2
        assertNear(try y.channelMatrix(.cosine, batching: .flatten, "c"), [1, 0.8, 0.8, 1], "flatten cos")
        assertNear(try y.channelMatrix(.euclidean, batching: .flatten, "e"), [0, (2.0).squareRoot(), (2.0).squareRoot(), 0], "flatten euc")
        // mean: p̄ = (0.5, 1), q̄ = (0, 1.5) -> distance √0.5
        let h = (0.5).squareRoot()
        assertNear(try y.channelMatrix(.euclidean, batching: .mean, "e"), [0, h, h, 0], "mean euc")
        // per image: distances √2 and 0 -> FOAD (1/(1+√2) + 1)/2; cosine (0 + 1)/2
        let f = (1 / (1 + (2.0).squareRoot()) + 1) / 2
        assertNear(try y.channelMatrix(.foad, batching: .perImage, "f"), [1, f, f, 1], "per-image foad")
        assertNear(try y.channelMatrix(.cosine, batching: .perImage, "c"), [1, 0.5, 0.5, 1], "per-image cos")
    }

    func testAgreesAcrossThreadsAndWithLoops() throws {
        Random.manualSeed(3)
        let z = try Tensor.randn([6, 5, 3, 3])
        let flat = try z.transpose(0, 1).contiguous().reshape([5, 54]).toArray()
        let m = try z.channelMatrix(.euclidean, batching: .flatten, "e").toArray()
        for i in 0..<5 {
            for j in 0..<5 {
                let d = (0..<54).reduce(0.0) { $0 + (flat[i * 54 + $1] - flat[j * 54 + $1]) * (flat[i * 54 + $1] - flat[j * 54 + $1]) }
                XCTAssertEqual(m[i * 5 + j], d.squareRoot(), accuracy: 1e-4)
            }
        }
        let saved = Parallel.threads
        defer { Parallel.threads = saved }
        Parallel.threads = 1
        let one = try z.channelMatrix(.foad, batching: .perImage, "f").toArray()
        Parallel.threads = 2
        let two = try z.channelMatrix(.foad, batching: .perImage, "f").toArray()
        for (a, b) in zip(one, two) { XCTAssertEqual(a, b, accuracy: 1e-6) }
    }
}
