import FaceSet
import Foundation
import XCTest
@testable import FaceAlign

final class AffineAndUmeyamaTests: XCTestCase {
    let m = Affine2D(0.8, -0.3, 12, 0.25, 1.1, -7)

    func testApplyComposeInvert() throws {
        let p = Point2D(3, -2)
        assertPoint(m.apply(p), 0.8 * 3 + 0.3 * 2 + 12, 0.25 * 3 - 1.1 * 2 - 7, accuracy: 1e-12)
        let inv = try XCTUnwrap(m.inverted)
        assertPoint(inv.apply(m.apply(p)), 3, -2, accuracy: 1e-12)
        let shift = Affine2D.translation(5, 1)
        assertPoint(shift.composed(after: m).apply(p), m.apply(p).x + 5, m.apply(p).y + 1, accuracy: 1e-12)
        assertPoint(m.composed(after: shift).apply(p), m.apply(Point2D(8, -1)).x, m.apply(Point2D(8, -1)).y,
                    accuracy: 1e-12)
        XCTAssertNil(Affine2D(1, 2, 0, 2, 4, 0).inverted)
        XCTAssertEqual(Affine2D(rows: m.rows), m)
        XCTAssertNil(Affine2D(rows: [[1, 2, 3]]))
    }

    func testThreePointMapping() throws {
        let src = (Point2D(1, 2), Point2D(10, 3), Point2D(4, 9))
        let dst = (m.apply(src.0), m.apply(src.1), m.apply(src.2))
        let fit = try XCTUnwrap(Affine2D(mapping: src, to: dst))
        assertAffine(fit, m.rows, linearTolerance: 1e-12, translationTolerance: 1e-10)
        XCTAssertNil(Affine2D(mapping: (Point2D(0, 0), Point2D(1, 1), Point2D(2, 2)), to: dst))
    }

    func testTransformPointsInverse() throws {
        let pts = [Point2D(1, 1), Point2D(-4, 7)]
        let back = try XCTUnwrap(transformPoints(m.apply(pts), m, inverse: true))
        for (a, b) in zip(back, pts) { assertPoint(a, b.x, b.y, accuracy: 1e-12) }
    }

    func testSVDReconstructs() {
        for a in [Matrix2x2(3, 1, -2, 0.5), Matrix2x2(0, 2, 0, 0), Matrix2x2(1, 0, 0, -4), Matrix2x2(-1, 2, 2, -4)] {
            let svd = SVD2x2(a)
            let (s0, s1) = svd.singularValues
            XCTAssertGreaterThanOrEqual(s0, s1)
            XCTAssertGreaterThanOrEqual(s1, 0)
            let r = svd.u * .diagonal(s0, s1) * svd.vt
            XCTAssertEqual(r.a, a.a, accuracy: 1e-12); XCTAssertEqual(r.b, a.b, accuracy: 1e-12)
            XCTAssertEqual(r.c, a.c, accuracy: 1e-12); XCTAssertEqual(r.d, a.d, accuracy: 1e-12)
            XCTAssertEqual(abs(svd.u.determinant), 1, accuracy: 1e-12)
            XCTAssertEqual(abs(svd.vt.determinant), 1, accuracy: 1e-12)
        }
    }

    /// Points moved by an exact similarity give that similarity back.
    func testUmeyamaRecoversSimilarity() throws {
        let angle = 0.7, scale = 2.5
        let truth = Affine2D(scale * cos(angle), -scale * sin(angle), 30, scale * sin(angle), scale * cos(angle), -4)
        let src: [Point2D] = (0..<10).map { (i: Int) -> Point2D in
            Point2D(Double((i * i) % 7), Double((i * 3) % 5) - 1)
        }
        let fit = try XCTUnwrap(umeyama(source: src, destination: truth.apply(src)))
        assertAffine(fit, truth.rows, linearTolerance: 1e-12, translationTolerance: 1e-10)
    }

    /// A mirrored point set cannot be matched by a rotation: Umeyama returns a proper rotation
    /// (determinant > 0), not the reflection.
    func testUmeyamaExcludesReflection() throws {
        let src = [Point2D(0, 0), Point2D(2, 0), Point2D(0, 1), Point2D(3, 3)]
        let dst = src.map { Point2D(-$0.x, $0.y) }
        let fit = try XCTUnwrap(umeyama(source: src, destination: dst))
        XCTAssertGreaterThan(fit.determinant, 0)
        XCTAssertNil(umeyama(source: [Point2D(1, 1), Point2D(1, 1)], destination: [Point2D(0, 0), Point2D(2, 2)]))
        XCTAssertNil(umeyama(source: [], destination: []))
    }

    func testPolygonArea() {
        XCTAssertEqual(polygonArea([Point2D(0, 0), Point2D(4, 0), Point2D(4, 3), Point2D(0, 3)]), 12)
        XCTAssertEqual(polygonArea([Point2D(0, 0), Point2D(0, 3), Point2D(4, 3), Point2D(4, 0)]), 12)
    }

    /// The outline of a face type is the aligned square's corners mapped back: mapping it forward gives the
    /// square, and the NO_ALIGN types give an axis-aligned square in the frame.
    func testFaceTypeOutline() throws {
        let src = goldenSourceLandmarks()
        let outline = try faceTypeOutline(landmarks: src, faceType: .wholeFace)
        let m = try transformMatrix(landmarks: src, size: 256, faceType: .wholeFace)
        let corners = m.apply(outline)
        for (c, e) in zip(corners, [(0.0, 0.0), (256.0, 0.0), (256.0, 256.0), (0.0, 256.0)]) {
            assertPoint(c, e.0, e.1, accuracy: 1e-9)
        }
        let square = try faceTypeOutline(landmarks: src, faceType: .fullNoAlign)
        XCTAssertEqual(square[0].y, square[1].y, accuracy: 1e-9)
        XCTAssertEqual(square[0].x, square[3].x, accuracy: 1e-9)
        let rect = try rectFromLandmarks(src)
        XCTAssertEqual(rect.left, square[0].x, accuracy: 1e-9)
        XCTAssertEqual(rect.top, square[0].y, accuracy: 1e-9)
        XCTAssertEqual(rect.right - rect.left, (square[1].x - square[0].x) * 255 / 256, accuracy: 1e-9)
    }

    func testFaceTypeSides() {
        // docs/dfl-faceset.md §3.4's table of output sides in template units.
        let expected: [(FaceType, Double)] = [(.half, 1.0), (.midFull, 1.1909), (.full, 1.5966), (.wholeFace, 2.1314),
                                              (.head, 2.9799)]
        for (t, side) in expected { XCTAssertEqual(t.templateSide!, side, accuracy: 1e-4, t.dflName) }
        XCTAssertNil(FaceType.markOnly.templateSide)
    }
}
