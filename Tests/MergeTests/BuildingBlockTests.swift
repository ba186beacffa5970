import ColorTransfer
import Imaging
@testable import Merge
import XCTest

/// The merge's numeric building blocks on synthetic data: Poisson blending, histogram matching, mask shaping
/// in DFL's units, luma replacement.
final class BuildingBlockTests: XCTestCase {
    func laplacian(_ img: FloatImage, _ x: Int, _ y: Int, _ c: Int) -> Double {
        let w = img.width, cn = img.channels
        func v(_ x: Int, _ y: Int) -> Double { Double(img.data[(y * w + x) * cn + c]) }
        return v(x - 1, y) + v(x + 1, y) + v(x, y - 1) + v(x, y + 1) - 4 * v(x, y)
    }

    func testPoissonBlendKeepsTheFrameOutsideAndTheGuideGradientsInside() {
        let w = 60, h = 50
        var frame = FloatImage(width: w, height: h, channels: 2)
        var guide = frame
        var mask = FloatImage(width: w, height: h, channels: 1)
        for y in 0..<h {
            for x in 0..<w {
                frame.data[(y * w + x) * 2] = Float(x) / 60 * 0.5 + 0.2
                frame.data[(y * w + x) * 2 + 1] = Float(sin(Double(y) / 7)) * 0.3 + 0.5
                guide.data[(y * w + x) * 2] = Float(cos(Double(x * y) / 90)) * 0.2 + 0.6
                guide.data[(y * w + x) * 2 + 1] = Float((x * 7 + y * 13) % 11) / 11
                let dx = Double(x - 28), dy = Double(y - 24)
                if dx * dx / 400 + dy * dy / 200 < 1 || (x > 40 && x < 50 && y > 5 && y < 40) { mask.data[y * w + x] = 1 }
            }
        }
        let out = poissonBlend(guide: guide, frame: frame, mask: mask, tolerance: 1e-9)
        var checked = 0
        for y in 0..<h {
            for x in 0..<w {
                for c in 0..<2 {
                    if mask.data[y * w + x] == 0 {
                        XCTAssertEqual(out.data[(y * w + x) * 2 + c], frame.data[(y * w + x) * 2 + c])
                    } else {
                        XCTAssertEqual(laplacian(out, x, y, c), laplacian(guide, x, y, c), accuracy: 2e-5, "(\(x), \(y))")
                        checked += 1
                    }
                }
            }
        }
        XCTAssertGreaterThan(checked, 1000)
    }

    func testPoissonBlendOfAConstantOffsetIsTheFrame() {
        let w = 40, h = 40
        var frame = FloatImage(width: w, height: h, channels: 1)
        var mask = frame
        for y in 0..<h { for x in 0..<w { frame.data[y * w + x] = Float(x * x + y) / 1700 } }
        for y in 10..<30 { for x in 8..<33 { mask.data[y * w + x] = 1 } }
        var guide = frame
        for i in guide.data.indices { guide.data[i] += 0.3 }
        let out = poissonBlend(guide: guide, frame: frame, mask: mask, tolerance: 1e-10)
        for i in out.data.indices { XCTAssertEqual(out.data[i], frame.data[i], accuracy: 1e-4) }
    }

    func testHistogramMatchGivesTheTemplateDistribution() {
        // Seeded: with unseeded draws about one run in a few hundred hit a value the quantile interpolation
        // rounds one float step away from the template's.
        for seed in 0..<20 as Range<UInt64> {
            var rng = SeededGenerator(seed: seed)
            let source = (0..<500).map { _ in Float.random(in: 0...1, using: &rng) }
            let template = (0..<500).map { _ in Float.random(in: 0...1, using: &rng) * Float.random(in: 0...1, using: &rng) }
            let out = matchChannelHistogram(source, template, threshold: 255)
            for (got, want) in zip(out.sorted(), template.sorted()) { XCTAssertEqual(got, want, accuracy: 1e-6, "seed \(seed)") }
            // Order is kept: the largest source value maps to the largest template value.
            XCTAssertEqual(out[source.firstIndex(of: source.max()!)!], template.max()!, accuracy: 1e-6, "seed \(seed)")
        }
    }

    func testHistogramMatchThresholdCapsTheTop() {
        let source = (0..<256).map { Float($0) / 255 }
        let template = (0..<256).map { Float($0) / 255 }
        let out = matchChannelHistogram(source, template, threshold: 128)
        // Source quantiles scaled to 128/255: the top maps to about the template's median.
        XCTAssertEqual(Double(out.max()!), 127.0 / 255, accuracy: 2.0 / 255)
    }

    func testColorHistogramMatchIsPerChannel() {
        let a = FloatImage(width: 4, height: 1, channels: 2, data: [0.1, 0.9, 0.2, 0.8, 0.3, 0.7, 0.4, 0.6])
        let t = FloatImage(width: 4, height: 1, channels: 2, data: [0.5, 0.0, 0.6, 0.1, 0.7, 0.2, 0.8, 0.3])
        let out = colorHistogramMatch(a, toward: t)
        XCTAssertEqual(out.data, [0.5, 0.3, 0.6, 0.2, 0.7, 0.1, 0.8, 0.0])
    }

    /// Erosion by e shrinks a full mask by e/2 on each side; dilation of a small square grows it by e/2.
    func testErodeAndDilateInMaskPixels() {
        let r = 16, side = 4 * r
        let full = FloatImage(width: side, height: side, channels: 1, fill: 1)
        let eroded = shapeMask(full, resolution: r, erode: 10, blur: 0)
        // OpenCV's 10-wide element spans offsets −5...4 around its anchor (5): ones from x = 5 to side − 5.
        let row = (0..<side).map { eroded.data[(side / 2) * side + $0] }
        XCTAssertEqual(row.firstIndex(of: 1), 5)
        XCTAssertEqual(row.lastIndex(of: 1), side - 5)
        var small = FloatImage(width: side, height: side, channels: 1)
        for y in 30..<34 { for x in 30..<34 { small.data[y * side + x] = 1 } }
        let dilated = shapeMask(small, resolution: r, erode: -10, blur: 0)
        let drow = (0..<side).map { dilated.data[32 * side + $0] }
        // Dilation takes the max over src(x − 5 ... x + 4): the square 30...33 grows to 26...38.
        XCTAssertEqual(drow.firstIndex(of: 1), 26)
        XCTAssertEqual(drow.lastIndex(of: 1), 38)
    }

    /// Blur b feathers the edge over about b pixels of the 4r mask, and the zeroed band (b/2) keeps the
    /// feathered edge inside the square.
    func testBlurFeathersInsideTheSquare() {
        let r = 16, side = 4 * r
        let full = FloatImage(width: side, height: side, channels: 1, fill: 1)
        let blurred = shapeMask(full, resolution: r, erode: 0, blur: 12)
        let row = (0..<side).map { blurred.data[(side / 2) * side + $0] }
        XCTAssertLessThan(row[0], 0.01)
        // The zero band ends at 6 (r + blur/2 in padded pixels), so the blurred step is symmetric about 5.5.
        XCTAssertEqual(row[5] + row[6], 1, accuracy: 1e-4)
        XCTAssertGreaterThan(row[6], 0.5)
        XCTAssertGreaterThan(row[13], 0.98)
        XCTAssertEqual(row[side / 2], 1, accuracy: 1e-5)
    }

    func testReplaceLumaKeepsChromaExactly() {
        var rng = SystemRandomNumberGenerator()
        let n = 2000
        let frame = FloatImage(width: n, height: 1, channels: 3, data: (0..<(3 * n)).map { _ in Float.random(in: 0...1, using: &rng) })
        let luma = FloatImage(width: n, height: 1, channels: 1, data: (0..<n).map { _ in Float.random(in: 0...1, using: &rng) })
        let out = replaceLuma(of: frame, with: luma)
        var reached = 0
        for i in 0..<n {
            let (r0, g0, b0) = (Double(frame.data[3 * i]), Double(frame.data[3 * i + 1]), Double(frame.data[3 * i + 2]))
            let (r1, g1, b1) = (Double(out.data[3 * i]), Double(out.data[3 * i + 1]), Double(out.data[3 * i + 2]))
            let c0 = chroma(r0, g0, b0), c1 = chroma(r1, g1, b1)
            XCTAssertEqual(c0.0, c1.0, accuracy: 1e-6)
            XCTAssertEqual(c0.1, c1.1, accuracy: 1e-6)
            XCTAssertTrue([r1, g1, b1].allSatisfy { $0 >= 0 && $0 <= 1 })
            if abs(0.299 * r1 + 0.587 * g1 + 0.114 * b1 - Double(luma.data[i])) < 1e-5 { reached += 1 }
        }
        XCTAssertGreaterThan(reached, n / 4)   // in gamut the target luma is reached exactly
    }
}
