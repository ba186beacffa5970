// Keeps training batches ready ahead of the trainer on background threads. Batch k is planned in order
// under the lock and built from seeds that depend only on k, so the sequence is the same for any number
// of workers and any timing.
import Foundation

/// A deterministic batch sequence: `plan` draws batch k's choices in order (under the producer's lock),
/// `build` makes the batch from a plan on any thread. SAEHD's `BatchGenerator` and XSeg's
/// `XSegBatchGenerator` are the two.
public protocol BatchSource: Sendable {
    associatedtype Plan: Sendable
    associatedtype Batch: Sendable
    /// The choices of the next batch in sequence.
    mutating func plan() -> Plan
    /// Builds the batch of `plan` (thread-safe: reads only immutable state).
    func build(_ plan: Plan) throws -> Batch
    /// The position of a plan's batch in the sequence (0, 1, 2, …).
    func index(of plan: Plan) -> Int
}

extension BatchGenerator: BatchSource {
    public func index(of plan: BatchPlan) -> Int { plan.index }
}

/// A bounded queue of ready batches filled by worker threads. Dropping the producer stops the workers.
public final class BatchProducer<Source: BatchSource>: @unchecked Sendable {
    private let queue: Queue

    /// Starts `workers` threads that keep up to `capacity` batches ready. `skip` batches are planned and
    /// dropped first (resuming a run at iteration `skip` gives the same batches as an uninterrupted run).
    public init(generator: Source, capacity: Int = 4, workers: Int = 1, skip: Int = 0) {
        precondition(capacity > 0 && workers > 0, "capacity and workers must be positive")
        queue = Queue(generator: generator, capacity: capacity, skip: skip)
        for w in 0..<workers {
            queue.running += 1
            let thread = Thread { [queue] in
                yieldToTrainingThreads()
                queue.work()
            }
            thread.name = "batch-producer-\(w)"
            thread.start()
        }
    }

    deinit { queue.stop() }

    /// The next batch in sequence; waits until it is ready. Rethrows a build error of that batch.
    public func next() throws -> Source.Batch { try queue.next() }

    /// Stops the workers (batches in progress are finished and dropped) and waits for them to exit.
    public func stop() { queue.stop() }

    /// The state shared with the worker threads (they hold this, not the producer).
    private final class Queue: @unchecked Sendable {
        private var planner: Source
        /// An unchanging copy used for building (build reads only the immutable parts).
        private let builder: Source
        private let capacity: Int
        private let condition = NSCondition()
        private var ready: [Int: Result<Source.Batch, Error>] = [:]
        private var nextToPlan: Int
        private var nextToDeliver: Int
        private var stopped = false
        var running = 0

        init(generator: Source, capacity: Int, skip: Int) {
            var g = generator
            for _ in 0..<skip { _ = g.plan() }
            planner = g
            builder = generator
            self.capacity = capacity
            nextToPlan = skip
            nextToDeliver = skip
        }

        func next() throws -> Source.Batch {
            condition.lock()
            defer { condition.unlock() }
            while ready[nextToDeliver] == nil { condition.wait() }
            let result = ready.removeValue(forKey: nextToDeliver)!
            nextToDeliver += 1
            condition.broadcast()
            return try result.get()
        }

        func stop() {
            condition.lock()
            stopped = true
            condition.broadcast()
            while running > 0 { condition.wait() }
            condition.unlock()
        }

        func work() {
            while true {
                condition.lock()
                while !stopped && nextToPlan >= nextToDeliver + capacity { condition.wait() }
                if stopped {
                    running -= 1
                    condition.broadcast()
                    condition.unlock()
                    return
                }
                let plan = planner.plan()
                nextToPlan += 1
                condition.unlock()

                let result = Result { try builder.build(plan) }

                condition.lock()
                ready[builder.index(of: plan)] = result
                condition.broadcast()
                condition.unlock()
            }
        }
    }
}

/// Lowers the calling thread to nice 19. On a machine with as many training threads as cores, a worker at
/// normal priority takes a core from one of OpenBLAS's threads in the middle of a multiply, and the others
/// spin waiting for it; at nice 19 it mostly runs in the gaps (and while the trainer waits for a batch, the
/// training threads sleep and it has the cores). Unlike SCHED_IDLE it is never starved by other load.
private func yieldToTrainingThreads() {
    #if os(Linux)
    _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0 /* Linux: the calling thread only */, 19)
    #endif
}
