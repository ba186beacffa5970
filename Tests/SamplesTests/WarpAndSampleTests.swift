import XCTest
import ColorTransfer
import FaceAlign
import FaceSet
import Imaging
@testable import Samples

final class WarpParameterTests: XCTestCase {
    func testDrawsStayInTheirRangesAndFlipIsFortyPercent() {
        var rng = SeededGenerator(seed: 42)
        let size = 64
        var flips = 0, cells = Set<Int>()
        var minScale = 9.0, maxScale = 0.0, minRot = 99.0, maxRot = -99.0
        let n = 1500
        for _ in 0..<n {
            let p = WarpParameters.random(size: size, ranges: WarpRanges(), allowFlip: true, rng: &rng)
            minRot = min(minRot, p.rotationDegrees); maxRot = max(maxRot, p.rotationDegrees)
            minScale = min(minScale, p.scale); maxScale = max(maxScale, p.scale)
            XCTAssertLessThanOrEqual(abs(p.tx), 0.05)
            XCTAssertLessThanOrEqual(abs(p.ty), 0.05)
            if p.flip { flips += 1 }
            cells.insert(p.cellSize)
            // Every map value is within 0.24·cell of the undisplaced grid (identity + 0.5 px).
            let bound = Float(p.cellSize) * 0.24 + 1e-3
            for y in stride(from: 0, to: size, by: 7) { for x in stride(from: 0, to: size, by: 5) {
                XCTAssertLessThanOrEqual(abs(p.mapX[y * size + x] - (Float(x) + 0.5)), bound)
                XCTAssertLessThanOrEqual(abs(p.mapY[y * size + x] - (Float(y) + 0.5)), bound)
            } }
        }
        XCTAssertGreaterThanOrEqual(minRot, -10); XCTAssertLessThanOrEqual(maxRot, 10)
        XCTAssertLessThan(minRot, -9.5); XCTAssertGreaterThan(maxRot, 9.5)
        XCTAssertGreaterThanOrEqual(minScale, 1 / 1.15); XCTAssertLessThanOrEqual(maxScale, 1.15)
        XCTAssertLessThan(minScale, 0.88); XCTAssertGreaterThan(maxScale, 1.14)
        XCTAssertEqual(Double(flips) / Double(n), 0.4, accuracy: 0.04)
        XCTAssertEqual(cells, [32, 16, 8])
    }

    func testNoFlipWhenNotAllowedAndSAEHDBWScaleRange() {
        var rng = SeededGenerator(seed: 7)
        var ranges = WarpRanges()
        ranges.scaleFormula = .saehdbw
        XCTAssertEqual(ranges.scaleFactorRange.lowerBound, 0.85, accuracy: 1e-12)
        var minScale = 9.0
        for _ in 0..<500 {
            let p = WarpParameters.random(size: 32, ranges: ranges, allowFlip: false, rng: &rng)
            XCTAssertFalse(p.flip)
            minScale = min(minScale, p.scale)
        }
        XCTAssertLessThan(minScale, 0.86)
        XCTAssertGreaterThanOrEqual(minScale, 0.85)
    }

    func testUndisplacedGridIsIdentityPlusHalfPixel() {
        for cell in [16, 8, 4] {
            let p = WarpParameters(size: 32, cellSize: cell)
            for y in 0..<32 { for x in 0..<32 {
                XCTAssertEqual(p.mapX[y * 32 + x], Float(x) + 0.5, accuracy: 1e-4)
                XCTAssertEqual(p.mapY[y * 32 + x], Float(y) + 0.5, accuracy: 1e-4)
            } }
        }
    }

    func testWarpGridMovesOnlyInteriorNodes() {
        var rng = SeededGenerator(seed: 3)
        let p = WarpParameters.random(size: 64, ranges: WarpRanges(), allowFlip: false, rng: &rng)
        XCTAssertTrue(zip(p.mapX, (0..<(64 * 64)).map { Float($0 % 64) + 0.5 }).contains { abs($0 - $1) > 0.01 })
        // The corner nodes stay in place, so the corner pixel moves by less than half a cell's jitter.
        XCTAssertEqual(p.mapX[0], 0.5, accuracy: Float(p.cellSize) * 0.12 + 1e-3)
    }
}

final class SampleProcessorTests: XCTestCase {
    let resolution = 48

    func prepared(channels: Int = 1) throws -> PreparedFace {
        try FaceStore(resolution: resolution, faceType: .full)
            .prepare(syntheticFace(size: 64, channels: channels), toModel: nil)
    }

    func testIdentityParametersReproduceTheStoredFace() throws {
        let face = try prepared(channels: 3)
        let options = SampleOptions(randomWarp: false, outputChannels: 3)
        let out = try SampleProcessor.process(face, options: options, seed: 1,
                                              parameters: WarpParameters(size: resolution))
        XCTAssertEqual(out.target.data, face.image.toFloat().data)
        XCTAssertEqual(out.warped.data, face.image.toFloat().data)
        XCTAssertEqual(out.fullMask.data, face.fullMask.toFloat().data)
    }

    func testWarpedInputIsTheTargetShiftedByTheGrid() throws {
        // With the undisplaced grid the warped image is the target sampled half a pixel further.
        let face = try prepared()
        let out = try SampleProcessor.process(face, options: SampleOptions(randomWarp: true, outputChannels: 1),
                                              seed: 1, parameters: WarpParameters(size: resolution))
        let expected = warpAffine(face.image.toFloat(), matrix: [1, 0, -0.5, 0, 1, -0.5], width: resolution,
                                  height: resolution, interpolation: .cubic, border: .constant(0))
        for y in 2..<(resolution - 3) { for x in 2..<(resolution - 3) {
            XCTAssertEqual(out.warped[x, y, 0], min(max(expected[x, y, 0], 0), 1), accuracy: 1e-5)
        } }
    }

    func testFlipMirrorsEveryOutput() throws {
        let face = try prepared()
        let opts = SampleOptions(randomWarp: false, outputChannels: 1)
        let plain = try SampleProcessor.process(face, options: opts, seed: 5,
                                                parameters: WarpParameters(size: resolution, rotationDegrees: 4))
        let flipped = try SampleProcessor.process(face, options: opts, seed: 5,
                                                  parameters: WarpParameters(size: resolution, rotationDegrees: 4,
                                                                             flip: true))
        for y in 0..<resolution { for x in 0..<resolution {
            let m = resolution - 1 - x
            XCTAssertEqual(flipped.target[x, y, 0], plain.target[m, y, 0])
            XCTAssertEqual(flipped.fullMask[x, y, 0], plain.fullMask[m, y, 0])
            XCTAssertEqual(flipped.eyesMouthMask[x, y, 0], plain.eyesMouthMask[m, y, 0])
        } }
    }

    func testQuarterTurnMovesALandmarkWhereExpected() throws {
        // A bright spot at landmark 30 (nose tip). Rotating 90° counter-clockwise about the centre (32, 32)
        // moves a point 10 px right of the centre to 10 px above it; tx = 0.05 adds 3.2 px to the right.
        let size = 64
        let nose = SIMD2<Double>(42, 32)
        var img = FloatImage(width: size, height: size, channels: 1)
        for y in 0..<size { for x in 0..<size {
            let d2 = (Double(x) - nose.x) * (Double(x) - nose.x) + (Double(y) - nose.y) * (Double(y) - nose.y)
            img[x, y, 0] = Float(exp(-d2 / 8))
        } }
        var lm = faceLandmarks(size: size)
        lm[30] = nose
        let face = try FaceStore(resolution: size, faceType: .full)
            .prepare(FaceRecord(image: img.toUInt8(), landmarks: lm, faceType: .full), toModel: nil)
        let out = try SampleProcessor.process(face, options: SampleOptions(randomWarp: false, outputChannels: 1),
                                              seed: 0,
                                              parameters: WarpParameters(size: size, rotationDegrees: 90, tx: 0.05))
        var sx = 0.0, sy = 0.0, sw = 0.0
        for y in 0..<size { for x in 0..<size {
            let v = Double(out.target[x, y, 0])
            sx += v * Double(x); sy += v * Double(y); sw += v
        } }
        XCTAssertEqual(sx / sw, 35.2, accuracy: 0.05)
        XCTAssertEqual(sy / sw, 22, accuracy: 0.05)
    }

    func testFullMaskIsOneInsideAndZeroOutsideTheLandmarkHull() throws {
        // Same face type and size: the stored full mask is DFL's hull mask itself.
        let size = 96
        let lm = faceLandmarks(size: size)
        let face = try FaceStore(resolution: size, faceType: .full)
            .prepare(FaceRecord(image: Image(width: size, height: size, channels: 1), landmarks: lm,
                                faceType: .full), toModel: nil)
        let mask = face.fullMask.toFloat()
        XCTAssertTrue(mask.data.allSatisfy { $0 == 0 || $0 == 1 })
        let points = lm.map { Point2D($0.x, $0.y) }
        let expanded = try expandedEyebrows(points, mod: 1)
        func doubles(_ p: [PixelPoint]) -> [SIMD2<Double>] { p.map { SIMD2(Double($0.x), Double($0.y)) } }
        let outer = doubles(convexHull(expanded))
        let hulls = faceHullParts.map { part in doubles(convexHull(part.map { expanded[$0] })) }
        var inside = 0, outside = 0
        for y in 0..<size { for x in 0..<size {
            let p = SIMD2(Double(x), Double(y))
            if signedDistanceInside(p, outer) < -1 { XCTAssertEqual(mask[x, y, 0], 0); outside += 1 }
            if hulls.contains(where: { signedDistanceInside(p, $0) > 1 }) {
                XCTAssertEqual(mask[x, y, 0], 1); inside += 1
            }
        } }
        XCTAssertGreaterThan(inside, 2000)
        XCTAssertGreaterThan(outside, 2000)
        // Brows raised: point 19 moves up by half its distance to the eye below (bot_l[2] = 37).
        XCTAssertLessThan(Double(expanded[19].y), lm[19].y - 0.4 * (lm[37].y - lm[19].y))
    }

    func testFaceTypeConversionUsesTheAlignmentTransform() throws {
        // A whole-face crop converted to a full-face model: the nose tip lands where get_transform_mat
        // puts it, and the store refuses faces it cannot convert.
        let size = 64
        var img = FloatImage(width: size, height: size, channels: 1)
        let lm = faceLandmarks(size: size)
        for y in 0..<size { for x in 0..<size {
            let d2 = (Double(x) - lm[30].x) * (Double(x) - lm[30].x) + (Double(y) - lm[30].y) * (Double(y) - lm[30].y)
            img[x, y, 0] = Float(exp(-d2 / 8))
        } }
        let record = FaceRecord(image: img.toUInt8(), landmarks: lm, faceType: .wholeFace)
        let store = FaceStore(resolution: 48, faceType: .full)
        let m = try XCTUnwrap(try store.modelTransform(for: record))
        let face = try store.prepare(record, toModel: m)
        let expected = m.apply(lm[30])
        var sx = 0.0, sy = 0.0, sw = 0.0
        let out = face.image.toFloat()
        for y in 0..<48 { for x in 0..<48 {
            let v = Double(out[x, y, 0]); sx += v * Double(x); sy += v * Double(y); sw += v
        } }
        XCTAssertEqual(sx / sw, expected.x, accuracy: 0.1)
        XCTAssertEqual(sy / sw, expected.y, accuracy: 0.1)
        XCTAssertThrowsError(try store.prepare(record, toModel: nil))
    }

    func testEyesMouthMaskPeaksAtOneAndLiesInsideTheFace() throws {
        let face = try prepared()
        let out = try SampleProcessor.process(face, options: SampleOptions(outputChannels: 1), seed: 9)
        XCTAssertEqual(out.eyesMouthMask.data.max(), 1)
        for (e, f) in zip(out.eyesMouthMask.data, out.fullMask.data) where f == 0 { XCTAssertEqual(e, 0) }
        // The eye region (between landmarks 37 and 40 of the 64-px face, scaled to 48 px) is in the mask.
        let lm = faceLandmarks(size: 64)
        let eye = (lm[37] + lm[40]) * 0.5 * (48.0 / 64.0)
        let plain = try SampleProcessor.process(face, options: SampleOptions(randomWarp: false, outputChannels: 1),
                                                seed: 9, parameters: WarpParameters(size: resolution))
        XCTAssertGreaterThan(plain.eyesMouthMask[Int(eye.x.rounded()), Int(eye.y.rounded()), 0], 0.5)
        XCTAssertEqual(plain.eyesMouthMask[2, 2, 0], 0)
    }

    func testColourFacesBecomeGrayWithLumaWeights() throws {
        let face = try prepared(channels: 3)
        let out = try SampleProcessor.process(face, options: SampleOptions(randomWarp: false, outputChannels: 1),
                                              seed: 1, parameters: WarpParameters(size: resolution))
        let rgb = face.image.toFloat()
        XCTAssertEqual(out.target.channels, 1)
        for i in stride(from: 0, to: resolution * resolution, by: 37) {
            let expected = 0.299 * rgb.data[3 * i] + 0.587 * rgb.data[3 * i + 1] + 0.114 * rgb.data[3 * i + 2]
            XCTAssertEqual(out.target.data[i], expected, accuracy: 1e-6)
        }
    }

    func testRandomHSVChangesOnlyTheWarpedInput() throws {
        let face = try prepared(channels: 3)
        let opts = SampleOptions(randomWarp: false, randomHSVPower: 0.3, outputChannels: 3)
        let out = try SampleProcessor.process(face, options: opts, seed: 4, parameters: WarpParameters(size: resolution))
        XCTAssertEqual(out.target.data, face.image.toFloat().data)
        XCTAssertNotEqual(out.warped.data, out.target.data)
    }
}
