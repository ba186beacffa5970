import Imaging
import XCTest
@testable import FaceAlign

final class LandmarkMaskTests: XCTestCase {
    private func rowCounts(_ m: FloatImage) -> [Int] {
        (0..<m.height).map { y in (0..<m.width).reduce(0) { $0 + (m[$1, y, 0] > 0.5 ? 1 : 0) } }
    }

    private func sum(_ m: FloatImage) -> Double { m.data.reduce(0) { $0 + Double($1) } }

    private func goldenFullFaceLandmarks() throws -> [Point2D] {
        let m = try XCTUnwrap(Affine2D(rows: [[0.6578881, 0.1117994, -335.37478], [-0.1117994, 0.6578881, -29.85886]]))
        return m.apply(goldenSourceLandmarks())
    }

    /// docs/dfl-faceset.md §3.6: the FULL hull mask of the synthetic face at 256 sums to 32 685, its eye mask to ≈ 1274.0.
    func testSpecGoldenSums() throws {
        let lm = try goldenFullFaceLandmarks()
        let hull = try faceHullMask(landmarks: lm, width: 256, height: 256)
        XCTAssertEqual(sum(hull), 32685)
        XCTAssertTrue(hull.data.allSatisfy { $0 == 0 || $0 == 1 })
        XCTAssertEqual(sum(try eyesMask(landmarks: lm, width: 256, height: 256)), 1274.0, accuracy: 0.5)
    }

    /// Row by row against masks built with OpenCV from the description in docs/dfl-faceset.md §3.9
    /// (make_mask_reference.py), on
    /// faces aligned by DFL and with eyebrows_expand_mod 1 and 1.5.
    func testMatchesOpenCVMasks() throws {
        var cases = dflReferenceFaces.flatMap { face in
            [(face.name, face.landmarks, face.size, 1.0), (face.name + "@1.5", face.landmarks, face.size, 1.5)]
        }
        cases.append(("golden full_face", Point2D.rows(try goldenFullFaceLandmarks()), 256, 1.0))
        for (name, rows, size, mod) in cases {
            let expected = try XCTUnwrap(openCVLandmarkMasks[name], name)
            XCTAssertEqual(expected.mod, mod)
            let lm = try XCTUnwrap(Point2D.points(fromRows: rows))
            let hull = try faceHullMask(landmarks: lm, width: size, height: size, eyebrowsExpandMod: mod)
            XCTAssertEqual(rowCounts(hull), expected.hullRows, "hull \(name)")
            XCTAssertEqual(rowCounts(try sharpEyesMask(landmarks: lm, width: size, height: size)), expected.eyeRows,
                           "eyes \(name)")
            XCTAssertEqual(rowCounts(try sharpMouthMask(landmarks: lm, width: size, height: size)), expected.mouthRows,
                           "mouth \(name)")
            let eyes = try eyesMask(landmarks: lm, width: size, height: size)
            XCTAssertEqual(sum(eyes), expected.eyeSum, accuracy: 0.05, "eyes sum \(name)")
            XCTAssertEqual(Double(eyes[size / 2 - 30, size / 2 - 20, 0]), expected.eyeCentre, accuracy: 1e-5, name)
            XCTAssertEqual(sum(try mouthMask(landmarks: lm, width: size, height: size)), expected.mouthSum,
                           accuracy: 0.05, "mouth sum \(name)")
        }
    }

    /// A larger eyebrows_expand_mod moves the brows up, so the hull grows.
    func testEyebrowExpansionGrowsMask() throws {
        let lm = try goldenFullFaceLandmarks()
        let a = sum(try faceHullMask(landmarks: lm, width: 256, height: 256, eyebrowsExpandMod: 1))
        let b = sum(try faceHullMask(landmarks: lm, width: 256, height: 256, eyebrowsExpandMod: 2))
        XCTAssertGreaterThan(b, a)
        let moved = try expandedEyebrows(lm, mod: 1)
        XCTAssertLessThan(moved[19].y, Int(lm[19].y), "brow moved up")
        XCTAssertEqual(moved[30], PixelPoint(truncating: lm[30]), "other points only truncated")
    }

    func testMirroredLandmarks() throws {
        let lm = try goldenFullFaceLandmarks()
        let flipped = try mirroredLandmarks(lm, width: 256)
        XCTAssertEqual(flipped[16].x, 255 - lm[0].x, accuracy: 1e-12)
        XCTAssertEqual(flipped[16].y, lm[0].y)
        XCTAssertEqual(flipped[30].x, 255 - lm[30].x, accuracy: 1e-12)
        XCTAssertEqual(try mirroredLandmarks(flipped, width: 256), lm)
    }

    func testOpenCVStructuringElementAndKernel() {
        // cv2.getStructuringElement(MORPH_ELLIPSE, (8, 8)) as OpenCV 5 prints it: 00001000 / 01111111 /
        // 01111111 / 11111111 / 11111111 / 11111111 / 01111111 / 01111111.
        XCTAssertEqual(ellipseRows(side: 8), [4..<5, 1..<8, 1..<8, 0..<8, 0..<8, 0..<8, 1..<8, 1..<8])
        XCTAssertEqual(gaussianKernel(size: 5), [0.0625, 0.25, 0.375, 0.25, 0.0625])
        XCTAssertEqual(gaussianKernel(size: 17).reduce(0, +), 1, accuracy: 1e-12)
    }

    func testRejectsWrongLandmarkCount() {
        XCTAssertThrowsError(try faceHullMask(landmarks: [Point2D(1, 1)], width: 8, height: 8))
        XCTAssertThrowsError(try eyesMask(landmarks: [], width: 8, height: 8))
    }
}
