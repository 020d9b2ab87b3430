import Foundation
import Synchronization

/// The threads behind `Parallel.forEach`: `threads − 1` workers of our own that, after a
/// job, wait for the next one spinning for `spinMicroseconds` before they sleep, so the
/// short parallel regions a network runs back to back (a layer, a BatchNorm pass) start on
/// every core at once.
///
/// Why not `DispatchQueue.concurrentPerform`: on this project's 2-core VMs its worker woke so
/// late that the calling thread usually ran both halves of a job itself. Zen 5 (family 26
/// model 2), two iterations of a 100 µs busy loop each, back to back: 251–264 µs with
/// concurrentPerform (the second iteration on the calling thread in 1863 of 2000 calls), 105 µs
/// here; of 1000 µs each, 1421–2221 µs against 1012. `topiary bench train --ab workers`, two
/// threads, 6 rounds (paired medians): train_step/resnet56 1.10×, resnet56_pruned50 1.11×,
/// vgg16_bn 1.07×, inference 1.01–1.08×; criterion/taylor 1.07× (10 rounds).
///
/// A job is `body(i)` for every i < n exactly once, in any order on any of the threads. A
/// call made while a job runs (from inside a body, or from a second thread) runs its
/// iterations on the calling thread, one after another.
final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool()

    /// How long an idle worker watches for the next job before it sleeps:
    /// `TOPIARY_SPIN_US`, else 200 µs; none when there are more threads than cores.
    static let spinMicroseconds: Int = Int(ProcessInfo.processInfo.environment["TOPIARY_SPIN_US"] ?? "") ?? 200

    /// Bumped to publish a job; a worker runs each generation at most once.
    private let generation = Atomic<Int>(0)
    /// The generation whose job is open to workers joining it, or −1.
    private let open = Atomic<Int>(-1)
    /// Workers inside the open job (the caller returns only when none is).
    private let active = Atomic<Int>(0)
    private let nextIndex = Atomic<Int>(0)
    private let finished = Atomic<Int>(0)
    private let busy = Atomic<Bool>(false)
    /// The job: valid while `open` holds its generation; workers 1…`helpers` take part.
    nonisolated(unsafe) private var body: ((Int) -> Void)?
    nonisolated(unsafe) private var count = 0
    nonisolated(unsafe) private var helpers = 0
    /// The workers started so far (worker w at w − 1), under `starting`.
    nonisolated(unsafe) private var workers: [Worker] = []
    private let starting = NSLock()

    /// One worker's sleep: a worker asleep waits on its own condition, so a job wakes
    /// only the workers it uses (after `Parallel.threads` went down, the others sleep on).
    private final class Worker: @unchecked Sendable {
        let wake = NSCondition()
        var asleep = false   // under `wake`
    }

    /// Runs `body(i)` for i < n on the calling thread and up to `helpers` workers.
    func run(_ n: Int, helpers wanted: Int, _ body: (Int) -> Void) {
        guard n > 1, wanted > 0, busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            for i in 0..<n { body(i) }
            return
        }
        defer { busy.store(false, ordering: .releasing) }
        startWorkers(wanted)
        withoutActuallyEscaping(body) { body in
            self.body = body
            count = n
            helpers = wanted
            nextIndex.store(0, ordering: .relaxed)
            finished.store(0, ordering: .relaxed)
            let g = generation.load(ordering: .relaxed) + 1
            open.store(g, ordering: .sequentiallyConsistent)
            generation.store(g, ordering: .sequentiallyConsistent)
            for w in workers.prefix(wanted) {
                w.wake.lock()
                if w.asleep { w.wake.signal() }
                w.wake.unlock()
            }
            work()
            var spins = 0
            while finished.load(ordering: .acquiring) < n { spins += 1; if spins & 1023 == 0 { sched_yield() } }
            // close the job, then wait for workers that joined it to leave before `body` dies
            open.store(-1, ordering: .sequentiallyConsistent)
            while active.load(ordering: .sequentiallyConsistent) > 0 { sched_yield() }
            self.body = nil
        }
    }

    /// Takes iterations of the open job until none is left.
    private func work() {
        while true {
            let i = nextIndex.add(1, ordering: .relaxed).oldValue
            guard i < count else { return }
            body!(i)
            finished.add(1, ordering: .releasing)
        }
    }

    private func startWorkers(_ wanted: Int) {
        starting.lock()
        defer { starting.unlock() }
        while workers.count < wanted {
            let w = Worker(), index = workers.count + 1
            workers.append(w)
            let t = Thread { [self] in workerLoop(w, index) }
            t.stackSize = 8 << 20
            t.name = "topiary-worker-\(index)"
            t.start()
        }
    }

    private func workerLoop(_ me: Worker, _ index: Int) {
        var seen = generation.load(ordering: .acquiring)
        let cores = ProcessInfo.processInfo.activeProcessorCount
        while true {
            // watch for the next job while this worker is in use and has a core to itself,
            // then sleep until a job that uses it wakes it
            let threads = Parallel.threads
            let spinNanos = UInt64(cores >= threads && index < threads ? Self.spinMicroseconds : 0) * 1000
            let until = DispatchTime.now().uptimeNanoseconds + spinNanos
            var spins = 0, g = generation.load(ordering: .acquiring)
            while g == seen && spinNanos > 0 {
                spins += 1
                if spins & 255 == 0 && DispatchTime.now().uptimeNanoseconds >= until { break }
                g = generation.load(ordering: .acquiring)
            }
            if g == seen {
                me.wake.lock()
                me.asleep = true
                while generation.load(ordering: .acquiring) == seen { me.wake.wait() }
                me.asleep = false
                me.wake.unlock()
                g = generation.load(ordering: .acquiring)
            }
            seen = g
            active.add(1, ordering: .sequentiallyConsistent)
            if open.load(ordering: .sequentiallyConsistent) == g && index <= helpers { work() }
            active.subtract(1, ordering: .sequentiallyConsistent)
        }
    }
}
