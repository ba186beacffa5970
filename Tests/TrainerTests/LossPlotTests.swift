import Foundation
import Imaging
@testable import ModelStore
import Trainer
import XCTest

/// preview/loss.png as a chart: ticks at the pixels the axis ranges put them (computed here by hand from the
/// documented layout: plot area rows 24…264, columns 60…784, or …740 with a held-out axis), ranges that
/// follow the data, a legend, and the preview grid's header row.
final class LossPlotTests: XCTestCase {
    let top = 24, bottom = 264, left = 60

    func pixel(_ img: Image, _ x: Int, _ y: Int) -> [UInt8] {
        let o = (y * img.width + x) * img.channels
        return Array(img.pixels[o..<(o + img.channels)])
    }

    /// Rows of column `x` that hold the tick colour.
    func tickRows(_ img: Image, column x: Int) -> [Int] {
        (0..<img.height).filter { pixel(img, x, $0) == LossPlot.tickColor }
    }

    func tickColumns(_ img: Image, row y: Int) -> [Int] {
        (0..<img.width).filter { pixel(img, $0, y) == LossPlot.tickColor }
    }

    /// 1000 iterations, src falling from 1.0 to 0.1 and dst from 0.9 to 0.12 (a factor of 10: log scale),
    /// 0.5 s each. The y axis is 0.1…1 with ticks 0.1, 0.2, 0.5, 1 at bottom − log10(v / 0.1) × 240; the x
    /// axis 0…1000 with ticks every 200 at 60 + i / 1000 × 724.
    func testLogAxisTicksLandOnTheirPixels() throws {
        var records: [LossRecord] = []
        for i in 1...1000 {
            let t: Double = Double(i - 1) / 999
            let src: Double = pow(10, -t)
            let dst: Double = 0.9 * pow(0.12 / 0.9, t)
            records.append(LossRecord(iteration: i, src: src, dst: dst, seconds: Double(i) * 0.5))
        }
        let img = Preview.lossPlot(records)
        XCTAssertEqual([img.width, img.height, img.channels], [800, 300, 3])
        let expectedRows = [1.0, 0.5, 0.2, 0.1].map { bottom - Int((log10($0 / 0.1) * Double(bottom - top)).rounded()) }
        XCTAssertEqual(tickRows(img, column: left - 3), expectedRows)
        let expectedColumns = stride(from: 0, through: 1000, by: 200).map { left + Int((Double($0) / 1000 * 724).rounded()) }
        XCTAssertEqual(tickColumns(img, row: bottom + 3), expectedColumns)
        // The curves reach the top (src starts at 1.0) and the bottom (src ends at 0.1) of the plot.
        let srcRows = ((top - 2)...(bottom + 2)).filter { y in (left...784).contains { pixel(img, $0, y) == LossPlot.srcColor } }
        XCTAssertEqual(srcRows.min(), top)
        XCTAssertEqual(srcRows.max(), bottom)
        // Labels: text pixels left of each y tick and under each x tick; the legend's two colour swatches.
        for y in expectedRows {
            XCTAssertTrue((0..<(left - 8)).contains { x in (y - 3...y + 3).contains { pixel(img, x, $0) == [220, 220, 220] } }, "label at row \(y)")
        }
        XCTAssertTrue((0..<24).contains { y in (0..<800).contains { pixel(img, $0, y) == LossPlot.dstColor } })
    }

    /// Losses 1.3…4.3 (a factor of 3.3: log scale) span too little for 1-2-5 ticks, so the axis is 1…5
    /// ticked at 1, 2, 3, 4, 5: rows bottom − log(v) / log(5) × 240.
    func testShortLogAxisIsTickedAtEveryInteger() throws {
        var records: [LossRecord] = []
        for i in 1...200 {
            let t = Double(i - 1) / 199
            records.append(LossRecord(iteration: i, src: 4.3 - 3.0 * t, dst: 4.0 - 2.0 * t, seconds: Double(i)))
        }
        let img = Preview.lossPlot(records)
        let expected = [5.0, 4, 3, 2, 1].map { bottom - Int((log($0) / log(5) * Double(bottom - top)).rounded()) }
        XCTAssertEqual(tickRows(img, column: left - 3), expected)
    }

    /// Losses 0.30…0.45 (less than a factor of 3: linear): ticks every 0.05 from 0.30 to 0.45, so rows
    /// 264, 184, 104, 24. Ten times the losses give the same rows: the range follows the data.
    func testLinearAxisFollowsTheData() throws {
        func records(_ scale: Double) -> [LossRecord] {
            (1...300).map { i in
                let t = Double(i - 1) / 299
                return LossRecord(iteration: i, src: scale * (0.45 - 0.15 * t), dst: scale * (0.40 - 0.05 * t), seconds: Double(i))
            }
        }
        let a = Preview.lossPlot(records(1)), b = Preview.lossPlot(records(10))
        XCTAssertEqual(tickRows(a, column: left - 3), [24, 104, 184, 264])
        XCTAssertEqual(tickRows(b, column: left - 3), [24, 104, 184, 264])
        // Different labels, though: the two images differ left of the axis.
        let labelsA = (0..<300).flatMap { y in (0..<left - 8).map { pixel(a, $0, y) } }
        let labelsB = (0..<300).flatMap { y in (0..<left - 8).map { pixel(b, $0, y) } }
        XCTAssertNotEqual(labelsA, labelsB)
    }

    /// Held-out SSIM 0.52…0.66 on the right axis (columns 60…740): 0.50…0.70 in steps of 0.05, ticks at
    /// 264 − (v − 0.5) / 0.2 × 240; the figures are drawn in their colour.
    func testHeldOutAxis() throws {
        let records = (1...400).map { LossRecord(iteration: $0, src: 0.5, dst: 0.4 + Double($0 % 7) * 0.01, seconds: Double($0)) }
        let quality = [100, 200, 300, 400].enumerated().map {
            QualityRecord(iteration: $0.element, seconds: Double($0.element), ssim: [0.52, 0.6, 0.66, 0.63][$0.offset], psnr: 20)
        }
        let img = Preview.lossPlot(records, quality: quality)
        let expected = [0.70, 0.65, 0.60, 0.55, 0.50].map { bottom - Int((($0 - 0.5) / 0.2 * 240).rounded()) }
        XCTAssertEqual(tickRows(img, column: 740 + 3), expected)
        let x400 = left + 680, y066 = bottom - Int(((0.63 - 0.5) / 0.2 * 240).rounded())
        XCTAssertEqual(pixel(img, x400, y066), LossPlot.qualityColor)
    }

    /// The grid's header row names the columns; the faces follow below it unchanged.
    func testPreviewGridHasAHeaderRow() {
        let face = FloatImage(width: 64, height: 64, channels: 1, fill: 0.5)
        let grid = Preview.grid(src: [face], srcToSrc: [face], dst: [face], dstToDst: [face], dstToSrc: [face])
        XCTAssertEqual([grid.width, grid.height], [320, 64 + Preview.headerHeight])
        for col in 0..<5 {
            var white = 0
            for y in 0..<Preview.headerHeight {
                for x in (col * 64)..<((col + 1) * 64) where grid.pixels[y * 320 + x] == 255 { white += 1 }
            }
            XCTAssertGreaterThan(white, 10, "column \(col) has no label")
        }
        let gray = face.toUInt8().pixels[0]
        XCTAssertTrue(grid.pixels[(Preview.headerHeight * 320)...].allSatisfy { $0 == gray })
        XCTAssertEqual(Preview.columnNames, ["src", "src→src", "dst", "dst→dst", "dst→src"])
    }
}
