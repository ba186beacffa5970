import Foundation
import Synchronization

/// The engine's parallel regions (`Threads.perform`): `Threads.count − 1` worker threads that, after a region,
/// spin for a while before they sleep, so the next region (a step runs several hundred, back to back) starts
/// without waking a thread. `DispatchQueue.concurrentPerform` wakes its workers through the kernel for each
/// region, 10–25 µs each on a 2-core EPYC, which added up to several percent of a step.
///
/// One region at a time: a region started while another runs (another thread, or from inside a region) goes
/// to `concurrentPerform` instead. Iterations are claimed one by one from a counter, by the caller and the
/// workers alike, so which thread runs which iteration varies, as with `concurrentPerform`.
final class WorkerPool: @unchecked Sendable {
    /// One region: its iterations, the next one to claim, how many have finished.
    private final class Region: @unchecked Sendable {
        let iterations: Int
        let next = Atomic<Int>(0)
        let finished = Atomic<Int>(0)
        /// Read only after claiming an iteration, so never after the region's caller has returned.
        var body: ((Int) -> Void)?
        init(iterations: Int, body: @escaping (Int) -> Void) { self.iterations = iterations; self.body = body }

        /// Claims and runs iterations until none are left.
        func work() {
            while true {
                let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
                if i >= iterations { return }
                run(i)
                finished.wrappingAdd(1, ordering: .releasing)
            }
        }

        /// One iteration. Not inlined, so the reference to `body` taken for the call is released before the
        /// iteration counts as finished: the caller's `withoutActuallyEscaping` then finds the closure unshared.
        @inline(never) private func run(_ i: Int) { body!(i) }
    }

    static let shared = WorkerPool()

    /// Off with `DFL_WORKER_POOL=0` (every region goes to `concurrentPerform`), for comparisons.
    nonisolated(unsafe) static var enabled = ProcessInfo.processInfo.environment["DFL_WORKER_POOL"] != "0"

    /// Spin iterations of an idle worker before it sleeps (about 100 µs).
    private static let spinLimit = 20_000

    private let busy = Mutex<Bool>(false)
    /// The current region and its number; workers compare the number with the last one they ran.
    private let published = Mutex<(number: Int, region: Region?)>((0, nil))
    private let number = Atomic<Int>(0)
    private let wake = NSCondition()
    private var workers = 0

    /// Runs `body(0..<iterations)` on the calling thread and the pool's workers; returns when all are done.
    func perform(iterations: Int, _ body: (Int) -> Void) {
        guard iterations > 1, WorkerPool.enabled, busy.withLock({ b in if b { return false }; b = true; return true }) else {
            DispatchQueue.concurrentPerform(iterations: iterations, execute: body)
            return
        }
        defer { busy.withLock { $0 = false } }
        startWorkers(Threads.count - 1)
        withoutActuallyEscaping(body) { body in
            let region = Region(iterations: iterations, body: body)
            let n = published.withLock { p in p.number += 1; p.region = region; return p.number }
            number.store(n, ordering: .releasing)
            wake.lock(); wake.broadcast(); wake.unlock()
            region.work()
            while region.finished.load(ordering: .acquiring) < iterations { spinPause() }
            published.withLock { $0.region = nil }
            region.body = nil
        }
    }

    private func startWorkers(_ count: Int) {
        while workers < count {
            workers += 1
            let thread = Thread { [unowned self] in self.workerLoop() }
            thread.name = "dfl-worker"
            thread.start()
        }
    }

    private func workerLoop() {
        var seen = number.load(ordering: .acquiring)
        while true {
            var spins = 0
            while number.load(ordering: .acquiring) == seen {
                spins += 1
                if spins < WorkerPool.spinLimit { spinPause(); continue }
                wake.lock()
                while number.load(ordering: .acquiring) == seen { wake.wait() }
                wake.unlock()
            }
            let (n, region) = published.withLock { ($0.number, $0.region) }
            seen = n
            region?.work()
        }
    }

    @inline(__always) private func spinPause() {
        for _ in 0..<8 { _ = number.load(ordering: .relaxed) }
    }
}
