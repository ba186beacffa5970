import ColorTransfer
import FaceAlign
import FaceSet
import Foundation
import Imaging
@testable import Samples
import TestSupport
import XCTest

/// XSeg's labelled faces (docs/xseg.md, "Training"): rasterised polygons, DFL's choice of labels, each face at
/// the model's resolution and face type, and batches that do not depend on threads.
final class XSegSampleTests: XCTestCase {
    func square(_ kind: SegIEPolygon.Kind, _ a: Double, _ b: Double) -> SegIEPolygon {
        SegIEPolygon(kind: kind, points: [SIMD2(a, a), SIMD2(b, a), SIMD2(b, b), SIMD2(a, b)])
    }

    /// EXCLUDE wins whatever the order; points are truncated toward zero; the outline is filled.
    func testRasterisationPutsExcludeLastAndTruncates() {
        let include = square(.include, 2.9, 12.9), exclude = square(.exclude, 5, 8)
        let a = XSegLabels.rasterize([exclude, include], width: 16, height: 16)
        let b = XSegLabels.rasterize([include, exclude], width: 16, height: 16)
        XCTAssertEqual(a, b)
        XCTAssertEqual(a[2, 2, 0], 1)       // 2.9 → 2, outline included
        XCTAssertEqual(a[12, 12, 0], 1)
        XCTAssertEqual(a[13, 13, 0], 0)
        XCTAssertEqual(a[1, 2, 0], 0)
        XCTAssertEqual(a[6, 6, 0], 0)       // excluded
        XCTAssertEqual(a.data.reduce(0, +), Float(11 * 11 - 4 * 4))
        // A negative coordinate truncates toward zero (−0.5 → 0), as int32 does.
        let edge = XSegLabels.rasterize([SegIEPolygon(kind: .include, points: [SIMD2(-0.5, -0.5), SIMD2(3, -0.5), SIMD2(3, 3), SIMD2(-0.5, 3)])],
                                        width: 8, height: 8)
        XCTAssertEqual(edge.data.reduce(0, +), 16)
        // An empty polygon rasterises to nothing.
        XCTAssertEqual(XSegLabels.rasterize([SegIEPolygon(kind: .include, points: [])], width: 4, height: 4).data.reduce(0, +), 0)
    }

    func testMalformedPolygonsAreRefusedByName() {
        XCTAssertNoThrow(try XSegLabels.validate([square(.include, 0, 10), SegIEPolygon(kind: .exclude, points: [])], width: 16, height: 16))
        let two = SegIEPolygon(kind: .include, points: [SIMD2(1, 1), SIMD2(5, 5)])
        XCTAssertThrowsError(try XSegLabels.validate([square(.include, 0, 10), two], width: 16, height: 16)) {
            XCTAssertTrue("\($0)".contains("polygon 2 (include) has 2 point(s)"), "\($0)")
        }
        let nan = SegIEPolygon(kind: .exclude, points: [SIMD2(1, 1), SIMD2(.nan, 5), SIMD2(3, 3)])
        XCTAssertThrowsError(try XSegLabels.validate([nan], width: 16, height: 16)) { XCTAssertTrue("\($0)".contains("non-finite"), "\($0)") }
        let far = SegIEPolygon(kind: .include, points: [SIMD2(1, 1), SIMD2(5000, 5), SIMD2(3, 3)])
        XCTAssertThrowsError(try XSegLabels.validate([far], width: 16, height: 16)) { XCTAssertTrue("\($0)".contains("far outside"), "\($0)") }
    }

    func record(size: Int, polygons: [SegIEPolygon] = [], stored: FloatImage? = nil, faceType: FaceType = .wholeFace) -> XSegFaceRecord {
        XSegFaceRecord(image: testPattern(width: size, height: size, channels: 3).toUInt8(), faceType: faceType,
                       landmarks: faceLandmarks(size: size), polygons: polygons, storedMask: stored)
    }

    /// Polygons first; stored masks only when no face has polygons; neither: nothing to train on.
    func testLabelSourceIsDFLsRule() {
        let poly = record(size: 32, polygons: [square(.include, 4, 20)])
        let masked = record(size: 32, stored: FloatImage(width: 32, height: 32, channels: 1, fill: 1))
        let none = record(size: 32)
        let emptyPolygon = record(size: 32, polygons: [SegIEPolygon(kind: .include, points: [])])
        XCTAssertEqual(XSegSample.labelSource([none, masked, poly]), .polygons)
        XCTAssertEqual(XSegSample.labelSource([none, masked]), .storedMasks)
        XCTAssertNil(XSegSample.labelSource([none, emptyPolygon]))
        XCTAssertTrue(XSegSample.isLabelled(poly, source: .polygons))
        XCTAssertFalse(XSegSample.isLabelled(masked, source: .polygons))
        XCTAssertTrue(XSegSample.isLabelled(masked, source: .storedMasks))
    }

    /// Same face type: value / 255 and the rasterised mask, Lanczos-4 to the resolution when the size
    /// differs; another face type: both warped with get_transform_mat of the aligned landmarks.
    func testPreparationResizesOrConverts() throws {
        let rec = record(size: 64, polygons: [square(.include, 10, 50), square(.exclude, 20, 30)])
        let same = try XSegSample.prepare(rec, source: .polygons, resolution: 64, faceType: .wholeFace)
        XCTAssertEqual(same.image.data, rec.image.pixels.map { Float($0) / 255 })
        XCTAssertEqual(same.mask, XSegLabels.rasterize(rec.polygons, width: 64, height: 64))
        let small = try XSegSample.prepare(rec, source: .polygons, resolution: 32, faceType: .wholeFace)
        XCTAssertEqual(small.mask, same.mask.resized(width: 32, height: 32, method: .lanczos4))
        XCTAssertEqual(small.image, same.image.resized(width: 32, height: 32, method: .lanczos4))
        let head = try XSegSample.prepare(rec, source: .polygons, resolution: 64, faceType: .head)
        let t = try transformMatrix(landmarks: rec.landmarks.map { Point2D($0.x, $0.y) }, size: 64, faceType: .head)
        let m = [t.m00, t.m01, t.m02, t.m10, t.m11, t.m12]
        XCTAssertEqual(head.mask, warpAffine(same.mask, matrix: m, width: 64, height: 64, interpolation: .lanczos4, border: .constant(0)))
        XCTAssertEqual(head.image, warpAffine(same.image, matrix: m, width: 64, height: 64, interpolation: .lanczos4, border: .constant(0)))
        XCTAssertNotEqual(head.mask, same.mask)
        // A stored mask is thresholded at 0.5 first.
        var stored = FloatImage(width: 64, height: 64, channels: 1, fill: 0.49)
        stored[3, 3, 0] = 0.5
        let fromMask = try XSegSample.prepare(record(size: 64, stored: stored), source: .storedMasks, resolution: 64, faceType: .wholeFace)
        XCTAssertEqual(fromMask.mask.data.reduce(0, +), 1)
        XCTAssertEqual(fromMask.mask[3, 3, 0], 1)
    }

    /// A gray face is read with its value in R, G and B.
    func testGrayFaceFilesAreRepeatedIntoThreeChannels() throws {
        let gray = testPattern(width: 32, height: 32, channels: 1).toUInt8()
        let meta = FaceMetadata(faceType: .wholeFace, landmarks: faceLandmarks(size: 32), segIEPolys: [square(.include, 2, 20)])
        let bytes = try DFLJPG.embed(meta, into: try encodeJPEG(gray, quality: 95))
        let r = try XSegFaceRecord(faceFile: bytes)
        XCTAssertEqual(r.image.channels, 3)
        XCTAssertEqual(r.image, try decodeJPEG(bytes).grayToRGB())
        XCTAssertEqual(r.polygons.count, 1)
    }

    /// Batch k is the same for any number of producer threads and after skipping to it (resume).
    func testBatchesDoNotDependOnThreadsAndResume() throws {
        let samples = try (0..<5).map { i in
            try XSegSample.prepare(record(size: 48, polygons: [square(.include, Double(4 + i), 40)]), source: .polygons,
                                   resolution: 64, faceType: .wholeFace)
        }
        let g = try XSegBatchGenerator(samples: samples, batchSize: 3, seed: 11)
        func batches(_ workers: Int, skip: Int, count: Int) throws -> [[Float]] {
            let p = BatchProducer(generator: g, capacity: 2, workers: workers, skip: skip)
            defer { p.stop() }
            return try (0..<count).map { _ in let b = try p.next(); return b.images + b.masks }
        }
        let one = try batches(1, skip: 0, count: 4)
        XCTAssertEqual(try batches(3, skip: 0, count: 4), one)
        XCTAssertEqual(try batches(2, skip: 2, count: 2), Array(one[2...]))
        XCTAssertNotEqual(one[0], one[1])
        var other = try XSegBatchGenerator(samples: samples, batchSize: 3, seed: 12)
        let b = try other.next()
        XCTAssertNotEqual(b.images + b.masks, one[0])
        // About half the samples get a background face.
        var planner = g
        let mixed = (0..<400).flatMap { _ in planner.plan().backgrounds }.filter { $0 != nil }.count
        XCTAssertEqual(Double(mixed) / 1200, 0.5, accuracy: 0.06)
    }
}
