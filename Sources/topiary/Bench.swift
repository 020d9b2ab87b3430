import ArgumentParser

/// `topiary bench`: JSON-line benchmarks in the format of ../shared/bench.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Benchmarks printing JSON lines.")
    func run() throws {
        throw ValidationError("bench: not built yet")
    }
}
