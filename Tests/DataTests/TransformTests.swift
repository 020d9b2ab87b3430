import XCTest
@testable import Data
import Tensor

final class TransformTests: XCTestCase {
    func batch(_ x: Tensor) -> Batch { Batch(input: x, target: try! Tensor(zeros: [x.shape[0]], dtype: .int64)) }

    func testNormalizePerChannel() throws {
        let x = try Tensor(shape: [1, 2, 1, 2], values: [0, 1, 2, 3])
        var rng = Xoshiro256(seed: 1)
        let y = try Normalize(mean: [1, 2], std: [2, 0.5]).apply(batch(x), rng: &rng).input
        XCTAssertEqual(y.toFloats(), [-0.5, 0, 0, 2])
        let one = try Normalize(mean: [1], std: [2]).apply(batch(x), rng: &rng).input
        XCTAssertEqual(one.toFloats(), [-0.5, 0, 0.5, 1])
        XCTAssertThrowsError(try Normalize(mean: [1, 2, 3], std: [1, 1, 1]).apply(batch(x), rng: &rng)) {
            XCTAssertTrue("\($0)".contains("3 means for a batch with 2 channels"), "\($0)")
        }
        XCTAssertThrowsError(try Normalize(mean: [0], std: [0]))
        XCTAssertThrowsError(try Normalize(mean: [0, 1], std: [1]))
    }

    /// Every output of a padded crop to the original size is the input shifted by some
    /// (dy, dx) in [-p, p]² with zeros filled in, and every shift occurs.
    func testRandomCropIsAShiftWithZeroPadding() throws {
        let (n, h, w, p) = (300, 4, 5, 1)
        let one = (0..<(h * w)).map { Float($0 + 1) }
        let x = try Tensor(shape: [n, 1, h, w], values: Array((0..<n).map { _ in one }.joined()))
        var rng = Xoshiro256(seed: 7)
        let y = try RandomCrop(height: h, width: w, padding: p).apply(batch(x), rng: &rng).input
        XCTAssertEqual(y.shape, [n, 1, h, w])
        var seen = Set<[Int]>()
        for i in 0..<n {
            let out = Array(y.toFloats()[(i * h * w)..<((i + 1) * h * w)])
            let shifts = (-p...p).flatMap { dy in (-p...p).map { [dy, $0] } }.filter { s in
                (0..<h).allSatisfy { r in (0..<w).allSatisfy { c in
                    let (sr, sc) = (r + s[0], c + s[1])
                    let v: Float = sr >= 0 && sr < h && sc >= 0 && sc < w ? one[sr * w + sc] : 0
                    return out[r * w + c] == v
                } }
            }
            XCTAssertEqual(shifts.count, 1, "sample \(i) is not a single shift")
            seen.formUnion(shifts)
        }
        XCTAssertEqual(seen.count, 9)
        // A crop of the whole padded image is the padded image.
        let full = try RandomCrop(height: h + 2, width: w + 2, padding: 1).apply(batch(try x.narrow(0, 0, 1)), rng: &rng).input
        XCTAssertEqual(try full.select(2, 0).sum().item(), 0)
        XCTAssertEqual(full.value(at: [0, 0, 1, 1]), 1)
        XCTAssertThrowsError(try RandomCrop(height: 9, width: 5, padding: 1).apply(batch(x), rng: &rng)) {
            XCTAssertTrue("\($0)".contains("larger than the padded image 6×7"), "\($0)")
        }
        XCTAssertThrowsError(try RandomCrop(height: 2, width: 2).apply(batch(try Tensor(zeros: [2, 3])), rng: &rng)) {
            XCTAssertTrue("\($0)".contains("expected a batch of images N×C×H×W"), "\($0)")
        }
    }

    func testHorizontalFlip() throws {
        let x = try Tensor(shape: [1, 2, 1, 3], values: [1, 2, 3, 4, 5, 6])
        var rng = Xoshiro256(seed: 3)
        XCTAssertEqual(try HorizontalFlip(p: 1).apply(batch(x), rng: &rng).input.toFloats(), [3, 2, 1, 6, 5, 4])
        XCTAssertEqual(try HorizontalFlip(p: 0).apply(batch(x), rng: &rng).input.toFloats(), [1, 2, 3, 4, 5, 6])
        let many = try x.expand([400, 2, 1, 3]).contiguous()
        let y = try HorizontalFlip(p: 0.5).apply(batch(many), rng: &rng).input.toFloats()
        let flipped = (0..<400).filter { y[$0 * 6] == 3 }.count
        XCTAssertTrue((0..<400).allSatisfy { y[$0 * 6] == 3 || y[$0 * 6] == 1 })
        XCTAssertTrue(flipped > 150 && flipped < 250, "\(flipped) of 400 flipped")
        XCTAssertThrowsError(try HorizontalFlip(p: 2))
    }

    func testComposeAppliesInOrderAndFlattens() throws {
        let x = try Tensor(shape: [1, 1, 1, 2], values: [0, 1])
        var rng = Xoshiro256(seed: 0)
        let c = Compose([try HorizontalFlip(p: 1), Compose([try Normalize(mean: [1], std: [0.5])])])
        XCTAssertEqual(try c.apply(batch(x), rng: &rng).input.toFloats(), [0, -2])
        XCTAssertEqual(Compose.flatten([c]).count, 2)
    }
}
