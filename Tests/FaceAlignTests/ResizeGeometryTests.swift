import FaceSet
import XCTest
@testable import FaceAlign

final class ResizeGeometryTests: XCTestCase {
    /// The whole_face face written by DFL (256 px), with its own metadata.
    private func dflWholeFace() throws -> AlignedFaceGeometry {
        let face = try XCTUnwrap(dflReferenceFaces.first { $0.faceType == .wholeFace })
        return AlignedFaceGeometry(faceType: face.faceType, size: face.size,
                                   landmarks: try XCTUnwrap(Point2D.points(fromRows: face.landmarks)),
                                   imageToFaceMat: Affine2D(rows: face.imageToFaceMat),
                                   sourceLandmarks: Point2D.points(fromRows: face.sourceLandmarks))
    }

    func testSameTypeScalesOnly() throws {
        let face = try dflWholeFace()
        let r = try resizedFaceGeometry(face, newSize: 128)
        XCTAssertEqual(r.pixelOperation, .resize)
        XCTAssertEqual(r.faceType, .wholeFace)
        XCTAssertEqual(r.size, 128)
        XCTAssertNil(r.xsegMaskTransform)
        for (a, b) in zip(r.landmarks, face.landmarks) { assertPoint(a, b.x / 2, b.y / 2, accuracy: 1e-12) }
        // The new image_to_face_mat is half the old one (get_transform_mat is linear in S).
        let old = try XCTUnwrap(face.imageToFaceMat).rows
        assertAffine(try XCTUnwrap(r.imageToFaceMat), old.map { $0.map { $0 / 2 } },
                     linearTolerance: 1e-6, translationTolerance: 2e-4)
    }

    /// A face-type change two ways: through the aligned image (the function) and straight from the source
    /// frame (transformMatrix on source_landmarks) must give the same frame → new-face transform, and the
    /// returned matrix must carry the old landmarks onto the new ones.
    func testFaceTypeChangeAgreesWithDirectAlignment() throws {
        let face = try dflWholeFace()
        let source = try XCTUnwrap(face.sourceLandmarks)
        for (newType, newSize) in [(FaceType.full, 192), (.head, 384), (.midFull, 256), (.half, 128)] {
            let r = try resizedFaceGeometry(face, newSize: newSize, newFaceType: newType)
            XCTAssertEqual(r.pixelOperation, .warp)
            XCTAssertEqual(r.faceType, newType)
            let direct = try transformMatrix(landmarks: source, size: newSize, faceType: newType)
            let viaAligned = r.oldToNew.composed(after: try XCTUnwrap(face.imageToFaceMat))
            // DFL's stored landmarks are float32, so the two routes differ by ~1e-4 px.
            assertAffine(viaAligned, direct.rows, linearTolerance: 1e-5, translationTolerance: 5e-3, newType.dflName)
            assertAffine(try XCTUnwrap(r.imageToFaceMat), direct.rows, linearTolerance: 1e-12,
                         translationTolerance: 1e-9, newType.dflName)
            for (i, p) in face.landmarks.enumerated() {
                let mapped = r.oldToNew.apply(p)
                assertPoint(mapped, r.landmarks[i].x, r.landmarks[i].y, accuracy: 1e-9)
                let fromSource = direct.apply(source[i])
                assertPoint(mapped, fromSource.x, fromSource.y, accuracy: 5e-3, "\(newType.dflName) #\(i)")
            }
        }
    }

    /// A face-type change maps the new crop's corners back inside the old crop consistently: going to a
    /// tighter type (half) keeps the new image inside the old one.
    func testTighterTypeStaysInsideOldImage() throws {
        let r = try resizedFaceGeometry(try dflWholeFace(), newSize: 128, newFaceType: .half)
        let outline = try XCTUnwrap(alignedOutlineInFrame(frameToFace: r.oldToNew, size: 128))
        for p in outline {
            XCTAssertTrue((0...256).contains(p.x) && (0...256).contains(p.y), "\(p)")
        }
    }

    func testXsegMaskTransformIsAt256() throws {
        var face = try dflWholeFace()
        let at256 = try resizedFaceGeometry(face, newSize: 512, newFaceType: .full)
        // At 256 px the mask transform is the image transform at 256.
        let direct = try transformMatrix(landmarks: face.landmarks, size: 256, faceType: .full)
        assertAffine(try XCTUnwrap(at256.xsegMaskTransform), direct.rows, linearTolerance: 1e-12,
                     translationTolerance: 1e-9)
        // A 512 px face's landmarks are first scaled to 256.
        face.size = 512
        face.landmarks = face.landmarks.map { $0 * 2 }
        let at512 = try resizedFaceGeometry(face, newSize: 512, newFaceType: .full)
        assertAffine(try XCTUnwrap(at512.xsegMaskTransform), direct.rows, linearTolerance: 1e-9,
                     translationTolerance: 1e-7)
    }

    func testMissingSourceLandmarksFallsBackToComposition() throws {
        var face = try dflWholeFace()
        face.sourceLandmarks = nil
        let r = try resizedFaceGeometry(face, newSize: 192, newFaceType: .full)
        let expected = r.oldToNew.composed(after: try XCTUnwrap(face.imageToFaceMat))
        XCTAssertEqual(r.imageToFaceMat, expected)
        face.imageToFaceMat = nil
        XCTAssertNil(try resizedFaceGeometry(face, newSize: 192, newFaceType: .full).imageToFaceMat)
    }

    func testRejectsBadInput() throws {
        let face = try dflWholeFace()
        XCTAssertThrowsError(try resizedFaceGeometry(face, newSize: 0))
        XCTAssertThrowsError(try resizedFaceGeometry(face, newSize: 128, newFaceType: .markOnly))
        var short = face
        short.landmarks = Array(face.landmarks.prefix(10))
        XCTAssertThrowsError(try resizedFaceGeometry(short, newSize: 128, newFaceType: .full))
    }
}
