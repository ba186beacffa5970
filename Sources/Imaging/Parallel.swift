// Splitting row ranges across cores.
import Dispatch
import Foundation

/// A raw pointer handed to worker closures; each worker writes a disjoint part of the buffer.
@usableFromInline struct SharedPointer<T>: @unchecked Sendable {
    @usableFromInline let base: UnsafeMutablePointer<T>
    @usableFromInline init(_ base: UnsafeMutablePointer<T>) { self.base = base }
}

/// Runs `body` over `0..<rows` split into contiguous ranges, in parallel when the work (`rows * rowCost`
/// samples) is large enough to pay for the dispatch.
func forEachRowRange(_ rows: Int, rowCost: Int, _ body: (Range<Int>) -> Void) {
    let cores = ProcessInfo.processInfo.activeProcessorCount
    let work = rows * max(rowCost, 1)
    let chunks = min(cores, rows, max(1, work / 32_768))
    if chunks <= 1 {
        body(0..<rows)
        return
    }
    // Workers write disjoint row ranges; the wrapper only silences the Sendable check.
    withoutActuallyEscaping(body) { escaping in
        let work = UncheckedRowBody(run: escaping)
        DispatchQueue.concurrentPerform(iterations: chunks) { i in
            work.run((rows * i / chunks)..<(rows * (i + 1) / chunks))
        }
    }
}

private struct UncheckedRowBody: @unchecked Sendable {
    let run: (Range<Int>) -> Void
}
