import XCTest
@testable import Kernels
import Tensor

final class DistanceTests: XCTestCase {
    func assertNear(_ t: Tensor, _ expected: [Double], _ what: String, tol: Double = 1e-5) {
        XCTAssertEqual(t.numel, expected.count, what)
        for (g, e) in zip(t.toArray(), expected) { XCTAssertEqual(g, e, accuracy: tol, what) }
    }

    /// One image, three channels a = (1, 0), b = (0, 1), c = (3, 4), a zero channel z.
    let x = try! Tensor(shape: [1, 4, 1, 2], values: [1, 0, 0, 1, 3, 4, 0, 0])

    /// Scratch sized by the input is checked before it is allocated: C² sums for 100 000
    /// channels are an error, not an abort; typed scratch is aligned and writable.
    func testScratchSizedByTheInputIsAnError() throws {
        let wide = try Tensor(zeros: [1, 100_000, 1])
        XCTAssertThrowsError(try wide.foadSimilaritySums()) { e in
            XCTAssertTrue("\(e)".contains("foad_similarity: cannot allocate"), "\(e)")
        }
        XCTAssertThrowsError(try Scratch.check(Int.max / 4, of: Double.self, "op")) { e in
            XCTAssertTrue("\(e)".hasPrefix("op: cannot allocate"), "\(e)")
        }
        XCTAssertThrowsError(try Scratch.check(-1, of: Float.self, "op"))
        let sum = Scratch.with(100, of: Double.self, zeroed: true) { p -> Double in
            XCTAssertEqual(Int(bitPattern: p) % 64, 0)
            for i in 0..<100 { p[i] += Double(i) }
            return (0..<100).reduce(0) { $0 + p[$1] }
        }
        XCTAssertEqual(sum, 4950)
    }

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

    /// NaN and infinity propagate as in numpy (the Gram formula gave 0 for both).
    func testNonFiniteInputsPropagate() throws {
        // channels a = (NaN, 0), b = (0, 1), c = (inf, 0), d = (1, 1)
        let y = try Tensor(shape: [1, 4, 2], values: [.nan, 0, 0, 1, .infinity, 0, 1, 1])
        for batching in ChannelBatching.allCases {
            let d = try y.channelMatrix(.euclidean, batching: batching, "e").toArray()
            for j in 0..<4 { XCTAssertTrue(d[j].isNaN && d[j * 4].isNaN, "\(batching): NaN row/column \(j)") }
            XCTAssertEqual(d[2 * 4 + 1], .infinity, "\(batching): |inf − finite| is inf")
            XCTAssertEqual(d[1 * 4 + 2], .infinity)
            XCTAssertTrue(d[2 * 4 + 2].isNaN, "inf − inf is NaN")
            XCTAssertEqual(d[1 * 4 + 3], 1, accuracy: 1e-6, "finite pairs unchanged")
            let f = try y.channelMatrix(.foad, batching: batching, "f").toArray()
            XCTAssertTrue(f[1].isNaN)
            XCTAssertEqual(f[2 * 4 + 3], 0, "1 / (1 + inf)")
            XCTAssertEqual(f[1 * 4 + 3], 0.5, accuracy: 1e-6)
            let c = try y.channelMatrix(.cosine, batching: batching, "c").toArray()
            XCTAssertTrue(c[1].isNaN && c[2 * 4 + 3].isNaN)
        }
        // finite values whose squared norm overflows float: computed directly
        let big = try Tensor(shape: [1, 2, 1], values: [3e30, 1e30])
        XCTAssertEqual(try big.channelMatrix(.euclidean, batching: .flatten, "e").toArray()[1], 2e30, accuracy: 1e24)
    }

    /// The rows of a (C, F) matrix: the same numbers as channels of one (1, C, F) image;
    /// a 2-d input to channelMatrix is refused (it was read as (N, C) before).
    func testRowsOfAMatrix() throws {
        let m = try Tensor(shape: [4, 2], values: [1, 0, 0, 1, 3, 4, 0, 0])
        assertNear(try m.rowMatrix(.cosine, "c"), [1, 0, 0.6, 0, 0, 1, 0.8, 0, 0.6, 0.8, 1, 0, 0, 0, 0, 0], "rows cos")
        assertNear(try m.rowMatrix(.euclidean, "e"), try x.channelMatrix(.euclidean, batching: .flatten, "e").toArray(), "rows euc")
        XCTAssertThrowsError(try m.channelMatrix(.cosine, batching: .flatten, "cosine_similarity")) { e in
            XCTAssertEqual((e as? TensorError)?.message,
                           "cosine_similarity: expected (N, C, …) with at least 3 dimensions, got [4, 2] (the rows of a (C, F) matrix are compared by rowMatrix)")
        }
        XCTAssertThrowsError(try x.rowMatrix(.foad, "foad_similarity"))
    }

    func testBatching() throws {
        // two images, two channels: p = ((1, 0), (0, 2)) and q = ((0, 1), (0, 2))
        let y = try Tensor(shape: [2, 2, 2], values: [1, 0, 0, 1, 0, 2, 0, 2])
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

    /// Near-equal channels on a large common offset: ‖a‖² + ‖b‖² − 2⟨a, b⟩ cancels all but
    /// float32's rounding (a distance of 0.012 read as 0, a mean-map distance 6.9× too large);
    /// such pairs are summed directly. Every batching and the rows of a matrix, against
    /// sums in double; an exact copy is 0 and a zero channel is its norm.
    func testNearEqualChannelsKeepTheirDigits() throws {
        Random.manualSeed(11)
        let n = 4, c = 4, f = 25
        var v = try Tensor.randn([n, c, 5, 5]).toArray().map { $0 + 10 }
        for i in 0..<n {
            for k in 0..<f {
                let a = v[(i * c) * f + k]
                v[(i * c + 1) * f + k] = a + 1e-3 * Double((k * 7 + i) % 5 - 2)   // a plus a little
                v[(i * c + 2) * f + k] = a                                       // a copy
                v[(i * c + 3) * f + k] = 0                                       // nothing
            }
        }
        let x = try Tensor(shape: [n, c, 5, 5], values: v.map(Float.init))
        let xf = x.toArray()   // the float32 values, in double
        func channel(_ i: Int, _ ch: Int) -> ArraySlice<Double> { xf[((i * c + ch) * f)..<((i * c + ch + 1) * f)] }
        func distance(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot() }
        let flat = (0..<c).map { ch in (0..<n).flatMap { Array(channel($0, ch)) } }
        let mean = (0..<c).map { ch in (0..<f).map { k in (0..<n).reduce(0.0) { $0 + xf[($1 * c + ch) * f + k] } / Double(n) } }
        let expected: [ChannelBatching: [Double]] = [
            .flatten: (0..<c * c).map { distance(flat[$0 / c], flat[$0 % c]) },
            .mean: (0..<c * c).map { distance(mean[$0 / c], mean[$0 % c]) },
            .perImage: (0..<c * c).map { p in (0..<n).reduce(0.0) { $0 + distance(Array(channel($1, p / c)), Array(channel($1, p % c))) } / Double(n) },
        ]
        for (batching, e) in expected {
            let m = try x.channelMatrix(.euclidean, batching: batching, "e").toArray()
            for k in 0..<(c * c) {
                XCTAssertEqual(m[k], e[k], accuracy: 1e-5 * max(e[k], 1e-3), "\(batching) pair \(k / c), \(k % c)")
            }
            XCTAssertEqual(m[2], 0, "\(batching): a copy is at distance 0")
        }
        XCTAssertGreaterThan(expected[.flatten]![1], 0.005, "the case does test a small distance")
        let rows = try x.reshape([n * c, f]).rowMatrix(.euclidean, "e").toArray()
        for i in 0..<(n * c) {
            for j in 0..<(n * c) {
                let d = distance(Array(xf[(i * f)..<((i + 1) * f)]), Array(xf[(j * f)..<((j + 1) * f)]))
                XCTAssertEqual(rows[i * n * c + j], d, accuracy: 1e-5 * max(d, 1e-3), "rows \(i), \(j)")
            }
        }
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
