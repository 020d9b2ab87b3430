import Foundation
import XCTest
@testable import Kernels
import Tensor

final class EntropyTests: XCTestCase {
    func testHistogramEntropyByHand() throws {
        // map 0: constant -> 0 bits; map 1: 0..255 (one value per bin) -> 8 bits;
        // map 2: half 0, half 1 -> 1 bit; map 3: values 0, 0, 1, 2 repeated -> 1.5 bits
        let constant = [Float](repeating: 3.5, count: 256)
        let uniform = (0..<256).map { Float($0) }
        let two = (0..<256).map { Float($0 % 2) }
        let three = (0..<256).map { Float([0, 0, 1, 2][$0 % 4]) }
        let x = try Tensor(shape: [2, 2, 16, 16], values: constant + uniform + two + three)
        let h = try x.histogramEntropy(bins: 256, base: 2).toFloats()
        XCTAssertEqual(h, [0, 8, 1, 1.5])
        // in nats; and 0..255 in 3 bins with edges 0, 85, 170, 255: 85, 85 and 86 values
        XCTAssertEqual(try x.histogramEntropy(bins: 256, base: M_E).toFloats()[2], Float(log(2.0)), accuracy: 1e-6)
        let q = -(2 * (85.0 / 256) * log2(85.0 / 256) + (86.0 / 256) * log2(86.0 / 256))
        XCTAssertEqual(try x.histogramEntropy(bins: 3).toFloats()[1], Float(q), accuracy: 1e-6)
    }

    func testLastBinClosedAndEdges() throws {
        // numpy.histogram([0, 1, 2, 3], bins=3): edges 0, 1, 2, 3 -> counts 1, 1, 2
        let x = try Tensor(shape: [1, 4], values: [0, 1, 2, 3])
        let expected = -(0.25 * log2(0.25) * 2 + 0.5 * log2(0.5))
        XCTAssertEqual(try x.histogramEntropy(bins: 3).toFloats()[0], Float(expected), accuracy: 1e-6)
    }

    /// Values near the float maximum: max − min overflows float32 (the entropy was 0).
    func testRangeOverflowingFloat() throws {
        // numpy.histogram(np.float64 values, bins=3): edges −3e38, −1e38, 1e38, 3e38 -> counts 1, 1, 2
        let x = try Tensor(shape: [1, 4], values: [-3e38, -1e38, 1.5e38, 3e38])
        let expected = -(0.25 * log2(0.25) * 2 + 0.5 * log2(0.5))
        XCTAssertEqual(try x.histogramEntropy(bins: 3).toFloats()[0], Float(expected), accuracy: 1e-6)
        // 256 evenly spread values in 256 bins: 8 bits
        let wide = try Tensor(shape: [1, 256], values: (0..<256).map { Float(-3.3e38 + Double($0) * 6.6e38 / 255) })
        XCTAssertEqual(try wide.histogramEntropy(bins: 256, base: 2).toFloats()[0], 8, accuracy: 1e-5)
    }

    func testPerChannelAndPooled() throws {
        // channel 0 over both images: values {0, 1} half each -> 1 bit; channel 1 constant -> 0
        let x = try Tensor(shape: [2, 2, 1, 2], values: [0, 1, 5, 5, 1, 0, 5, 5])
        XCTAssertEqual(try x.channelHistogramEntropy().toFloats(), [1, 0])
        // pooled: per-image means of channel 0 are 0, 0, 1, 1 -> 1 bit; channel 1 all equal -> 0
        let y = try Tensor(shape: [4, 2, 1, 1], values: [0, 2, 0, 2, 1, 2, 1, 2])
        XCTAssertEqual(try y.pooledEntropy().toFloats(), [1, 0])
    }

    func testSoftmaxEntropyByHand() throws {
        // logits (ln 3, 0, 0, 0): p = (1/2, 1/6, 1/6, 1/6), H = ½ ln 2 + ½ ln 6 nats
        let x = try Tensor(shape: [1, 1, 2, 2], values: [Float(log(3.0)), 0, 0, 0])
        let h = try x.softmaxEntropy(base: M_E, logits: .values).toFloats()[0]
        XCTAssertEqual(h, Float(0.5 * log(2.0) + 0.5 * log(6.0)), accuracy: 1e-6)
        // a constant map is uniform under both logits: log2(4) = 2 bits (the maximum)
        let c = try Tensor(shape: [2, 2, 2], values: [Float](repeating: 1.5, count: 8))
        XCTAssertEqual(try c.softmaxEntropy().toFloats(), [2, 2])
        XCTAssertEqual(try c.softmaxEntropy(logits: .values).toFloats(), [2, 2])
        // squared deviation: x = (1, -1, 1, -1) gives equal logits -> 2 bits
        let d = try Tensor(shape: [2, 2], values: [1, -1, 1, -1])
        XCTAssertEqual(try d.softmaxEntropy().toFloats()[0], 2, accuracy: 1e-6)
        // 11 pixels exercise the vector tail: uniform -> log2(11)
        let e = try Tensor(shape: [1, 11], values: [Float](repeating: -4, count: 11))
        XCTAssertEqual(try e.softmaxEntropy(logits: .values).toFloats()[0], Float(log2(11.0)), accuracy: 1e-5)
    }

    func testErrors() throws {
        let x = try Tensor(shape: [1, 2, 2], values: [0, .nan, 1, 2])
        XCTAssertThrowsError(try x.histogramEntropy()) { XCTAssertTrue("\($0)".contains("NaN"), "\($0)") }
        XCTAssertThrowsError(try x.softmaxEntropy()) { XCTAssertTrue("\($0)".contains("NaN"), "\($0)") }
        XCTAssertThrowsError(try Tensor(shape: [2, 2], values: [0, .infinity, 1, 2]).histogramEntropy())
        XCTAssertThrowsError(try Tensor(shape: [2, 2], values: [0, -.infinity, 1, 2]).softmaxEntropy(logits: .values))
        XCTAssertThrowsError(try Tensor(shape: [2, 2], values: [0, 1, 1, 2]).histogramEntropy(bins: 0))
        XCTAssertThrowsError(try Tensor(shape: [2, 2], values: [0, 1, 1, 2]).histogramEntropy(base: 1))
        XCTAssertThrowsError(try Tensor(shape: [4], values: [0, 1, 1, 2]).histogramEntropy())
    }
}
