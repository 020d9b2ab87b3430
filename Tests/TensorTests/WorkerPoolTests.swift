import Foundation
import Synchronization
import XCTest
@testable import Tensor

/// `Parallel.forEach` on `WorkerPool`: every iteration exactly once whatever the count and
/// thread count, nested and concurrent calls, many short jobs back to back (a lost wake-up
/// would hang here), and the same partitions as on concurrentPerform.
final class WorkerPoolTests: XCTestCase {
    private var saved = (threads: 0, pool: true)
    override func setUp() { saved = (Parallel.threads, Parallel.usesWorkerPool) }
    override func tearDown() { Parallel.threads = saved.threads; Parallel.usesWorkerPool = saved.pool }

    /// Runs forEach(n) and returns how often each index ran.
    private func counts(_ n: Int) -> [Int] {
        let hits = Mutex([Int](repeating: 0, count: n))
        Parallel.forEach(n) { i in hits.withLock { $0[i] += 1 } }
        return hits.withLock { $0 }
    }

    func testEveryIterationOnce() {
        Parallel.usesWorkerPool = true
        for threads in [1, 2, 3, 8] {
            Parallel.threads = threads
            for n in [0, 1, 2, 3, 7, 64, 1000] {
                XCTAssertEqual(counts(n), [Int](repeating: 1, count: n), "threads \(threads), n \(n)")
            }
        }
    }

    func testIterationsRunOnSeveralThreads() {
        Parallel.usesWorkerPool = true
        Parallel.threads = 2
        // each iteration waits until both have started: only two threads at once get through
        var together = 0
        for _ in 0..<20 {
            let started = Atomic<Int>(0), met = Atomic<Int>(0)
            Parallel.forEach(2) { _ in
                started.add(1, ordering: .sequentiallyConsistent)
                let until = Date().addingTimeInterval(0.2)
                while started.load(ordering: .sequentiallyConsistent) < 2 && Date() < until {}
                if started.load(ordering: .sequentiallyConsistent) == 2 { met.add(1, ordering: .relaxed) }
            }
            if met.load(ordering: .relaxed) == 2 { together += 1 }
        }
        XCTAssertGreaterThan(together, 10, "the two iterations of a job ran on two threads at once in \(together) of 20 jobs")
    }

    func testNestedCallsRunInline() {
        Parallel.usesWorkerPool = true
        Parallel.threads = 2
        let hits = Mutex([Int](repeating: 0, count: 12))
        Parallel.forEach(3) { i in
            Parallel.forEach(4) { j in hits.withLock { $0[4 * i + j] += 1 } }
        }
        XCTAssertEqual(hits.withLock { $0 }, [Int](repeating: 1, count: 12))
    }

    func testConcurrentCallersAndManyShortJobs() {
        Parallel.usesWorkerPool = true
        Parallel.threads = 2
        let total = Atomic<Int>(0), done = DispatchGroup()
        for _ in 0..<3 {
            done.enter()
            Thread.detachNewThread {
                for _ in 0..<3000 { Parallel.forEach(2) { i in total.add(i + 1, ordering: .relaxed) } }
                done.leave()
            }
        }
        XCTAssertEqual(done.wait(timeout: .now() + 60), .success, "jobs did not finish")
        XCTAssertEqual(total.load(ordering: .relaxed), 3 * 3000 * 3)
        // after a pause long enough for the workers to sleep, jobs still start
        Thread.sleep(forTimeInterval: 0.05)
        XCTAssertEqual(counts(5), [1, 1, 1, 1, 1])
    }

    func testSameResultsAsConcurrentPerform() {
        Parallel.threads = 2
        let x = (0..<100_003).map { Float(($0 * 7919) % 1000) / 997 }
        var sums: [[Float]] = []
        for pool in [false, true] {
            Parallel.usesWorkerPool = pool
            var parts = [Float](repeating: 0, count: 2)
            parts.withUnsafeMutableBufferPointer { out in
                let o = out.baseAddress!
                Parallel.ranges(x.count, grain: 1000) { lo, hi in
                    var s: Float = 0
                    for i in lo..<hi { s += x[i] }
                    o[lo == 0 ? 0 : 1] = s
                }
            }
            sums.append(parts)
        }
        XCTAssertEqual(sums[0].map(\.bitPattern), sums[1].map(\.bitPattern))
    }
}
