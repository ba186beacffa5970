// Golden values of docs/dfl-faceset.md §3.6 (DFL's get_transform_mat on a synthetic face) and DFL-written faces.
import FaceSet
import XCTest
@testable import FaceAlign

final class TransformMatrixGoldenTests: XCTestCase {
    func testSyntheticInputMatchesSpec() {
        assertPoint(goldenSourceLandmarks()[30], 645.33863, 343.852646, accuracy: 1e-5)
    }

    func testUmeyamaGolden() throws {
        let src = goldenSourceLandmarks()
        let u = try XCTUnwrap(umeyama(source: meanFaceSourceIndices.map { src[$0] }, destination: meanFaceTemplate))
        assertAffine(u, [[0.0041031181, 0.0006972708, -2.3899768], [-0.0006972708, 0.0041031181, -0.4845346]],
                     linearTolerance: 1e-9, translationTolerance: 1e-6)
    }

    func testTransformMatrixGolden() throws {
        let src = goldenSourceLandmarks()
        // DFL computes with float32 intermediates (docs/dfl-faceset.md §3.4 step 9): differences of ~1e-5 relative.
        let cases: [(FaceType, [[Double]])] = [
            (.full, [[0.6578881, 0.1117994, -335.37478], [-0.1117994, 0.6578881, -29.85886]]),
            (.wholeFace, [[0.4928275, 0.0837495, -219.11654], [-0.0837495, 0.4928275, 18.15482]]),
            (.head, [[0.3524945, 0.0599018, -120.17554], [-0.0599018, 0.3524946, 86.37415]]),
            (.half, [[1.0503982, 0.1785013, -611.83403], [-0.1785013, 1.0503982, -124.04084]]),
            (.fullNoAlign, [[0.6673198, 0, -302.37857], [0, 0.6673199, -105.25917]]),
        ]
        for (type, expected) in cases {
            let m = try transformMatrix(landmarks: src, size: 256, faceType: type)
            assertAffine(m, expected, linearTolerance: 2e-6, translationTolerance: 3e-3, type.dflName)
        }
    }

    func testAlignedLandmarksGolden() throws {
        let src = goldenSourceLandmarks()
        let full = try transformMatrix(landmarks: src, size: 256, faceType: .full)
        assertPoint(full.apply(src[30]), 127.6284, 124.2092, accuracy: 1e-3, "full 30")
        assertPoint(full.apply(src[8]), 125.4151, 238.2771, accuracy: 1e-3, "full 8")
        let wf = try transformMatrix(landmarks: src, size: 256, faceType: .wholeFace)
        assertPoint(wf.apply(src[30]), 127.7216, 133.5680, accuracy: 1e-3, "wf 30")
        let head = try transformMatrix(landmarks: src, size: 256, faceType: .head)
        assertPoint(head.apply(src[30]), 127.9002, 168.9234, accuracy: 1e-3, "head 30")
    }

    /// Faces aligned by DFL itself from dlib landmarks on real photos (whole_face, head, full_face).
    func testMatchesDFLWrittenFaces() throws {
        for face in dflReferenceFaces {
            let source = try XCTUnwrap(Point2D.points(fromRows: face.sourceLandmarks))
            let m = try transformMatrix(landmarks: source, size: face.size, faceType: face.faceType)
            assertAffine(m, face.imageToFaceMat, linearTolerance: 1e-6, translationTolerance: 3e-4, face.name)
            let aligned = m.apply(source)
            for (i, p) in aligned.enumerated() {
                assertPoint(p, face.landmarks[i][0], face.landmarks[i][1], accuracy: 3e-4, "\(face.name) #\(i)")
            }
        }
    }

    func testRejectsBadInput() {
        let src = goldenSourceLandmarks()
        XCTAssertThrowsError(try transformMatrix(landmarks: Array(src.prefix(67)), size: 256, faceType: .full))
        XCTAssertThrowsError(try transformMatrix(landmarks: src, size: 256, faceType: .markOnly))
        XCTAssertThrowsError(try transformMatrix(landmarks: src, size: 0, faceType: .full))
        let flat = [Point2D](repeating: Point2D(3, 4), count: 68)
        XCTAssertThrowsError(try transformMatrix(landmarks: flat, size: 256, faceType: .full))
    }
}
