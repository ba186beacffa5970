import Synchronization
import XCTest
@testable import NeuralNet

/// Bias gradients: `addColumnSums`, and `produceRowsAddingColumnSums`, which has the pre-activation
/// gradient written a run of rows at a time and sums each run while it is in cache.
final class ColumnSumTests: XCTestCase {
    /// Both sides of the one-thread threshold (128 Ki elements at 2 threads); the widths that keep their sums
    /// in registers (1, 4, 12: the output heads) and others; run lengths that do not divide the rows.
    static let shapes: [(rows: Int, cols: Int)] = [
        (5000, 1), (300_001, 1), (20_000, 4), (70_001, 4), (9000, 12), (30_000, 12), (30_000, 7), (5000, 64), (4097, 33),
    ]

    static func random(_ count: Int, seed: UInt64) -> [Float] {
        var rng = SeededRNG(seed: seed)
        return (0..<count).map { _ in rng.nextUnitFloat() * 2 - 1 }
    }

    /// Against a float64 sum of the same terms: within the bound of recursive fp32 summation,
    /// (rows + 1)·2⁻²⁴·Σ|terms|, which a lost row, a wrong stride or a wrong column cannot meet.
    func testColumnSumsMatchFloat64WithinTheSummationBound() {
        for (s, (rows, cols)) in Self.shapes.enumerated() {
            let m = Self.random(rows * cols, seed: UInt64(s + 1)), start = Self.random(cols, seed: UInt64(s + 100))
            var sums = start
            addColumnSums(m, rows: rows, cols: cols, into: &sums)
            for c in 0..<cols {
                var exact = Double(start[c]), scale = abs(exact)
                for r in 0..<rows {
                    exact += Double(m[r * cols + c])
                    scale += abs(Double(m[r * cols + c]))
                }
                let bound = Double(rows + 1) * 0x1p-24 * scale
                XCTAssertLessThanOrEqual(abs(Double(sums[c]) - exact), bound, "rows \(rows) cols \(cols) column \(c)")
            }
        }
    }

    /// Every row is produced exactly once, before it is summed, and the sums are bit for bit those of summing
    /// the finished matrix (the fused backward pass must not change a bias gradient).
    func testProducedRowsAreSummedAsTheFinishedMatrix() {
        for (s, (rows, cols)) in Self.shapes.enumerated() {
            let source = Self.random(rows * cols, seed: UInt64(s + 200)), start = Self.random(cols, seed: UInt64(s + 300))
            var written = [Float](repeating: .nan, count: rows * cols)
            var fused = start
            let produced = Mutex(0)
            written.withUnsafeMutableBufferPointer { w in
                let base = w.baseAddress!
                source.withUnsafeBufferPointer { src in
                    let from = src.baseAddress!
                    produceRowsAddingColumnSums(base, rows: rows, cols: cols, into: &fused) { r in
                        (base + r.lowerBound * cols).update(from: from + r.lowerBound * cols, count: r.count * cols)
                        produced.withLock { $0 += r.count }
                    }
                }
            }
            XCTAssertEqual(produced.withLock { $0 }, rows, "rows \(rows) cols \(cols): rows produced")
            XCTAssertTrue(zip(written, source).allSatisfy { $0.bitPattern == $1.bitPattern }, "rows \(rows) cols \(cols): matrix")
            var after = start
            addColumnSums(source, rows: rows, cols: cols, into: &after)
            XCTAssertEqual(fused.map(\.bitPattern), after.map(\.bitPattern), "rows \(rows) cols \(cols): sums")
        }
    }
}
