import ArgumentParser
import Foundation
import Kernels
import Text

/// `topiary bench`: JSON lines in the format of ../shared/bench, with the same case
/// names, so `summarize.py anchors.jsonl --ours ours.jsonl` prints ratios.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks printing JSON lines (same cases as ../shared/bench).",
        discussion: """
        `--compare anchors.jsonl` prints, after the JSON lines, the table of best peer / ours
        per case and thread count (lines not starting with "{", so the output still loads as
        JSON lines); with `--ours ours.jsonl` it compares an earlier run without timing.
        Knobs: ANCHOR_THREADS=1,2  ANCHOR_ONLY=substr,...  ANCHOR_BUDGET_S=2  ANCHOR_QUICK=1
        Like the anchor scripts (common.clean_openblas_env), the benchmark re-executes itself
        without OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE, so OpenBLAS picks its kernels for this
        CPU as numpy's does (where it falls back to its generic kernels, topiary's own choice,
        BLASCore, stays); ANCHOR_KEEP_OPENBLAS_ENV=1 keeps them. The first line (case
        "env") names the OpenBLAS kernel family in use.
        """)

    @Argument(help: "Suites to run (default: all): \(BenchSuites.names.joined(separator: ", ")).")
    var suites: [String] = []

    @Flag(help: "List the case names and exit.") var list = false

    @Option(help: ArgumentHelp("Anchors JSONL (../shared/bench output): after the run, print the ratio table, best peer / ours per case and thread count.", valueName: "file"))
    var compare: String?

    @Option(help: ArgumentHelp("With --compare: take our results from this JSONL (an earlier `topiary bench` output) instead of running.", valueName: "file"))
    var ours: String?

    @Option(help: ArgumentHelp("A/B: time each case alternately with this switch off and on (\(BenchAB.names)) and print the speed-up of 'on'.", valueName: "switch"))
    var ab: String?

    func validate() throws {
        if let ab, BenchAB.lookup(ab) == nil {
            throw ValidationError("unknown --ab switch '\(ab)'; known: \(BenchAB.names)")
        }
        for s in suites where !BenchSuites.names.contains(s) {
            throw ValidationError("unknown suite '\(s)'; known: \(BenchSuites.names.joined(separator: ", "))")
        }
        if ours != nil && compare == nil { throw ValidationError("--ours needs --compare") }
    }

    func run() throws {
        if let compare, let ours {
            print(BenchCompare.table(anchors: try BenchCompare.load(compare), ours: try BenchCompare.load(ours)), terminator: "")
            return
        }
        let anchors = try compare.map { try BenchCompare.load($0) }   // unreadable: fail before timing
        if !list { Bench.cleanOpenBLASEnvironment() }
        let chosen = suites.isEmpty ? BenchSuites.names : suites
        let cases = chosen.flatMap { BenchSuites.cases(for: $0) }
        if list { for c in cases { print(c.name) }; return }
        emitEnvironment()
        if let ab { BenchAB.run(cases, switch: ab, harness: BenchHarness()); return }
        let records = BenchHarness().run(cases)
        if let anchors { print("\n" + BenchCompare.table(anchors: anchors, ours: records), terminator: "") }
    }

    /// OpenBLAS reads OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE when it is loaded, before main,
    /// so dropping them means running again: exec this program with the same arguments.
    static func cleanOpenBLASEnvironment() {
        let env = ProcessInfo.processInfo.environment
        let ownCore = BLASCore.isOwnChoice(env)   // not the machine's: keep it
        guard env["ANCHOR_KEEP_OPENBLAS_ENV"] != "1",
              (env["OPENBLAS_CORETYPE"] != nil && !ownCore) || env["OPENBLAS_L2_SIZE"] != nil else { return }
        if !ownCore {
            unsetenv("OPENBLAS_CORETYPE")
            unsetenv(BLASCore.chosenVariable)   // after the exec, `BLASCore` may choose again
        }
        unsetenv("OPENBLAS_L2_SIZE")
        setenv("ANCHOR_OPENBLAS_ENV_REMOVED", "1", 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // exec failed: go on in this process, with the variables still in effect for OpenBLAS.
        FileHandle.standardError.write(Data("bench: could not re-execute without OPENBLAS_* (\(errno)); timing as is\n".utf8))
    }

    /// The `env` line: the processor, which OpenBLAS kernels run, and whether the environment
    /// was cleaned.
    func emitEnvironment() {
        let env = ProcessInfo.processInfo.environment
        func q(_ s: String?) -> JSON { s.map { .string($0) } ?? .null }
        print(JSON.object([("case", .string("env")), ("impl", .string("topiary bench")), ("threads", .null), ("shape", .null),
                           ("median_ms", .null), ("gflops", .null), ("cpu", q(CPU.identity)), ("openblas_core", q(BLAS.coreName)),
                           ("openblas_config", q(BLAS.config)), ("OPENBLAS_CORETYPE", q(env["OPENBLAS_CORETYPE"])),
                           ("openblas_env_removed", .bool(env["ANCHOR_OPENBLAS_ENV_REMOVED"] == "1"))]).line)
    }
}

/// The suites `topiary bench` knows; each file under Bench/ contributes one.
enum BenchSuites {
    static let names = ["gemm", "elementwise", "conv", "train", "dwt", "fmstats", "prune", "criteria", "zoo"]

    static func cases(for suite: String) -> [BenchCase] {
        switch suite {
        case "gemm": return gemmCases
        case "elementwise": return elementwiseCases
        case "conv": return convCases
        case "dwt": return dwtCases
        case "fmstats": return fmstatsCases
        case "train": return trainCases
        case "prune": return pruneCases
        case "criteria": return criteriaCases
        case "zoo": return zooCases
        default: return []
        }
    }
}
