import FaceAlign
import FaceSet
import Imaging
@testable import Merge
import XCTest

/// Real frames and their aligned faces: the identity stand-in merged in overlay mode gives the frame back
/// (forward and inverse warps agree), and the grayscale colour modes.
final class GeometryAndColorModeTests: XCTestCase {
    func testIdentityOverlayReproducesTheFrame() throws {
        for stem in Fixtures.frameNames {
            let frame = try Fixtures.frame(stem)
            let face = try Fixtures.frameFace(stem)
            for resolution in [96, 192] {
                var settings = MergeSettings()
                settings.maskMode = .dst
                let merger = try FrameMerger(predictor: IdentityPredictor(resolution: resolution, channels: 3, faceType: .wholeFace),
                                             settings: settings)
                let out = try merger.merge(frame: frame, faces: [face])
                var sum = 0.0, count = 0, outside = 0
                for i in 0..<(frame.width * frame.height) {
                    let m = out.mask.pixels[i]
                    if m == 255 {
                        for c in 0..<3 { sum += abs(Double(out.image.pixels[3 * i + c]) - Double(frame.pixels[3 * i + c])) }
                        count += 1
                    } else if m == 0 {
                        for c in 0..<3 { XCTAssertEqual(out.image.pixels[3 * i + c], frame.pixels[3 * i + c]) }
                        outside += 1
                    }
                }
                XCTAssertGreaterThan(count, 30000, "\(stem) face area")
                XCTAssertGreaterThan(outside, 100000)
                // Down-and-up sampling at r < face size loses detail; the error stays small on average.
                XCTAssertLessThan(sum / Double(3 * count), resolution >= 192 ? 3.0 : 6.0, "\(stem) r=\(resolution)")
            }
        }
    }

    /// A wrong face type (the crop no longer matches the hull) or shifted landmarks would show: the
    /// merge with landmarks displaced by 6 px must be clearly worse than the true landmarks.
    func testDisplacedLandmarksShowUpAsError() throws {
        let frame = try Fixtures.frame("hill_0070")
        let face = try Fixtures.frameFace("hill_0070")
        let shifted = FrameFace(landmarks: face.landmarks.map { Point2D($0.x + 6, $0.y) })
        var settings = MergeSettings()
        settings.maskMode = .full
        final class Pinned: FacePredictor, @unchecked Sendable {
            // Predicts from the true crop whatever crop it is given (a model that ignores misalignment).
            let resolution = 192, channels = 3, faceType = FaceType.wholeFace
            let truth: FloatImage
            init(_ t: FloatImage) { truth = t }
            func predict(_ face: FloatImage, masks: LearnedMasks) throws -> FacePrediction { FacePrediction(image: truth) }
        }
        let m = try transformMatrix(landmarks: face.landmarks, size: 192, faceType: .wholeFace)
        let truth = warpAffine(frame.toFloat(), matrix: m.rowMajor, width: 192, height: 192, interpolation: .cubic)
        func error(_ f: FrameFace) throws -> Double {
            let out = try FrameMerger(predictor: Pinned(truth), settings: settings).merge(frame: frame, faces: [f])
            var s = 0.0, n = 0
            for i in 0..<(frame.width * frame.height) where out.mask.pixels[i] == 255 {
                for c in 0..<3 { s += abs(Double(out.image.pixels[3 * i + c]) - Double(frame.pixels[3 * i + c])) }
                n += 1
            }
            return s / Double(3 * n)
        }
        let good = try error(face), bad = try error(shifted)
        XCTAssertLessThan(good, 3)
        XCTAssertGreaterThan(bad, good * 2)
    }

    /// Luma mode with `--chroma keep`: a gray model changes the luma inside the mask; the chroma stays the frame's (exactly in
    /// float; within the 8-bit rounding of the three channels in the written frame) and outside the mask the
    /// frame's bytes are unchanged.
    func testLumaModeKeepsChroma() throws {
        let frame = try Fixtures.frame("hill_0000")
        let face = try Fixtures.frameFace("hill_0000")
        let predictor = FunctionPredictor(resolution: 128, channels: 1) { face in
            var out = face
            for i in out.data.indices { out.data[i] = 1 - face.data[i] * 0.8 }   // inverted luma: a big change
            return out
        }
        var settings = MergeSettings()
        settings.maskMode = .dst
        settings.blur = 40
        settings.chroma = .keep   // the other chroma modes: ChromaTests
        let merger = try FrameMerger(predictor: predictor, settings: settings)
        XCTAssertEqual(merger.effectiveColorMode(frameChannels: 3), .luma)
        let out = try merger.merge(frame: frame, faces: [face])
        XCTAssertEqual(out.image.channels, 3)
        var changed = 0, partial = 0
        for i in 0..<(frame.width * frame.height) {
            let f = (0..<3).map { Double(frame.pixels[3 * i + $0]) }
            let o = (0..<3).map { Double(out.image.pixels[3 * i + $0]) }
            if out.mask.pixels[i] == 0 {
                XCTAssertEqual(o, f)
                continue
            }
            if out.mask.pixels[i] < 255 { partial += 1 }
            let cf = chroma(f[0], f[1], f[2]), co = chroma(o[0], o[1], o[2])
            XCTAssertEqual(co.0, cf.0, accuracy: 0.57, "Cb at \(i)")
            XCTAssertEqual(co.1, cf.1, accuracy: 0.72, "Cr at \(i)")
            if abs((0.299 * o[0] + 0.587 * o[1] + 0.114 * o[2]) - (0.299 * f[0] + 0.587 * f[1] + 0.114 * f[2])) > 20 { changed += 1 }
        }
        XCTAssertGreaterThan(changed, 5000)
        XCTAssertGreaterThan(partial, 1000)   // the blurred edge is checked too
    }

    func testGrayModeWritesGrayFrames() throws {
        let frame = try Fixtures.frame("hill_0140")
        let face = try Fixtures.frameFace("hill_0140")
        var settings = MergeSettings()
        settings.colorMode = .gray
        settings.maskMode = .dst
        let merger = try FrameMerger(predictor: IdentityPredictor(resolution: 128, channels: 1, faceType: .wholeFace),
                                     settings: settings)
        let out = try merger.merge(frame: frame, faces: [face])
        let gray = frame.toGray()
        var sum = 0.0, n = 0
        for i in 0..<(frame.width * frame.height) {
            XCTAssertEqual(out.image.pixels[3 * i], out.image.pixels[3 * i + 1])
            XCTAssertEqual(out.image.pixels[3 * i], out.image.pixels[3 * i + 2])
            if out.mask.pixels[i] == 0 { XCTAssertEqual(out.image.pixels[3 * i], gray.pixels[i]) }
            if out.mask.pixels[i] == 255 { sum += abs(Double(out.image.pixels[3 * i]) - Double(gray.pixels[i])); n += 1 }
        }
        XCTAssertLessThan(sum / Double(n), 4)
        let noFace = try merger.merge(frame: frame, faces: [])
        XCTAssertEqual(noFace.image, gray.grayToRGB())
        // rct needs colour: refused for a gray merge.
        settings.colorTransfer = .rct
        XCTAssertThrowsError(try FrameMerger(predictor: IdentityPredictor(resolution: 128, channels: 1, faceType: .wholeFace),
                                             settings: settings).merge(frame: frame, faces: [face]))
    }

    func testXSegMaskFromMetadataIsMappedIntoTheCrop() throws {
        let frame = syntheticFrame()
        let face = try Fixtures.frameFace("hill_0000")
        let meta = try Fixtures.metadata("hill_0000")
        // An XSeg mask covering the left half of the 256-px aligned face, stored at 64 px.
        var xseg = FloatImage(width: 64, height: 64, channels: 1)
        for y in 0..<64 { for x in 0..<32 { xseg.data[y * 64 + x] = 1 } }
        let alignedToFrame = Affine2D(rowMajor: meta.imageToFaceMat!)!.inverted!
        let xsegToFrame = alignedToFrame.composed(after: .scaling(256.0 / 64))
        let withXSeg = FrameFace(landmarks: face.landmarks, xsegMask: xseg, xsegToFrame: xsegToFrame)
        var settings = MergeSettings()
        settings.maskMode = .xseg
        let predictor = FunctionPredictor(resolution: 128) { FloatImage(width: $0.width, height: $0.height, channels: 3, fill: 1) }
        let out = try FrameMerger(predictor: predictor, settings: settings).merge(frame: frame, faces: [withXSeg])
        // Aligned-face points (64, 128) (left half) and (192, 128) (right half), in the frame.
        let left = alignedToFrame.apply(Point2D(64, 128)), right = alignedToFrame.apply(Point2D(192, 128))
        XCTAssertEqual(out.mask[Int(left.x), Int(left.y), 0], 255)
        XCTAssertEqual(out.mask[Int(right.x), Int(right.y), 0], 0)
    }
}
