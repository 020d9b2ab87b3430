import ArgumentParser

/// `topiary bench`: JSON lines in the format of ../shared/bench, with the same case
/// names, so `summarize.py anchors.jsonl --ours ours.jsonl` prints ratios.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks printing JSON lines (same cases as ../shared/bench).",
        discussion: "Knobs: ANCHOR_THREADS=1,2  ANCHOR_ONLY=substr,...  ANCHOR_BUDGET_S=2  ANCHOR_QUICK=1")

    @Argument(help: "Suites to run (default: all): \(BenchSuites.names.joined(separator: ", ")).")
    var suites: [String] = []

    @Flag(help: "List the case names and exit.") var list = false

    func validate() throws {
        for s in suites where !BenchSuites.names.contains(s) {
            throw ValidationError("unknown suite '\(s)'; known: \(BenchSuites.names.joined(separator: ", "))")
        }
    }

    func run() throws {
        let chosen = suites.isEmpty ? BenchSuites.names : suites
        let cases = chosen.flatMap { BenchSuites.cases(for: $0) }
        if list { for c in cases { print(c.name) }; return }
        BenchHarness().run(cases)
    }
}

/// The suites `topiary bench` knows; each file under Bench/ contributes one.
enum BenchSuites {
    static let names = ["gemm", "elementwise", "conv", "train"]

    static func cases(for suite: String) -> [BenchCase] {
        switch suite {
        case "gemm": return gemmCases
        case "elementwise": return elementwiseCases
        case "conv": return convCases
        case "train": return trainCases
        default: return []
        }
    }
}
