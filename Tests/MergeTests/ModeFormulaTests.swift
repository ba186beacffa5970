import ColorTransfer
import FaceAlign
import FaceSet
import Imaging
@testable import Merge
import XCTest

/// The merge modes on a synthetic frame with real landmarks: what each mode must give by its formula.
final class ModeFormulaTests: XCTestCase {
    let r = 128

    func merge(_ frame: Image, _ predictor: FacePredictor, _ configure: (inout MergeSettings) -> Void) throws -> MergedFrame {
        var settings = MergeSettings()
        configure(&settings)
        let face = try Fixtures.frameFace("hill_0000")
        return try FrameMerger(predictor: predictor, settings: settings).merge(frame: frame, faces: [face])
    }

    func testOverlayWithFullMaskGivesThePrediction() throws {
        let frame = syntheticFrame()
        let colour: [Float] = [0.2, 0.5, 0.8]
        let predictor = FunctionPredictor(resolution: r) { face in
            var out = face
            for i in out.data.indices { out.data[i] = colour[i % 3] }
            return out
        }
        let out = try merge(frame, predictor) { $0.mode = .overlay; $0.maskMode = .full }
        let face = try Fixtures.frameFace("hill_0000")
        let inside = try framePixels(inCrop: face, size: r, lo: 8, hi: Double(r) - 8, frame: frame)
        XCTAssertGreaterThan(inside.count, 10000)
        for (x, y) in inside {
            for c in 0..<3 {
                XCTAssertEqual(Int(out.image[x, y, c]), Int((colour[c] * 255).rounded()), accuracy: 1, "(\(x), \(y))")
            }
            XCTAssertEqual(out.mask[x, y, 0], 255)
        }
        // Far outside the face square the frame is untouched.
        let outside = try framePixels(inCrop: face, size: r, lo: -1e9, hi: 1e9, frame: frame).filter { (x, y) in
            let p = try! cropMatrix(face, size: r).apply(Point2D(Double(x), Double(y)))
            return p.x < -4 || p.y < -4 || p.x > Double(r) + 4 || p.y > Double(r) + 4
        }
        XCTAssertGreaterThan(outside.count, 10000)
        for (x, y) in outside {
            for c in 0..<3 { XCTAssertEqual(out.image[x, y, c], frame[x, y, c]) }
            XCTAssertEqual(out.mask[x, y, 0], 0)
        }
    }

    func testOverlayWithEmptyMaskGivesTheFrame() throws {
        let frame = syntheticFrame()
        let predictor = FunctionPredictor(resolution: r, maskValue: 0) { face in
            FloatImage(width: face.width, height: face.height, channels: 3, fill: 1)
        }
        let out = try merge(frame, predictor) { $0.mode = .overlay; $0.maskMode = .learnedPrd }
        XCTAssertEqual(out.image, frame)
        XCTAssertTrue(out.mask.pixels.allSatisfy { $0 == 0 })
    }

    func testOriginalModeKeepsTheFrameAndWritesTheMask() throws {
        let frame = syntheticFrame()
        let predictor = FunctionPredictor(resolution: r) { _ in FloatImage(width: self.r, height: self.r, channels: 3, fill: 1) }
        let out = try merge(frame, predictor) { $0.mode = .original }
        XCTAssertEqual(out.image, frame)
        XCTAssertGreaterThan(out.mask.pixels.filter { $0 == 255 }.count, 5000)
    }

    func testRawRGBPastesTheWholeSquare() throws {
        let frame = syntheticFrame()
        let predictor = FunctionPredictor(resolution: r, maskValue: 0) { _ in FloatImage(width: self.r, height: self.r, channels: 3, fill: 1) }
        // raw-rgb ignores the mask: even a zero learned mask pastes the square.
        let out = try merge(frame, predictor) { $0.mode = .rawRGB; $0.maskMode = .full }
        let face = try Fixtures.frameFace("hill_0000")
        for (x, y) in try framePixels(inCrop: face, size: r, lo: 2, hi: Double(r) - 2, frame: frame) {
            XCTAssertEqual(out.image[x, y, 1], 255)
        }
    }

    func testRawPredictReturnsThePrediction() throws {
        let frame = syntheticFrame()
        let predictor = FunctionPredictor(resolution: r) { face in
            var out = face
            for i in out.data.indices { out.data[i] = 1 - face.data[i] }
            return out
        }
        let out = try merge(frame, predictor) { $0.mode = .rawPredict }
        XCTAssertEqual(out.image.width, r)
        XCTAssertEqual(out.mask.width, r)
        let input = predictor.lastInput!
        for i in stride(from: 0, to: input.data.count, by: 97) {
            XCTAssertEqual(Int(out.image.pixels[i]), Int(((1 - input.data[i]) * 255).rounded()), accuracy: 1)
        }
    }

    /// rct: the merged face has the dst face's Lab means and standard deviations; without it, it does not.
    func testRCTMatchesMeansAndStandardDeviations() throws {
        let frame = syntheticFrame()
        let predictor = FunctionPredictor(resolution: r) { face in
            // A tinted, lower-contrast version of the input (kept in gamut so that rct needs no clipping).
            var out = face
            let offset: [Float] = [0.2, 0.05, 0.12], gain: [Float] = [0.6, 0.8, 0.5]
            for i in out.data.indices { out.data[i] = offset[i % 3] + gain[i % 3] * face.data[i] }
            return out
        }
        func recoveredStats(_ ct: ColorTransferMode?) throws -> (dst: [(Double, Double)], merged: [(Double, Double)]) {
            let out = try merge(frame, predictor) { $0.mode = .overlay; $0.maskMode = .full; $0.colorTransfer = ct }
            let face = try Fixtures.frameFace("hill_0000")
            let m = try cropMatrix(face, size: r)
            let back = warpAffine(out.image.toFloat(), matrix: m.rowMajor, width: r, height: r, interpolation: .cubic)
            let dst = predictor.lastInput!
            var a: [[Double]] = [], b: [[Double]] = []
            for y in 4..<(r - 4) {
                for x in 4..<(r - 4) {
                    let i = (y * r + x) * 3
                    let d = lab(Double(dst.data[i]), Double(dst.data[i + 1]), Double(dst.data[i + 2]))
                    let o = lab(Double(back.data[i]), Double(back.data[i + 1]), Double(back.data[i + 2]))
                    a.append([d.0, d.1, d.2]); b.append([o.0, o.1, o.2])
                }
            }
            return (meanStd(a), meanStd(b))
        }
        let with = try recoveredStats(.rct)
        for c in 0..<3 {
            XCTAssertEqual(with.merged[c].0, with.dst[c].0, accuracy: 1.5, "Lab mean \(c)")
            XCTAssertEqual(with.merged[c].1, with.dst[c].1, accuracy: max(0.6, 0.1 * with.dst[c].1), "Lab std \(c)")
        }
        let without = try recoveredStats(nil)
        XCTAssertGreaterThan((0..<3).map { abs(without.merged[$0].0 - without.dst[$0].0) }.max()!, 5)
    }

    /// Every colour transfer mode runs in the merge and moves the prediction's mean toward the dst face.
    func testEveryColorTransferMovesTowardTheDstFace() throws {
        let frame = syntheticFrame()
        let predictor = FunctionPredictor(resolution: r) { face in
            var out = face
            for i in out.data.indices { out.data[i] = min(face.data[i] * 0.5 + 0.45, 1) }
            return out
        }
        let face = try Fixtures.frameFace("hill_0000")
        let inside = try framePixels(inCrop: face, size: r, lo: 16, hi: Double(r) - 16, frame: frame)
        func meanError(_ ct: ColorTransferMode?) throws -> Double {
            let out = try merge(frame, predictor) { $0.mode = .overlay; $0.maskMode = .full; $0.colorTransfer = ct }
            var e = 0.0
            for (x, y) in inside { for c in 0..<3 { e += Double(out.image[x, y, c]) - Double(frame[x, y, c]) } }
            return abs(e / Double(inside.count * 3))
        }
        let none = try meanError(nil)
        XCTAssertGreaterThan(none, 30)
        for ct in ColorTransferMode.allCases {
            // idt relaxes toward the target (about two thirds of the way in 20 steps); the others match it.
            XCTAssertLessThan(try meanError(ct), ct == .idt ? none / 2 : none / 4, "\(ct)")
        }
    }

    /// hist-match: the prediction is replaced by the dst face's value distribution.
    func testHistMatchModeGivesTheDstDistribution() throws {
        let frame = syntheticFrame()
        let predictor = FunctionPredictor(resolution: r) { face in
            var out = face
            for i in out.data.indices { out.data[i] = face.data[i] * 0.4 + 0.5 }   // monotone per channel
            return out
        }
        let out = try merge(frame, predictor) {
            $0.mode = .histMatch; $0.maskMode = .full; $0.maskedHistMatch = false; $0.histMatchThreshold = 255
        }
        // A monotone map matched back to the source distribution is the identity: the frame comes back.
        let face = try Fixtures.frameFace("hill_0000")
        var e = 0.0, n = 0
        for (x, y) in try framePixels(inCrop: face, size: r, lo: 16, hi: Double(r) - 16, frame: frame) {
            for c in 0..<3 { e += abs(Double(out.image[x, y, c]) - Double(frame[x, y, c])); n += 1 }
        }
        XCTAssertLessThan(e / Double(n), 2.0)
    }

    func testSeamlessKeepsTheFrameOutsideAndRemovesAnOffset() throws {
        let frame = syntheticFrame()
        let predictor = FunctionPredictor(resolution: r) { face in
            var out = face
            for i in out.data.indices { out.data[i] = min(face.data[i] + 0.25, 1) }
            return out
        }
        for mode in [MergeMode.seamless, .seamlessHistMatch] {
            let out = try merge(frame, predictor) { $0.mode = mode; $0.maskMode = .dst }
            let overlay = try merge(frame, predictor) { $0.mode = .overlay; $0.maskMode = .dst }
            var seamlessError = 0.0, overlayError = 0.0, inside = 0
            for y in 0..<frame.height {
                for x in 0..<frame.width {
                    if out.mask[x, y, 0] == 0 {
                        for c in 0..<3 { XCTAssertEqual(out.image[x, y, c], frame[x, y, c], "\(mode) changed (\(x), \(y))") }
                    } else if out.mask[x, y, 0] == 255 {
                        inside += 1
                        for c in 0..<3 {
                            seamlessError += abs(Double(out.image[x, y, c]) - Double(frame[x, y, c]))
                            overlayError += abs(Double(overlay.image[x, y, c]) - Double(frame[x, y, c]))
                        }
                    }
                }
            }
            XCTAssertGreaterThan(inside, 5000)
            // The guide's gradients equal the frame's, so the Poisson solution is the frame again.
            XCTAssertLessThan(seamlessError / Double(3 * inside), 2.5, "\(mode)")
            XCTAssertGreaterThan(overlayError / Double(3 * inside), 40)
        }
    }

    func testSharpenAndBlurChangeOnlyTheFace() throws {
        let frame = try Fixtures.frame("hill_0000")
        let predictor = IdentityPredictor(resolution: r, channels: 3, faceType: .wholeFace)
        let plain = try merge(frame, predictor) { $0.maskMode = .dst }
        for amount in [50, -25] {
            let out = try merge(frame, predictor) { $0.maskMode = .dst; $0.sharpenAmount = amount; $0.sharpenMode = .gaussian }
            XCTAssertNotEqual(out.image, plain.image)
            for i in 0..<(frame.width * frame.height) where out.mask.pixels[i] == 0 {
                for c in 0..<3 { XCTAssertEqual(out.image.pixels[3 * i + c], frame.pixels[3 * i + c]) }
            }
        }
    }

    func testLearnedMaskModesNeedMasks() throws {
        let frame = syntheticFrame()
        let predictor = FunctionPredictor(resolution: r, maskValue: nil) { $0 }
        XCTAssertThrowsError(try merge(frame, predictor) { $0.maskMode = .learnedPrdTimesDst })
        XCTAssertNoThrow(try merge(frame, predictor) { $0.maskMode = .dst })
    }

    func testMaskProductAndSum() throws {
        let frame = syntheticFrame()
        final class Halves: FacePredictor, @unchecked Sendable {
            let resolution = 128, channels = 3, faceType = FaceType.wholeFace
            func predict(_ face: FloatImage, masks: LearnedMasks) throws -> FacePrediction {
                FacePrediction(image: FloatImage(width: 128, height: 128, channels: 3, fill: 1),
                               predictedMask: FloatImage(width: 128, height: 128, channels: 1, fill: 0.6),
                               dstMask: FloatImage(width: 128, height: 128, channels: 1, fill: 0.5))
            }
        }
        let face = try Fixtures.frameFace("hill_0000")
        let (x, y) = try framePixels(inCrop: face, size: r, lo: 60, hi: 68, frame: frame)[0]
        let expected: [MaskMode: Double] = [.learnedPrd: 0.6, .learnedDst: 0.5, .learnedPrdTimesDst: 0.3, .learnedPrdPlusDst: 1.0]
        for (mode, m) in expected {
            let out = try merge(frame, Halves()) { $0.maskMode = mode }
            XCTAssertEqual(Double(out.mask[x, y, 0]), m * 255, accuracy: 1, "\(mode)")
        }
    }

    func testTwoFacesBlendSequentiallyAndMasksAdd() throws {
        let frame = syntheticFrame()
        let predictor = FunctionPredictor(resolution: r) { FloatImage(width: $0.width, height: $0.height, channels: 3, fill: 1) }
        var settings = MergeSettings()
        settings.maskMode = .full
        let a = try Fixtures.frameFace("hill_0000")
        // A second face: the same landmarks shifted to the right.
        let b = FrameFace(landmarks: a.landmarks.map { Point2D($0.x + 200, $0.y) })
        let out = try FrameMerger(predictor: predictor, settings: settings).merge(frame: frame, faces: [a, b])
        let one = try FrameMerger(predictor: predictor, settings: settings).merge(frame: frame, faces: [a])
        XCTAssertGreaterThan(out.mask.pixels.filter { $0 == 255 }.count, one.mask.pixels.filter { $0 == 255 }.count)
        XCTAssertTrue(out.mask.pixels.allSatisfy { $0 <= 255 })
    }
}
