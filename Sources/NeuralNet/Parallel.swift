import Foundation
import COpenBLAS
import CBLASCore

/// Thread settings of the engine: elementwise loops and OpenBLAS use the same count.
public enum Threads {
    nonisolated(unsafe) private static var current = ProcessInfo.processInfo.activeProcessorCount
    /// OpenBLAS set up once, before its first call: its kernels for this CPU where it fell back to generic
    /// ones (`dfl_blas_choose_core`, docs/blas-core.md), then single-threaded under the engine's own
    /// threads (see `set`).
    static let blasSetUp: Void = {
        _ = dfl_blas_choose_core()
        openblas_set_num_threads(1)
    }()

    /// The number of threads the engine uses.
    public static var count: Int {
        _ = blasSetUp
        return current
    }

    /// Sets the engine's thread count. The engine splits every GEMM into row blocks over its own threads and
    /// runs OpenBLAS single-threaded inside each (`openblas_set_num_threads(1)`): one pool, no second set
    /// of spinning BLAS threads competing for the cores.
    public static func set(_ n: Int) {
        _ = blasSetUp
        current = max(1, min(64, n))
        openblas_set_num_threads(1)
    }

    /// Sets OpenBLAS's own thread count (for measuring sgemm alone; the engine resets it to 1 in `set`).
    public static func setBLAS(_ n: Int) {
        _ = blasSetUp
        openblas_set_num_threads(Int32(max(1, n)))
    }

    /// Runs `body(i)` for every i in `0..<iterations` on the engine's threads and returns when all are done
    /// (`WorkerPool`; the engine's replacement for `DispatchQueue.concurrentPerform`).
    public static func perform(iterations: Int, _ body: (Int) -> Void) {
        WorkerPool.shared.perform(iterations: iterations, body)
    }

    /// OpenBLAS's kernel name for this CPU (`openblas_get_corename`).
    public static var blasCoreName: String {
        _ = blasSetUp
        guard let p = openblas_get_corename() else { return "unknown" }
        return String(cString: p)
    }

    /// The kernel set OpenBLAS had picked itself where the engine replaced it (docs/blas-core.md), or nil.
    public static var blasCoreReplaced: String? {
        _ = blasSetUp
        let name = String(cString: dfl_blas_core_replaced())
        return name.isEmpty ? nil : name
    }
}

/// Runs `body(range)` over `0..<count` split into contiguous ranges, one per thread, when the work is big
/// enough (`count * costPerItem` ≥ ~64 K operations); otherwise inline.
@inline(__always)
public func parallelRanges(_ count: Int, costPerItem: Int = 1, _ body: (Range<Int>) -> Void) {
    let threads = Threads.count
    if threads <= 1 || count < 2 || count * costPerItem < 65_536 {
        body(0..<count)
        return
    }
    let parts = min(threads, count)
    Threads.perform(iterations: parts) { p in
        let lo = count * p / parts, hi = count * (p + 1) / parts
        if lo < hi { body(lo..<hi) }
    }
}

/// Counts the multiply-adds of convolutions and dense layers in forward passes (for GFLOP/s figures).
/// Not thread-safe; the engine runs layers from one thread.
public enum MACCounter {
    nonisolated(unsafe) public static var forward = 0
    /// The multiply-adds of the backward passes that ran (input gradient and weight gradient, each only
    /// when the layer computes it), counted as dense products of the layer's own shape.
    nonisolated(unsafe) public static var backward = 0
    /// Sets the counts to zero.
    public static func reset() { forward = 0; backward = 0 }
}

/// Optional per-convolution timing (off by default), keyed by shape, for finding where a step's time goes.
public enum ConvProfiler {
    nonisolated(unsafe) public static var enabled = false
    /// key → (forward seconds, backward seconds, MACs of the passes that ran, calls). The MACs count each
    /// forward pass and each input or weight gradient that ran, as `MACCounter` does, so a layer whose calls
    /// skip a gradient (a forward pass without backward, a discriminator's generator-side pass) is not
    /// credited with work it did not do.
    nonisolated(unsafe) public static var table: [String: (forward: Double, backward: Double, macs: Int, calls: Int)] = [:]

    /// Process CPU time (all threads) instead of wall-clock time, for a shared machine: set from the
    /// environment (`DFL_PROFILE_CLOCK=cpu`) or by a caller.
    nonisolated(unsafe) public static var cpuClock = ProcessInfo.processInfo.environment["DFL_PROFILE_CLOCK"] == "cpu"

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(cpuClock ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    static func record(_ key: String, forward: Double = 0, backward: Double = 0, macs: Int = 0) {
        var e = table[key] ?? (0, 0, 0, 0)
        e.forward += forward; e.backward += backward; e.macs += macs
        if forward > 0 { e.calls += 1 }
        table[key] = e
    }
}
