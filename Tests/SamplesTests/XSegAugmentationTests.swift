import ColorTransfer
import FaceSet
import Foundation
import Imaging
@testable import Samples
import TestSupport
import XCTest

/// XSeg's augmentation (docs/xseg.md, "Training samples"): each effect against its formula written out here,
/// each random draw against its distribution, and the pipeline's contract (the target changes only with the
/// geometry, the image ends clipped, the mask binary).
final class XSegAugmentationTests: XCTestCase {
    let n = 4000

    /// A fraction of `count` draws within 4 standard deviations of probability `p`.
    func assertRate(_ hits: Int, _ p: Double, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        let sd = (p * (1 - p) / Double(n)).squareRoot()
        XCTAssertEqual(Double(hits) / Double(n), p, accuracy: 4 * sd, what, file: file, line: line)
    }

    func pattern(_ size: Int) -> FloatImage { testPattern(width: size, height: size, channels: 3) }

    // MARK: Faded circle

    func testCircleFadedIsOneInsideAndFadesLinearly() {
        let c = XSegAugmentation.circleFaded(size: 64, centerX: 20, centerY: 30, radius: 10, fadeWidth: 8)
        XCTAssertEqual(c[20, 30, 0], 1)
        XCTAssertEqual(c[30, 30, 0], 1)            // distance 10 = radius
        XCTAssertEqual(c[34, 30, 0], 0.5, accuracy: 1e-6)   // 4 of the 8 fade pixels
        XCTAssertEqual(c[38, 30, 0], 0)            // radius + fade
        XCTAssertEqual(c[20, 55, 0], 0)
        // Fade width 0 counts as 1.
        let hard = XSegAugmentation.circleFaded(size: 16, centerX: 8, centerY: 8, radius: 3, fadeWidth: 0)
        XCTAssertEqual(hard[11, 8, 0], 1)
        XCTAssertEqual(hard[12, 8, 0], 0)
    }

    func testRandomCircleDrawsRadiusWidthAndCentreInRange() {
        var rng = SeededGenerator(seed: 1)
        var radii: [Int] = [], widths: [Int] = []
        for _ in 0..<n {
            var replay = rng
            let c = XSegAugmentation.randomCircleFaded(size: 32, rng: &rng)
            let s = replay.int(below: 32), e = s + replay.int(below: 32 - s)
            let cy = replay.int(below: 32), cx = replay.int(below: 32)
            radii.append(s); widths.append(e)
            XCTAssertEqual(c, XSegAugmentation.circleFaded(size: 32, centerX: cx, centerY: cy, radius: s, fadeWidth: e))
            if radii.count > 50 { break }
        }
        XCTAssertTrue(zip(radii, widths).allSatisfy { $0 >= 0 && $0 < 32 && $1 >= $0 && $1 < 32 })
    }

    // MARK: Colour

    func testHSVShiftRotatesHueAndOffsetsSaturationAndValue() {
        var img = FloatImage(width: 2, height: 1, channels: 3)
        img.data = [1, 0, 0, 0.5, 0.25, 0.25]        // red; a dull red (H 0, S 0.5, V 0.5)
        let hue = XSegAugmentation.hsvShift(img, hue: 120, saturation: 0, value: 0)
        XCTAssertEqual(Array(hue.data[0..<3]), [0, 1, 0], accuracy: 1e-5)
        let brighter = XSegAugmentation.hsvShift(img, hue: 0, saturation: 0, value: 0.2)
        XCTAssertEqual(Array(brighter.data[3..<6]), [0.7, 0.35, 0.35], accuracy: 1e-5)
        let grayer = XSegAugmentation.hsvShift(img, hue: 0, saturation: -0.5, value: 0)
        XCTAssertEqual(Array(grayer.data[3..<6]), [0.5, 0.5, 0.5], accuracy: 1e-5)
        // Clipped: V cannot pass 1.
        XCTAssertEqual(Array(XSegAugmentation.hsvShift(img, hue: 0, saturation: 0, value: 0.9).data[0..<3]), [1, 0, 0], accuracy: 1e-5)
    }

    func testRandomHSVShiftDrawsAFullHueTurnAndHalfUnitOffsets() {
        var rng = SeededGenerator(seed: 2)
        var hues: [Int] = [], offsets: [Double] = []
        for _ in 0..<n {
            hues.append(rng.int(below: 360)); offsets.append(rng.unit() - 0.5); offsets.append(rng.unit() - 0.5)
        }
        // The function draws exactly these, in this order.
        var a = SeededGenerator(seed: 9), b = a
        let img = pattern(8)
        let h = b.int(below: 360), s = b.unit() - 0.5, v = b.unit() - 0.5
        XCTAssertEqual(XSegAugmentation.randomHSVShift(img, rng: &a), XSegAugmentation.hsvShift(img, hue: h, saturation: s, value: v))
        XCTAssertEqual(hues.min(), 0); XCTAssertEqual(hues.max(), 359)
        XCTAssertTrue(offsets.allSatisfy { $0 >= -0.5 && $0 < 0.5 })
    }

    func testLevelsFormula() {
        let l = XSegAugmentation.Levels(inBlack: [0.1, 0.2, 0], inWhite: [0.9, 0.8, 1], inGamma: [1, 0.5, 1.5],
                                        outBlack: [0, 0.1, 0.2], outWhite: [1, 0.9, 0.8])
        var img = FloatImage(width: 3, height: 1, channels: 3)
        img.data = [0.5, 0.5, 0.5, 0.05, 0.9, 0.3, 1, 0, 0.64]
        let out = XSegAugmentation.levels(img, l)
        func want(_ x: Double, _ c: Int) -> Float {
            var r = min(max((x - l.inBlack[c]) / (l.inWhite[c] - l.inBlack[c]), 0), 1)
            r = pow(r, 1 / l.inGamma[c]) * (l.outWhite[c] - l.outBlack[c]) + l.outBlack[c]
            return Float(min(max(r, 0), 1))
        }
        for i in 0..<9 { XCTAssertEqual(out.data[i], want(Double(img.data[i]), i % 3), accuracy: 1e-6, "sample \(i)") }
        XCTAssertEqual(out.data[0], 0.5, accuracy: 1e-6)      // channel 0 maps 0.5 to itself
        XCTAssertEqual(out.data[3], 0)                        // below in-black
    }

    func testRandomLevelsRanges() {
        var rng = SeededGenerator(seed: 3)
        for _ in 0..<500 {
            let l = XSegAugmentation.Levels.random(&rng)
            XCTAssertTrue(l.inBlack.allSatisfy { $0 >= 0 && $0 < 0.25 } && l.outBlack.allSatisfy { $0 >= 0 && $0 < 0.25 })
            XCTAssertTrue(l.inWhite.allSatisfy { $0 > 0.75 && $0 <= 1 } && l.outWhite.allSatisfy { $0 > 0.75 && $0 <= 1 })
            XCTAssertTrue(l.inGamma.allSatisfy { $0 >= 0.5 && $0 < 1.5 })
        }
    }

    // MARK: Sharpen and blur

    func testBoxSharpenIsDeltaPlusDeltaMinusBoxTimesAmount() {
        var impulse = FloatImage(width: 9, height: 9, channels: 1)
        impulse[4, 4, 0] = 1
        let out = XSegAugmentation.sharpen(impulse, kernelSize: 3, amount: 4, box: true)
        XCTAssertEqual(out[4, 4, 0], 1 + 4 - 4.0 / 9, accuracy: 1e-6)
        XCTAssertEqual(out[3, 4, 0], -4.0 / 9, accuracy: 1e-6)
        XCTAssertEqual(out[5, 5, 0], -4.0 / 9, accuracy: 1e-6)
        XCTAssertEqual(out[2, 4, 0], 0)
        // Even sizes become odd (2 → 3); amount 0 leaves the image alone; a flat image stays flat.
        XCTAssertEqual(XSegAugmentation.sharpen(impulse, kernelSize: 2, amount: 4, box: true), out)
        XCTAssertEqual(XSegAugmentation.sharpen(impulse, kernelSize: 5, amount: 0, box: true), impulse)
        let flat = FloatImage(width: 8, height: 8, channels: 3, fill: 0.3)
        XCTAssertEqual(XSegAugmentation.sharpen(flat, kernelSize: 5, amount: 7, box: true).data, flat.data, accuracy: 1e-6)
    }

    func testGaussianSharpenFormula() {
        let img = pattern(16)
        let out = XSegAugmentation.sharpen(img, kernelSize: 4, amount: 6, box: false)
        let blur = img.gaussianBlurred(kernelSize: 5, sigma: 0)
        for i in stride(from: 0, to: img.data.count, by: 7) {
            XCTAssertEqual(out.data[i], img.data[i] * 4 - blur.data[i] * 3, accuracy: 1e-5)
        }
    }

    func testSharpenDrawRates() {
        var rng = SeededGenerator(seed: 4)
        var applied = 0, box = 0, kernels = Set<Int>(), boxAmounts = Set<Int>(), gaussAmounts = Set<Int>()
        for _ in 0..<n {
            guard let d = XSegAugmentation.sharpenDraw(rng: &rng) else { continue }
            applied += 1
            kernels.insert(d.kernelSize)
            if d.box { box += 1; boxAmounts.insert(d.amount) } else { gaussAmounts.insert(d.amount) }
        }
        assertRate(applied, 0.25, "sharpen chance")
        XCTAssertEqual(Double(box) / Double(applied), 0.5, accuracy: 0.06)
        XCTAssertEqual(kernels, Set(1...5))
        XCTAssertEqual(boxAmounts, Set(0..<10))
        XCTAssertEqual(gaussAmounts.min(), 0); XCTAssertEqual(gaussAmounts.max(), 49)
    }

    func testMotionBlurKernelIsTheRotatedNormalisedLine() {
        XCTAssertEqual(XSegAugmentation.motionBlurKernel(size: 1, degrees: 123), [1])
        let flat = XSegAugmentation.motionBlurKernel(size: 3, degrees: 0)
        XCTAssertEqual(flat, [0, 0, 0, 1.0 / 3, 1.0 / 3, 1.0 / 3, 0, 0, 0], accuracy: 1e-6)
        let upright = XSegAugmentation.motionBlurKernel(size: 5, degrees: 90)
        for y in 0..<5 { for x in 0..<5 { XCTAssertEqual(upright[y * 5 + x], x == 2 ? 0.2 : 0, accuracy: 1e-6, "\(x),\(y)") } }
        // 45° counter-clockwise on screen: the line runs from bottom left to top right.
        let diagonal = XSegAugmentation.motionBlurKernel(size: 5, degrees: 45)
        XCTAssertEqual(diagonal.reduce(0, +), 1, accuracy: 1e-6)
        XCTAssertGreaterThan(diagonal[0 * 5 + 4], 0)
        XCTAssertGreaterThan(diagonal[4 * 5 + 0], 0)
        XCTAssertEqual(diagonal[0 * 5 + 0], 0)
        XCTAssertEqual(diagonal[4 * 5 + 4], 0)
    }

    func testMotionBlurAndGaussianBlurDraws() {
        var rng = SeededGenerator(seed: 5)
        var motion = 0, sizes = Set<Int>(), angles = Set<Int>()
        for _ in 0..<n {
            if let d = XSegAugmentation.motionBlurDraw(rng: &rng) { motion += 1; sizes.insert(d.size); angles.insert(d.degrees) }
        }
        assertRate(motion, 0.25, "motion blur chance")
        XCTAssertEqual(sizes, Set(1...5))
        XCTAssertEqual(angles.min(), 0); XCTAssertEqual(angles.max(), 359)
        var gauss = 0, kernels = Set<Int>()
        for _ in 0..<n { if let k = XSegAugmentation.gaussianBlurDraw(rng: &rng) { gauss += 1; kernels.insert(k) } }
        assertRate(gauss, 0.25, "gaussian blur chance")
        XCTAssertEqual(kernels, [1, 3, 5, 7, 9])
    }

    func testRandomEffectsApplyTheirDrawThroughTheMask() {
        let img = pattern(24)
        let half = FloatImage(width: 24, height: 24, channels: 1, data: (0..<(24 * 24)).map { $0 % 24 < 12 ? 1 : 0 })
        var seed: UInt64 = 0
        var checked = 0
        while checked < 3 {
            seed += 1
            var a = SeededGenerator(seed: seed), b = a
            guard let d = XSegAugmentation.motionBlurDraw(rng: &b), d.size > 1 else { continue }
            let out = XSegAugmentation.randomMotionBlur(img, mask: half, rng: &a)
            let full = img.filtered(kernel: XSegAugmentation.motionBlurKernel(size: d.size, degrees: d.degrees), size: d.size)
            for y in 0..<24 { for x in 0..<24 { for c in 0..<3 {
                XCTAssertEqual(out[x, y, c], x < 12 ? full[x, y, c] : img[x, y, c], accuracy: 1e-6)
            } } }
            checked += 1
        }
    }

    // MARK: Resampling and compression

    func testResizeDrawAndReducedSides() {
        XCTAssertEqual(XSegAugmentation.reducedSide(256, t: 0), 256)
        XCTAssertEqual(XSegAugmentation.reducedSide(256, t: 0.5), 160)
        XCTAssertEqual(XSegAugmentation.reducedSide(256, t: 0.99999), 65)
        var rng = SeededGenerator(seed: 6)
        var hits = 0
        for _ in 0..<n { if let t = XSegAugmentation.resizeDraw(rng: &rng) { hits += 1; XCTAssertTrue(t >= 0 && t < 1) } }
        assertRate(hits, 0.25, "resize chance")
    }

    func testDownUpResizeNearestAndBilinear() {
        // 2×2 blocks survive a nearest halving exactly; a flat image survives both.
        var blocks = FloatImage(width: 8, height: 8, channels: 1)
        for y in 0..<8 { for x in 0..<8 { blocks[x, y, 0] = Float((x / 2) * 4 + y / 2) / 16 } }
        XCTAssertEqual(XSegAugmentation.resizeDownUp(blocks, width: 4, height: 4, nearest: true), blocks)
        XCTAssertNotEqual(XSegAugmentation.resizeDownUp(blocks, width: 4, height: 4, nearest: false), blocks)
        let flat = FloatImage(width: 10, height: 10, channels: 3, fill: 0.4)
        XCTAssertEqual(XSegAugmentation.resizeDownUp(flat, width: 7, height: 7, nearest: false).data, flat.data, accuracy: 1e-6)
        // Nearest reads source pixel ⌊x·src/dst⌋.
        var ramp = FloatImage(width: 5, height: 1, channels: 1)
        ramp.data = [0, 1, 2, 3, 4]
        XCTAssertEqual(ramp.resizedNearest(width: 3, height: 1).data, [0, 1, 3])
    }

    func testJPEGDrawAndRoundTrip() throws {
        var rng = SeededGenerator(seed: 7)
        var hits = 0, qualities = Set<Int>()
        for _ in 0..<n { if let q = XSegAugmentation.jpegDraw(rng: &rng) { hits += 1; qualities.insert(q) } }
        assertRate(hits, 0.25, "jpeg chance")
        XCTAssertEqual(qualities.min(), 10); XCTAssertEqual(qualities.max(), 100)
        let img = pattern(32)
        func error(_ q: Int) throws -> Float {
            let out = try XSegAugmentation.jpegRoundTrip(img, quality: q)
            return zip(out.data, img.data).map { abs($0 - $1) }.reduce(0, +) / Float(img.data.count)
        }
        let (low, high) = (try error(10), try error(100))
        XCTAssertLessThan(high, 0.01)
        XCTAssertGreaterThan(low, 2 * high)
    }

    // MARK: Flares and the background mix

    func testFlareAddsTheBlurOfTheLitRegion() {
        let img = pattern(40)
        let none = FloatImage(width: 40, height: 40, channels: 1)
        XCTAssertEqual(XSegAugmentation.flare(img, region: none, kernelSize: 65), img)
        let all = FloatImage(width: 40, height: 40, channels: 1, fill: 1)
        let out = XSegAugmentation.flare(img, region: all, kernelSize: 65)
        let blur = img.gaussianBlurred(kernelSize: 65, sigma: 0)
        for i in stride(from: 0, to: img.data.count, by: 11) { XCTAssertEqual(out.data[i], img.data[i] + blur.data[i], accuracy: 1e-5) }
        var rng = SeededGenerator(seed: 8)
        var kernels = Set<Int>()
        for _ in 0..<n { kernels.insert(XSegAugmentation.randomFlareKernel(&rng)) }
        XCTAssertTrue(kernels.allSatisfy { $0 % 2 == 1 })
        XCTAssertEqual(kernels.min(), 65); XCTAssertEqual(kernels.max(), 255)
    }

    func testBackgroundMixKeepsBothFacesAndMixesTheRest() {
        let img = pattern(4), bg = FloatImage(width: 4, height: 4, channels: 3, fill: 0.9)
        var mask = FloatImage(width: 4, height: 4, channels: 1), bgMask = mask
        mask[0, 0, 0] = 1
        bgMask[1, 0, 0] = 1
        let out = XSegAugmentation.mixBackground(img, mask: mask, background: bg, backgroundMask: bgMask, keep: 0.25)
        for c in 0..<3 {
            XCTAssertEqual(out[0, 0, c], img[0, 0, c])        // the face
            XCTAssertEqual(out[1, 0, c], img[1, 0, c])        // the other face's place
            XCTAssertEqual(out[2, 2, c], img[2, 2, c] * 0.25 + 0.9 * 0.75, accuracy: 1e-6)
        }
    }

    func testPoseRanges() {
        XCTAssertEqual(XSegAugmentation.poseRanges.scaleFactorRange.lowerBound, 1 / 1.05, accuracy: 1e-12)
        XCTAssertEqual(XSegAugmentation.poseRanges.scaleFactorRange.upperBound, 1.05, accuracy: 1e-12)
        XCTAssertEqual(XSegAugmentation.poseRanges.rotation, -10...10)
        XCTAssertEqual(XSegAugmentation.poseRanges.translation, -0.05...0.05)
        XCTAssertEqual(XSegAugmentation.backgroundRanges.scaleFactorRange.lowerBound, 1 / 1.1, accuracy: 1e-12)
        XCTAssertEqual(XSegAugmentation.backgroundRanges.rotation, -180...180)
        XCTAssertEqual(XSegAugmentation.backgroundRanges.translation, -0.1...0.1)
        var rng = SeededGenerator(seed: 10)
        var flips = 0
        for _ in 0..<n { if WarpParameters.random(size: 16, ranges: XSegAugmentation.poseRanges, allowFlip: true, rng: &rng).flip { flips += 1 } }
        assertRate(flips, 0.4, "flip")
    }

    /// The pose moves image and mask alike; outside the source the image repeats its edge, the mask is 0.
    func testPoseShiftsImageAndMaskAlikeWithTheirBorders() {
        var img = FloatImage(width: 16, height: 16, channels: 3), mask = FloatImage(width: 16, height: 16, channels: 1, fill: 1)
        for y in 0..<16 { for x in 0..<16 { for c in 0..<3 { img[x, y, c] = Float(x) / 16 } } }
        let p = WarpParameters(size: 16, tx: 0.25)        // 4 px to the right, no grid displacement
        let (i2, m2) = XSegAugmentation.pose(img, mask, p, grid: false)
        XCTAssertEqual(i2[10, 5, 0], img[6, 5, 0], accuracy: 1e-5)
        XCTAssertEqual(i2[1, 5, 0], img[0, 5, 0], accuracy: 1e-5)   // replicated edge
        XCTAssertEqual(m2[1, 5, 0], 0)
        XCTAssertEqual(m2[10, 5, 0], 1, accuracy: 1e-5)
        let flipped = XSegAugmentation.pose(img, mask, WarpParameters(size: 16, flip: true), grid: false)
        XCTAssertEqual(flipped.image, img.flippedHorizontally())
    }

    /// The whole pipeline: the target depends only on the geometry (the same seed gives the same mask for
    /// another image), comes out 0/1; the image comes out in [0, 1] and differs from the input.
    func testAugmentChangesTheTargetOnlyGeometrically() throws {
        let r = 64
        let mask = XSegLabels.rasterize([SegIEPolygon(kind: .include, points: [SIMD2(16, 16), SIMD2(48, 16), SIMD2(48, 48), SIMD2(16, 48)])], width: r, height: r)
        let a = XSegSample(image: pattern(r), mask: mask)
        let b = XSegSample(image: FloatImage(width: r, height: r, channels: 3, fill: 0.5), mask: mask)
        let other = XSegSample(image: pattern(r).flippedHorizontally(), mask: mask)
        for seed in 0..<12 as Range<UInt64> {
            var r1 = SeededGenerator(seed: seed), r2 = SeededGenerator(seed: seed)
            let x = try XSegAugmentation.augment(a, background: seed % 2 == 0 ? other : nil, rng: &r1)
            let y = try XSegAugmentation.augment(b, background: seed % 2 == 0 ? other : nil, rng: &r2)
            XCTAssertEqual(x.mask, y.mask, "seed \(seed)")
            XCTAssertTrue(x.mask.data.allSatisfy { $0 == 0 || $0 == 1 })
            XCTAssertTrue(x.image.data.allSatisfy { $0 >= 0 && $0 <= 1 })
            XCTAssertNotEqual(x.image, a.image)
            XCTAssertGreaterThan(x.mask.data.reduce(0, +), 300)
        }
    }
}

func XCTAssertEqual(_ a: [Float], _ b: [Float], accuracy: Float, _ message: String = "", file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, message, file: file, line: line)
    for (x, y) in zip(a, b) where abs(x - y) > accuracy {
        XCTFail("\(a) vs \(b) \(message)", file: file, line: line)
        return
    }
}
