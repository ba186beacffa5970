import COpenBLAS

/// Row-major single-precision GEMM: C = alpha · op(A) · op(B) + beta · C, with op(A) m×k and op(B) k×n.
@inline(__always)
func sgemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
           alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
           beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    if m == 0 || n == 0 { return }
    _ = Threads.blasSetUp
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// Adds the column sums of a rows×cols row-major matrix into `sums` (bias gradients).
func addColumnSums(_ m: UnsafePointer<Float>, rows: Int, cols: Int, into sums: UnsafeMutablePointer<Float>) {
    produceRowsAddingColumnSums(m, rows: rows, cols: cols, into: sums) { _ in }
}

/// Calls `produce` on runs of the rows of a rows×cols row-major matrix, each run before it is read, and adds
/// the matrix's column sums into `sums`: a backward pass writes a pre-activation gradient and its bias
/// gradient in one sweep, the sums read each run while it is still in cache. The rows are summed as
/// `addColumnSums` always summed them (by one thread straight into `sums` for small matrices; else fixed
/// row runs per thread into partials added in thread order), so the sums are bit for bit the same whether
/// the matrix was produced first or here. `produce` runs on the engine threads (it must not use them itself);
/// below 128 Ki elements, once over all rows on the calling thread.
func produceRowsAddingColumnSums(_ m: UnsafePointer<Float>, rows: Int, cols: Int, into sums: UnsafeMutablePointer<Float>,
                                 produce: (Range<Int>) -> Void) {
    let threads = columnSumThreads(rows: rows, cols: cols)
    if threads <= 1 {
        produce(0..<rows)
        accumulateColumns(m, rows: 0..<rows, cols: cols, into: sums)
        return
    }
    let partial = UnsafeMutablePointer<Float>.allocate(capacity: threads * cols)
    defer { partial.deallocate() }
    partial.initialize(repeating: 0, count: threads * cols)
    let run = max(1, 8192 / cols)   // rows per produced run: 32 KB
    Threads.perform(iterations: threads) { t in
        var r = rows * t / threads
        let end = rows * (t + 1) / threads
        while r < end {
            let next = min(end, r + run)
            produce(r..<next)
            accumulateColumns(m, rows: r..<next, cols: cols, into: partial + t * cols)
            r = next
        }
    }
    for t in 0..<threads { for c in 0..<cols { sums[c] += partial[t * cols + c] } }
}

/// acc[c] += m[r·cols + c] for r in `rows`, in row order. The narrow layouts of the output heads (1, 4 and 12
/// channels) keep their running sums in registers: the same additions in the same order as the plain loop,
/// without a store and reload of the sum per row.
@inline(__always)
private func accumulateColumns(_ m: UnsafePointer<Float>, rows: Range<Int>, cols: Int, into acc: UnsafeMutablePointer<Float>) {
    let raw = UnsafeRawPointer(m), out = UnsafeMutableRawPointer(acc)
    switch cols {
    case 1:
        var s = acc[0]
        for r in rows { s += m[r] }
        acc[0] = s
    case 4:
        var s = out.loadUnaligned(as: SIMD4<Float>.self)
        for r in rows { s += raw.loadUnaligned(fromByteOffset: r * 16, as: SIMD4<Float>.self) }
        out.storeBytes(of: s, as: SIMD4<Float>.self)
    case 12:
        var s = out.loadUnaligned(as: SIMD8<Float>.self)
        var t = out.loadUnaligned(fromByteOffset: 32, as: SIMD4<Float>.self)
        for r in rows {
            s += raw.loadUnaligned(fromByteOffset: r * 48, as: SIMD8<Float>.self)
            t += raw.loadUnaligned(fromByteOffset: r * 48 + 32, as: SIMD4<Float>.self)
        }
        out.storeBytes(of: s, as: SIMD8<Float>.self)
        out.storeBytes(of: t, toByteOffset: 32, as: SIMD4<Float>.self)
    default:
        for r in rows {
            let row = m + r * cols
            for c in 0..<cols { acc[c] += row[c] }
        }
    }
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
