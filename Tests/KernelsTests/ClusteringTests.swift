import XCTest
@testable import Kernels
import Tensor

final class ClusteringTests: XCTestCase {
    /// Three blobs of 5 points around (0, 0), (10, 10), (−10, 10) with fixed offsets
    /// whose mean is zero, so each blob's centroid is exactly its centre.
    let offsets: [(Float, Float)] = [(0.5, 0), (-0.5, 0), (0, 0.5), (0, -0.5), (0, 0)]
    let centres: [(Float, Float)] = [(0, 0), (10, 10), (-10, 10)]

    func blobs() -> Tensor {
        var v: [Float] = []
        for p in 0..<15 {   // interleaved so that blob membership is not contiguous
            let c = centres[p % 3], o = offsets[p / 3]
            v += [c.0 + o.0, c.1 + o.1]
        }
        return try! Tensor(shape: [15, 2], values: v)
    }

    func testKMeansSeparatesBlobsDeterministically() throws {
        let x = blobs()
        let r = try x.kmeans(3, seed: 42)
        for p in 0..<15 { XCTAssertEqual(r.labels[p], r.labels[p % 3], "point \(p) joins its blob") }
        XCTAssertEqual(Set(r.labels).count, 3)
        // inertia: each blob contributes 4 · 0.25
        XCTAssertEqual(r.inertia, 3.0, accuracy: 1e-5)
        let c = r.centroids.toArray()
        for b in 0..<3 {
            let l = r.labels[b]
            XCTAssertEqual(c[2 * l], Double(centres[b].0), accuracy: 1e-5)
            XCTAssertEqual(c[2 * l + 1], Double(centres[b].1), accuracy: 1e-5)
        }
        let again = try x.kmeans(3, seed: 42)
        XCTAssertEqual(again.labels, r.labels)
        XCTAssertEqual(again.centroids.toArray(), r.centroids.toArray())
        XCTAssertEqual(try x.kmeans(1, seed: 1).labels, [Int](repeating: 0, count: 15))
    }

    func testKMeansErrors() throws {
        XCTAssertThrowsError(try blobs().kmeans(16, seed: 1)) {
            XCTAssertTrue("\($0)".contains("larger than the number of points (15)"), "\($0)")
        }
        XCTAssertThrowsError(try Tensor(shape: [2, 1], values: [1, .nan]).kmeans(1, seed: 1)) {
            XCTAssertTrue("\($0)".contains("NaN"), "\($0)")
        }
        XCTAssertThrowsError(try Tensor(shape: [4], values: [1, 2, 3, 4]).kmeans(1, seed: 1))
    }

    /// On a line: 0, 0.5, 1 (a chain), 5 (alone), 10, 10.5, 11 and 20, 20.4.
    let line: [Float] = [0, 0.5, 1, 5, 10, 10.5, 11, 20, 20.4]

    func testDBSCANHandDrawn() throws {
        let x = try Tensor(shape: [9, 1], values: line)
        XCTAssertEqual(try x.dbscan(eps: 0.6, minSamples: 2), [0, 0, 0, -1, 1, 1, 1, 2, 2])
        // min_samples 3: only the middle points of the chains are core; the ends are
        // border points of their clusters, the pair at 20 becomes noise
        XCTAssertEqual(try x.dbscan(eps: 0.6, minSamples: 3), [0, 0, 0, -1, 1, 1, 1, -1, -1])
        // eps is inclusive: 0.5 apart with eps = 0.5
        XCTAssertEqual(try x.dbscan(eps: 0.5, minSamples: 2), [0, 0, 0, -1, 1, 1, 1, 2, 2])
        XCTAssertEqual(try x.dbscan(eps: 0.3, minSamples: 2), [Int](repeating: -1, count: 9))
    }

    func testDBSCANCosine() throws {
        // directions: three near 0°, two near 90°, one at 45°, and a zero vector
        let x = try Tensor(shape: [7, 2], values: [1, 0, 2, 0.05, 3, -0.1, 0, 1, 0.05, 2, 1, 1, 0, 0])
        XCTAssertEqual(try x.dbscan(eps: 0.01, minSamples: 2, metric: .cosine), [0, 0, 0, 1, 1, -1, -1])
    }

    func testPCAOnKnownAxes() throws {
        // t·(0.6, 0.8) + e·(−0.8, 0.6) with t = −2…2 and e = ±0.1: variances 2.5 and 0.01
        let t: [Float] = [-2, -1, 0, 1, 2], e: [Float] = [0.1, -0.1, 0, -0.1, 0.1]
        var v: [Float] = []
        for i in 0..<5 { v += [3 + 0.6 * t[i] - 0.8 * e[i], -1 + 0.8 * t[i] + 0.6 * e[i]] }
        let r = try Tensor(shape: [5, 2], values: v).pca(2)
        let c = r.components.toArray()
        XCTAssertEqual(c[0], 0.6, accuracy: 1e-5); XCTAssertEqual(c[1], 0.8, accuracy: 1e-5)
        XCTAssertEqual(abs(c[2]), 0.8, accuracy: 1e-4); XCTAssertEqual(abs(c[3]), 0.6, accuracy: 1e-4)
        XCTAssertEqual(r.explainedVariance.toArray()[0], 2.5, accuracy: 1e-5)
        XCTAssertEqual(r.explainedVariance.toArray()[1], 0.01, accuracy: 1e-5)
        XCTAssertEqual(r.explainedVarianceRatio.toArray()[0], 2.5 / 2.51, accuracy: 1e-5)
        XCTAssertEqual(r.mean.toArray()[0], 3, accuracy: 1e-5); XCTAssertEqual(r.mean.toArray()[1], -1, accuracy: 1e-5)
        let z = r.scores.toArray()
        for i in 0..<5 { XCTAssertEqual(z[2 * i], Double(t[i]), accuracy: 1e-5, "scores on the first axis are t") }
        XCTAssertThrowsError(try Tensor(shape: [5, 2], values: v).pca(3))
    }
}
