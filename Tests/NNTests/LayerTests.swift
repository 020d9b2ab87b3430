import XCTest
@testable import Kernels
@testable import NN
@testable import Tensor

/// Gradient checks and hand-computed values for every non-conv layer.
final class LayerTests: XCTestCase {
    func testBatchNorm2dTrainingGradientsAndRunningStats() throws {
        let bn = try BatchNorm2d(3)
        bn.weight!.value = try Tensor(shape: [3], values: [1.5, -0.5, 2])
        bn.bias!.value = try Tensor(shape: [3], values: [0.1, 0.2, -0.3])
        try GradCheck().check(bn, randn([4, 3, 3, 2], seed: 1, scale: 2))
        // Running statistics after one forward on a known batch: channel values 1..4
        // (mean 2.5, biased var 1.25, unbiased 5/3); momentum 0.1 from (0, 1).
        let bn2 = try BatchNorm2d(1)
        _ = try bn2.forward(try Tensor(shape: [4, 1, 1, 1], values: [1, 2, 3, 4]))
        XCTAssertEqual(bn2.runningMean.ptr[0], 0.25, accuracy: 1e-6)
        XCTAssertEqual(bn2.runningVar.ptr[0], Float(0.9 + 0.1 * 5.0 / 3.0), accuracy: 1e-6)
        XCTAssertEqual(bn2.numBatchesTracked.iptr[0], 1)
        // Training output: (x − 2.5)/√(1.25 + 1e-5)
        let y = try bn2.forward(try Tensor(shape: [4, 1, 1, 1], values: [1, 2, 3, 4]))
        XCTAssertEqual(y.ptr[0], Float(-1.5 / (1.25 + 1e-5).squareRoot()), accuracy: 1e-5)
    }

    func testBatchNormEvalUsesRunningStats() throws {
        let bn = try BatchNorm2d(2)
        bn.runningMean = try Tensor(shape: [2], values: [1, -1])
        bn.runningVar = try Tensor(shape: [2], values: [4, 0.25])
        bn.weight!.value = try Tensor(shape: [2], values: [2, 1])
        bn.bias!.value = try Tensor(shape: [2], values: [0, 3])
        bn.eval()
        let y = try bn.forward(try Tensor(shape: [1, 2, 1, 1], values: [3, 0]))
        XCTAssertEqual(y.ptr[0], Float(2 * 2 / (4 + 1e-5).squareRoot()), accuracy: 1e-5)
        XCTAssertEqual(y.ptr[1], Float(1 / (0.25 + 1e-5).squareRoot() + 3), accuracy: 1e-5)
        XCTAssertEqual(bn.numBatchesTracked.iptr[0], 0, "eval does not update statistics")
        try GradCheck().check(bn, randn([2, 2, 3, 3], seed: 2))
    }

    func testBatchNorm1dTwoAndThreeDims() throws {
        let bn = try BatchNorm1d(4)
        try GradCheck().check(bn, randn([5, 4], seed: 3))
        try GradCheck().check(try BatchNorm1d(3, affine: false), randn([2, 3, 4], seed: 4))
        XCTAssertThrowsError(try bn.forward(try Tensor(zeros: [1, 4])))       // one value per channel
        XCTAssertThrowsError(try bn.forward(try Tensor(zeros: [2, 3])))       // wrong features
        XCTAssertEqual(bn.description, "BatchNorm1d(4, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)")
    }

    func testLinear() throws {
        let l = try Linear(5, 3)
        try GradCheck().check(l, randn([4, 5], seed: 5))
        try GradCheck().check(try Linear(3, 2, bias: false), randn([2, 2, 3], seed: 6))
        l.weight.value = try Tensor(shape: [3, 5], values: (0..<15).map(Float.init))
        l.bias!.value = try Tensor(shape: [3], values: [1, 2, 3])
        let y = try l.forward(try Tensor(shape: [1, 5], values: [1, 0, 0, 0, 1]))
        XCTAssertEqual(y.toFloats(), [5, 16, 27] as [Float])   // rows 0..4, 5..9, 10..14: first + last + bias
        XCTAssertThrowsError(try l.forward(try Tensor(zeros: [2, 4])))
        XCTAssertEqual(l.description, "Linear(in_features=5, out_features=3, bias=True)")
    }

    func testActivations() throws {
        // Values away from the kinks (0 for ReLU/LeakyReLU, 0 and 6 for ReLU6).
        let x = distinct([2, 3, 4], seed: 7, step: 0.55)
        try GradCheck().check(ReLU(), x)
        try GradCheck().check(ReLU6(), x)
        try GradCheck().check(LeakyReLU(negativeSlope: 0.2), x)
        let v = try Tensor(shape: [4], values: [-2, 0.5, 3, 7])
        XCTAssertEqual(try ReLU().forward(v).toFloats(), [0, 0.5, 3, 7])
        XCTAssertEqual(try ReLU6().forward(v).toFloats(), [0, 0.5, 3, 6])
        XCTAssertEqual(try LeakyReLU(negativeSlope: 0.1).forward(v).toFloats(), [-0.2, 0.5, 3, 7])
    }

    func testMaxPool() throws {
        let x = distinct([2, 2, 5, 5], seed: 8)
        try GradCheck().check(try MaxPool2d(kernelSize: (2, 2)), x)
        try GradCheck().check(try MaxPool2d(kernelSize: (3, 3), stride: (2, 2), padding: (1, 1)), x)
        try GradCheck().check(try MaxPool2d(kernelSize: (2, 2), ceilMode: true), x)
        let p = try MaxPool2d(kernelSize: (2, 2))
        let y = try p.forward(try Tensor(shape: [1, 1, 2, 4], values: [1, 5, 2, 0, 3, 4, 8, 7]))
        XCTAssertEqual(y.toFloats(), [5, 8])
        XCTAssertEqual(try MaxPool2d(kernelSize: (2, 2), ceilMode: true).forward(try Tensor(zeros: [1, 1, 5, 5])).shape, [1, 1, 3, 3])
        XCTAssertEqual(try MaxPool2d(kernelSize: (3, 3), stride: (2, 2), padding: (1, 1)).forward(try Tensor(zeros: [1, 1, 112, 112])).shape, [1, 1, 56, 56])
    }

    func testAvgPools() throws {
        let x = randn([2, 3, 5, 6], seed: 9)
        try GradCheck().check(try AvgPool2d(kernelSize: (2, 2)), x)
        try GradCheck().check(try AvgPool2d(kernelSize: (3, 3), stride: (2, 2), padding: (1, 1)), x)
        try GradCheck().check(try AvgPool2d(kernelSize: (3, 3), stride: (2, 2), padding: (1, 1), countIncludePad: false), x)
        try GradCheck().check(try AdaptiveAvgPool2d(outputSize: (1, 1)), x)
        try GradCheck().check(try AdaptiveAvgPool2d(outputSize: (3, 4)), x)
        // Padded corner window of a 2x2 input with k=3, s=2, p=1: sum 1+2+3+4 over 9
        // (count_include_pad) or over 4.
        let v = try Tensor(shape: [1, 1, 2, 2], values: [1, 2, 3, 4])
        XCTAssertEqual(try AvgPool2d(kernelSize: (3, 3), stride: (2, 2), padding: (1, 1)).forward(v).toFloats()[0], 10 / 9, accuracy: 1e-6)
        XCTAssertEqual(try AvgPool2d(kernelSize: (3, 3), stride: (2, 2), padding: (1, 1), countIncludePad: false).forward(v).toFloats()[0], 2.5, accuracy: 1e-6)
        // Adaptive 5 -> 3 windows [0,2), [1,4), [3,5).
        let r = try Tensor(shape: [1, 1, 1, 5], values: [1, 2, 3, 4, 5])
        XCTAssertEqual(try AdaptiveAvgPool2d(outputSize: (1, 3)).forward(r).toFloats(), [1.5, 3, 4.5])
    }

    func testFlattenDropoutIdentity() throws {
        try GradCheck().check(Flatten(), randn([2, 3, 2, 2], seed: 10))
        XCTAssertEqual(try Flatten().forward(try Tensor(zeros: [2, 3, 4, 5])).shape, [2, 60])
        XCTAssertEqual(try Flatten(startDim: 2).forward(try Tensor(zeros: [2, 3, 4, 5])).shape, [2, 3, 20])
        let d = try Dropout(p: 0.3)
        var check = GradCheck()
        check.beforeForward = { Random.manualSeed(5) }
        try check.check(d, randn([4, 8], seed: 11))
        Random.manualSeed(5)
        let y = try d.forward(try Tensor(shape: [1000], values: [Float](repeating: 1, count: 1000)))
        let kept = y.toFloats().filter { $0 != 0 }
        XCTAssertTrue(kept.allSatisfy { abs($0 - 1 / 0.7) < 1e-5 })
        XCTAssertGreaterThan(kept.count, 600); XCTAssertLessThan(kept.count, 800)
        d.eval()
        let x = randn([3], seed: 1)
        XCTAssertTrue(try d.forward(x) === x)
        try GradCheck().check(Identity(), randn([2, 2], seed: 12))
        XCTAssertThrowsError(try Dropout(p: 1.5))
    }

    func testShortcutA() throws {
        let s = try ShortcutA(stride: 2, padBefore: 2, padAfter: 1)
        try GradCheck().check(s, randn([2, 3, 4, 5], seed: 13))
        let x = try Tensor(shape: [1, 1, 2, 2], values: [1, 2, 3, 4])
        let y = try s.forward(x)
        XCTAssertEqual(y.shape, [1, 4, 1, 1])
        XCTAssertEqual(y.toFloats(), [0, 0, 1, 0])
    }

    func testBackwardWithoutForwardIsAnError() throws {
        XCTAssertThrowsError(try ReLU().backward(try Tensor(zeros: [2])))
        XCTAssertThrowsError(try BatchNorm2d(2).backward(try Tensor(zeros: [1, 2, 1, 1])))
        let l = try Linear(2, 2)
        try GradMode.withoutGrad { _ = try l.forward(try Tensor(zeros: [1, 2])) }
        XCTAssertThrowsError(try l.backward(try Tensor(zeros: [1, 2])))
    }
}
