@testable import Kernels
import XCTest

/// `BLASCore.override`: when the command line re-runs itself on better OpenBLAS kernels.
final class BLASCoreTests: XCTestCase {
    func testGenericFallbackIsReplacedByWhatTheCPUCanRun() {
        XCTAssertEqual(BLASCore.override(coreName: "Prescott", environment: [:], avx512: true, avx2FMA: true), "SkylakeX")
        XCTAssertEqual(BLASCore.override(coreName: "PRESCOTT", environment: [:], avx512: false, avx2FMA: true), "Haswell")
        // A CPU without AVX2 + FMA keeps the generic kernels: nothing better would run.
        XCTAssertNil(BLASCore.override(coreName: "Prescott", environment: [:], avx512: false, avx2FMA: false))
    }

    func testAKnownCoreOrTheUsersChoiceIsKept() {
        for core in ["Haswell", "SkylakeX", "Cooperlake", "Zen", "SapphireRapids"] {
            XCTAssertNil(BLASCore.override(coreName: core, environment: [:], avx512: true, avx2FMA: true), core)
        }
        // The user's OPENBLAS_CORETYPE, even one OpenBLAS ignored, is never overridden ...
        XCTAssertNil(BLASCore.override(coreName: "Prescott", environment: ["OPENBLAS_CORETYPE": "Prescott"],
                                       avx512: true, avx2FMA: true))
        // ... nor is anything after TOPIARY_BLAS_CORE=0, or a second time after the re-exec.
        XCTAssertNil(BLASCore.override(coreName: "Prescott", environment: ["TOPIARY_BLAS_CORE": "0"],
                                       avx512: true, avx2FMA: true))
        XCTAssertNil(BLASCore.override(coreName: "Prescott", environment: [BLASCore.chosenVariable: "SkylakeX"],
                                       avx512: true, avx2FMA: true))
        XCTAssertEqual(BLASCore.override(coreName: "Prescott", environment: ["TOPIARY_BLAS_CORE": "1"],
                                         avx512: true, avx2FMA: true), "SkylakeX")
    }

    /// `topiary bench` drops a machine's OPENBLAS_CORETYPE but keeps the one topiary chose.
    func testOwnChoiceIsToldApart() {
        XCTAssertTrue(BLASCore.isOwnChoice(["OPENBLAS_CORETYPE": "SkylakeX", BLASCore.chosenVariable: "SkylakeX"]))
        XCTAssertFalse(BLASCore.isOwnChoice(["OPENBLAS_CORETYPE": "Haswell", BLASCore.chosenVariable: "SkylakeX"]))
        XCTAssertFalse(BLASCore.isOwnChoice(["OPENBLAS_CORETYPE": "Haswell"]))
        XCTAssertFalse(BLASCore.isOwnChoice([BLASCore.chosenVariable: "SkylakeX"]))
    }
}
