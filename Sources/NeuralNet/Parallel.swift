import Foundation
import COpenBLAS

/// Thread settings of the engine: elementwise loops and OpenBLAS use the same count.
public enum Threads {
    nonisolated(unsafe) private static var current = 1

    /// The number of threads the engine uses.
    public static var count: Int { current }

    /// Sets the thread count for elementwise work and for OpenBLAS (`openblas_set_num_threads`).
    public static func set(_ n: Int) {
        current = max(1, n)
        openblas_set_num_threads(Int32(current))
    }

    /// OpenBLAS's kernel name for this CPU (`openblas_get_corename`).
    public static var blasCoreName: String {
        guard let p = openblas_get_corename() else { return "unknown" }
        return String(cString: p)
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
    DispatchQueue.concurrentPerform(iterations: parts) { p in
        let lo = count * p / parts, hi = count * (p + 1) / parts
        if lo < hi { body(lo..<hi) }
    }
}

/// Counts the multiply-adds of convolutions and dense layers in forward passes (for GFLOP/s figures).
/// Not thread-safe; the engine runs layers from one thread.
public enum MACCounter {
    nonisolated(unsafe) public static var forward = 0
    /// Sets the count to zero.
    public static func reset() { forward = 0 }
}
