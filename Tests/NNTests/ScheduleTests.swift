import XCTest
@testable import NN

/// Learning rates at epochs t = 0, 1, … from torch 2.13's schedulers (base lr 0.1, one
/// scheduler.step() per epoch), anchors venv.
final class ScheduleTests: XCTestCase {
    func check(_ s: Schedule, _ expected: [Double], file: StaticString = #filePath, line: UInt = #line) throws {
        try s.validate()
        for (t, e) in expected.enumerated() {
            XCTAssertEqual(s.lr(base: 0.1, t: t), e, accuracy: 1e-11, "\(s) at t = \(t)", file: file, line: line)
        }
    }

    let cosine = [0.1, 0.0975772975566, 0.0905463412216, 0.0795953699885, 0.0657963412216, 0.0505, 0.0352036587784,
                  0.0214046300115, 0.0104536587784, 0.00342270244339, 0.001, 0.00342270244339, 0.0104536587784,
                  0.0214046300115, 0.0352036587784, 0.0505, 0.0657963412216, 0.0795953699885, 0.0905463412216,
                  0.0975772975566, 0.1]

    func testAgainstPyTorch() throws {
        try check(.step(size: 3, gamma: 0.5), [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025])
        try check(.multistep(milestones: [2, 4, 4], gamma: 0.1), [0.1, 0.1, 0.01, 0.01, 0.0001, 0.0001, 0.0001])
        try check(.cosine(tMax: 10, etaMin: 0.001), cosine)
        try check(.exponential(gamma: 0.9), [0.1, 0.09, 0.081, 0.0729])
        try check(.linear(start: 0.25, end: 1, total: 4), [0.025, 0.04375, 0.0625, 0.08125, 0.1, 0.1, 0.1])
        try check(.warmup(epochs: 5, start: 0.2, then: .cosine(tMax: 10, etaMin: 0.001)),
                  [0.02, 0.036, 0.052, 0.068, 0.084] + cosine.prefix(16))
        try check(.warmup(epochs: 3, start: 0.2, then: .multistep(milestones: [2, 4], gamma: 0.1)),
                  [0.02, 0.0466666666667, 0.0733333333333, 0.1, 0.1, 0.01, 0.01, 0.001, 0.001])
        try check(.constant, [0.1, 0.1])
    }

    func testValidation() {
        for (s, m) in [(Schedule.step(size: 0, gamma: 0.1), "step_size must be positive"),
                       (.cosine(tMax: 0, etaMin: 0), "t_max must be positive"),
                       (.multistep(milestones: [-1], gamma: 0.1), "milestones must be non-negative"),
                       (.warmup(epochs: 2, start: 0, then: .constant), "start_factor must be in (0, 1]"),
                       (.warmup(epochs: 2, start: 0.5, then: .linear(start: 1, end: 2, total: 3)), "end_factor must be in [0, 1]")] {
            XCTAssertThrowsError(try s.validate()) { XCTAssertTrue("\($0)".contains(m), "'\($0)' lacks '\(m)'") }
        }
    }
}
