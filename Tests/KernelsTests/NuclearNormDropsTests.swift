import XCTest
@testable import Kernels
import Tensor

/// CHIP's nuclear-norm drops from Gram eigenvalues against the definition through SVDs:
/// ‖A‖_* − ‖A with row c zeroed‖_* for every image and channel.
final class NuclearNormDropsTests: XCTestCase {
    /// The definition: C + 1 nuclear norms by SVD per image.
    func direct(_ x: Tensor) throws -> [Float] {
        let n = x.shape[0], c = x.shape[1], hw = x.shape.dropFirst(2).reduce(1, *)
        var out: [Float] = []
        for i in 0..<n {
            let a = try x.select(0, i).reshape([c, hw]).contiguous().toFloats()
            let full = try Tensor(shape: [c, hw], values: a).nuclearNorm().item()
            for j in 0..<c {
                var b = a
                for k in 0..<hw { b[j * hw + k] = 0 }
                out.append(Float(full - (try Tensor(shape: [c, hw], values: b).nuclearNorm().item())))
            }
        }
        return out
    }

    func testAgreesWithSVDsOnBothGramShapes() throws {
        Random.manualSeed(11)
        let saved = Parallel.threads
        defer { Parallel.threads = saved }
        // C < HW deletes a row and column of A·Aᵀ; C ≥ HW downdates AᵀA; post-ReLU maps
        // with a dead channel (drop 0) and a duplicated one (drops equal)
        for shape in [[3, 5, 4, 4], [2, 6, 2, 2], [3, 4, 2, 2], [2, 3, 1, 1]] {
            let x = try Tensor.randn(shape).clamp(min: 0, max: nil)
            let n = shape[0], c = shape[1], hw = shape[2] * shape[3]
            x.withFloats { p in
                for i in 0..<n {
                    for k in 0..<hw { p[(i * c + 1) * hw + k] = 0; p[(i * c + 2) * hw + k] = p[i * c * hw + k] }
                }
            }
            let expect = try direct(x)
            for threads in [1, 2] {
                Parallel.threads = threads
                let got = try x.nuclearNormDrops()
                XCTAssertEqual(got.shape, [n, c])
                let v = got.toFloats(), scale = expect.map(abs).max()!
                for i in v.indices { XCTAssertEqual(v[i], expect[i], accuracy: 2e-5 * scale, "\(shape) [\(i)]") }
                for i in 0..<n {
                    XCTAssertEqual(v[i * c + 1], 0, accuracy: 1e-5 * scale, "dead channel of \(shape)")
                    XCTAssertEqual(v[i * c + 2], v[i * c], accuracy: 1e-5 * scale, "duplicated channel of \(shape)")
                }
            }
        }
    }

    /// The fallback where the secular equation's root finder fails (each channel's Gram
    /// matrix decomposed afresh) gives the same drops, on both Gram shapes.
    func testDirectFallbackAgrees() throws {
        Random.manualSeed(4)
        for (c, hw) in [(5, 9), (6, 4)] {
            let x = try Tensor.randn([1, c, hw]).clamp(min: 0, max: nil)
            let secular = try x.nuclearNormDrops().toFloats()
            let k = min(c, hw), deleting = c < hw
            var g = [Double](repeating: 0, count: k * k), a = [Double](repeating: 0, count: c * hw)
            var scratch = [Double](repeating: 0, count: k * k + 2 * k)
            var w = [Double](repeating: 0, count: k * k), d = [Double](repeating: 0, count: k), e = d
            let f = x.toFloats()
            Tensor.gram(f, c, hw, into: &g, buf: &a)
            w = g
            let full = Tensor.nuclear(&w, k, &d, &e)
            for j in 0..<c {
                let rest = a.withUnsafeBufferPointer { ap in
                    Tensor.dropDirect(g, k, channel: j, deleting: deleting, row: ap.baseAddress! + j * hw, scratch: &scratch)
                }
                XCTAssertEqual(Float(full - rest), secular[j], accuracy: 1e-5 * max(1, abs(secular[j])), "\(c)×\(hw) channel \(j)")
            }
        }
    }

    func testErrors() throws {
        XCTAssertThrowsError(try Tensor(zeros: [4]).nuclearNormDrops())
        XCTAssertThrowsError(try Tensor(shape: [1, 2, 1, 1], values: [1, .nan]).nuclearNormDrops())
        XCTAssertEqual(try Tensor(zeros: [0, 3, 2, 2]).nuclearNormDrops().shape, [0, 3])
    }
}
