import COpenBLAS

/// Row-major single-precision GEMM: C = alpha · op(A) · op(B) + beta · C, with op(A) m×k and op(B) k×n.
@inline(__always)
func sgemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
           alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
           beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    if m == 0 || n == 0 { return }
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// Adds the column sums of a rows×cols row-major matrix into `sums` (bias gradients).
func addColumnSums(_ m: UnsafePointer<Float>, rows: Int, cols: Int, into sums: UnsafeMutablePointer<Float>) {
    let threads = columnSumThreads(rows: rows, cols: cols)
    if threads <= 1 {
        for r in 0..<rows {
            let row = m + r * cols
            for c in 0..<cols { sums[c] += row[c] }
        }
        return
    }
    let partial: UnsafeMutablePointer<Float> = partialColumnSums(m, rows: rows, cols: cols, threads: threads)
    defer { partial.deallocate() }
    for t in 0..<threads { for c in 0..<cols { sums[c] += partial[t * cols + c] } }
}

/// `addColumnSums` with the sums accumulated in Double (deterministic: fixed row runs per thread, added in
/// thread order). For long columns whose float32 running sum loses too much to cancellation: the direct
/// transposed convolution's bias gradient sums every output pixel of a layer (tens of thousands of terms).
func addColumnSumsAccurately(_ m: UnsafePointer<Float>, rows: Int, cols: Int, into sums: UnsafeMutablePointer<Float>) {
    let threads = columnSumThreads(rows: rows, cols: cols)
    let partial: UnsafeMutablePointer<Double> = partialColumnSums(m, rows: rows, cols: cols, threads: threads)
    defer { partial.deallocate() }
    for c in 0..<cols {
        var total = 0.0
        for t in 0..<threads { total += partial[t * cols + c] }
        sums[c] += Float(total)
    }
}

/// One thread per 64 Ki elements, at most the pool's.
private func columnSumThreads(rows: Int, cols: Int) -> Int { min(Threads.count, max(1, rows * cols / 65_536)) }

/// threads×cols partial column sums in `A`, thread t summing rows [rows·t/threads, rows·(t+1)/threads) in
/// order. The caller deallocates.
private func partialColumnSums<A: BinaryFloatingPoint>(_ m: UnsafePointer<Float>, rows: Int, cols: Int,
                                                       threads: Int) -> UnsafeMutablePointer<A> {
    let partial = UnsafeMutablePointer<A>.allocate(capacity: threads * cols)
    partial.initialize(repeating: 0, count: threads * cols)
    Threads.perform(iterations: threads) { t in
        let acc = partial + t * cols
        for r in (rows * t / threads)..<(rows * (t + 1) / threads) {
            let row = m + r * cols
            for c in 0..<cols { acc[c] += A(row[c]) }
        }
    }
    return partial
}

import Foundation
