// Per-file work runs on all cores, but what a tool prints must come out in input order, so that a
// pipe's output is deterministic. Results wait in a buffer until every earlier item has been emitted.
import Foundation

public enum OrderedParallel {
    /// Runs `work(i)` for `i` in `0..<count` on all cores and calls `emit(i, result)` in index order,
    /// one call at a time.
    public static func run<T>(count: Int, threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                              work: (Int) -> T, emit: (Int, T) -> Void) {
        guard count > 0 else { return }
        let lock = NSLock()
        var pending = [T?](repeating: nil, count: count)
        var nextToEmit = 0
        var nextToStart = 0
        let workers = max(1, min(threads, count))
        // Workers pull the next index from a shared counter so that items finish roughly in order
        // and the buffer of finished-but-not-emitted results stays small.
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while true {
                lock.lock()
                let i = nextToStart
                nextToStart += 1
                lock.unlock()
                if i >= count { return }
                let result = work(i)
                lock.lock()
                pending[i] = result
                while nextToEmit < count, let ready = pending[nextToEmit] {
                    pending[nextToEmit] = nil
                    emit(nextToEmit, ready)
                    nextToEmit += 1
                }
                lock.unlock()
            }
        }
    }
}
