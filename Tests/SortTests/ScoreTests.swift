import XCTest
import Imaging
@testable import Sort

final class ScoreTests: XCTestCase {
    func testCPBDRanksBlurredCopiesBelowTheSharpOriginal() {
        for channels in [1, 3] {
            let sharp = TestImages.scene(width: 128, height: 128, channels: channels, seed: 7)
            let soft = TestImages.gaussianBlur(sharp, sigma: 1)
            let softer = TestImages.gaussianBlur(sharp, sigma: 3)
            let s0 = Sharpness.cpbd(sharp), s1 = Sharpness.cpbd(soft), s2 = Sharpness.cpbd(softer)
            XCTAssertGreaterThan(s0, s1, "channels \(channels)")
            // CPBD saturates: widths well past the just-noticeable width all count as blurred.
            XCTAssertGreaterThanOrEqual(s1, s2, "channels \(channels)")
            XCTAssertGreaterThan(s0, s2, "channels \(channels)")
            XCTAssert((0...1).contains(s0))
        }
    }

    func testEdgeWidthsAreZeroWhenNoGradientHasAnAngle() {
        // Only horizontal gradients: every angle is exactly 0, which the reference reads as "no angles".
        let w = 20, h = 5
        var step = [Double](repeating: 0, count: w * h)
        for r in 0..<h { for c in 10..<w { step[r * w + c] = 200 } }
        XCTAssertEqual(Sharpness.edgeWidths(step, edges: [Bool](repeating: true, count: w * h), width: w, height: h).max(), 0)
    }

    func testCPBDIsZeroWithoutEdgeBlocks() {
        XCTAssertEqual(Sharpness.cpbd(Image(width: 128, height: 128, channels: 3, fill: 90)), 0)
        // Smaller than one 64×64 block: no blocks, no score.
        XCTAssertEqual(Sharpness.cpbd(TestImages.scene(width: 63, height: 200, channels: 1, seed: 1)), 0)
    }

    /// A single vertical step edge: the thinned Sobel edge sits on the step, and the Marziliano width is
    /// the extent of the ramp, counted from the scan rules (1 + 1 for a one-pixel step).
    func testEdgeWidthOfAStepAndOfARamp() {
        let w = 20, h = 5
        var step = [Double](repeating: 0, count: w * h)
        for r in 0..<h { for c in 10..<w { step[r * w + c] = 200 } }
        // Two off-row pixels give some gradient a non-zero angle; without one, the reference treats every
        // angle as 0 and measures no widths at all.
        func addDiagonal(_ p: inout [Double]) { p[4 * w + 2] = 1; p[3 * w + 3] = 1 }
        addDiagonal(&step)
        var edges = [Bool](repeating: false, count: w * h)
        edges[2 * w + 10] = true
        // Rising edge (angle 0): left scan stops at once (flat), right scan stops at once (flat) → 2.
        XCTAssertEqual(Sharpness.edgeWidths(step, edges: edges, width: w, height: h)[2 * w + 10], 2)
        // A ramp 0, 50, 100, 150, 200 over columns 8…12, edge marked at column 10: the left scan passes
        // the fall from 9 to 8 and stops at the flat 8→7 (2); the right scan passes 11→12 and stops at
        // the flat 12→13 (2).
        var ramp = [Double](repeating: 0, count: w * h)
        for r in 0..<h { for c in 0..<w { ramp[r * w + c] = Double(max(0, min(200, (c - 8) * 50))) } }
        addDiagonal(&ramp)
        XCTAssertEqual(Sharpness.edgeWidths(ramp, edges: edges, width: w, height: h)[2 * w + 10], 4)
    }

    func testMotionBlurVarianceFallsWithBlurAndIsZeroOnFlatImages() {
        XCTAssertEqual(MotionBlur.laplacianVariance(Image(width: 30, height: 20, channels: 3, fill: 77)), 0)
        let sharp = TestImages.scene(width: 96, height: 80, channels: 3, seed: 3)
        let soft = TestImages.gaussianBlur(sharp, sigma: 2)
        XCTAssertGreaterThan(MotionBlur.laplacianVariance(sharp), MotionBlur.laplacianVariance(soft))
        let gray = TestImages.scene(width: 96, height: 80, channels: 1, seed: 3)
        XCTAssertGreaterThan(MotionBlur.laplacianVariance(gray), MotionBlur.laplacianVariance(TestImages.gaussianBlur(gray, sigma: 2)))
    }

    func testBrightnessIsTheMeanOfTheLargestChannel() {
        // Pixels (10, 200, 30) and (90, 20, 40): V = 200 and 90, mean 145.
        let im = Image(width: 2, height: 1, channels: 3, pixels: [10, 200, 30, 90, 20, 40])
        XCTAssertEqual(ColourStats.brightness(im), 145)
        let gray = Image(width: 3, height: 1, channels: 1, pixels: [0, 100, 200])
        XCTAssertEqual(ColourStats.brightness(gray), 100)
    }

    func testHueFollowsOpenCVsHalfDegreeScale() {
        // Red 0°, yellow 60° → 30, green 120° → 60, cyan 180° → 90, blue 240° → 120, magenta 300° → 150.
        let cases: [([UInt8], Double)] = [([255, 0, 0], 0), ([255, 255, 0], 30), ([0, 255, 0], 60),
                                          ([0, 255, 255], 90), ([0, 0, 255], 120), ([255, 0, 255], 150),
                                          ([128, 128, 128], 0)]
        for (rgb, expected) in cases {
            XCTAssertEqual(ColourStats.hue(Image(width: 1, height: 1, channels: 3, pixels: rgb)), expected, "\(rgb)")
        }
        XCTAssertEqual(ColourStats.hue(Image(width: 4, height: 4, channels: 1, fill: 200)), 0)
    }

    func testBlackCountsEverySampleEqualToZero() {
        let im = Image(width: 2, height: 2, channels: 3, pixels: [0, 0, 0, 0, 5, 0, 1, 2, 3, 255, 0, 9])
        XCTAssertEqual(ColourStats.blackCount(im), 6)
    }

    func testBhattacharyyaDistance() {
        let a = Image(width: 4, height: 1, channels: 1, pixels: [10, 10, 20, 20])
        let b = Image(width: 4, height: 1, channels: 1, pixels: [30, 30, 40, 40])
        XCTAssertEqual(FaceHistogram(image: a).distance(to: FaceHistogram(image: a)), 0, accuracy: 1e-6)
        // Disjoint histograms: distance 1.
        XCTAssertEqual(FaceHistogram(image: a).distance(to: FaceHistogram(image: b)), 1, accuracy: 1e-6)
        // Half overlap: Σ√(p·q) = √(0.5·0.5) = 0.5, so d = √0.5.
        let c = Image(width: 4, height: 1, channels: 1, pixels: [10, 10, 40, 40])
        XCTAssertEqual(FaceHistogram(image: a).distance(to: FaceHistogram(image: c)), 0.5.squareRoot(), accuracy: 1e-6)
        // Three channels add up.
        let rgbA = Image(width: 1, height: 1, channels: 3, pixels: [1, 2, 3]), rgbB = Image(width: 1, height: 1, channels: 3, pixels: [1, 9, 9])
        XCTAssertEqual(FaceHistogram(image: rgbA).distance(to: FaceHistogram(image: rgbB)), 2, accuracy: 1e-6)
    }

    func testMaskZeroesOutsidePixels() {
        let im = Image(width: 2, height: 1, channels: 3, pixels: [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(FacePixels.masked(im, by: [0, 1]).pixels, [0, 0, 0, 4, 5, 6])
    }
}
