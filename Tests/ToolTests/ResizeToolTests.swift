import FaceAlign
import FaceSet
import Imaging
import XCTest

final class ResizeToolTests: XCTestCase {
    func metadata(_ path: String) throws -> FaceMetadata {
        try XCTUnwrap(DFLImage.read(readBytes(path)).metadata)
    }

    /// Size only (docs/dfl-faceset.md §5.1 A): pixels resized, landmarks scaled by exactly S′/S, and the new
    /// image_to_face_mat (recomputed from source_landmarks) agrees with the scaled landmarks.
    func testSizeOnlyScalesLandmarksAndKeepsTheFrameMapping() throws {
        let out = try temporaryDirectory(self)
        let input = Repo.dflFaces + "/grace_hopper_navy_1984_0.jpg"
        let r = try runTool("dfl-resize", ["--size", "128", "--out", out, input])
        XCTAssertEqual(r.status, 0, r.stderr)
        let path = out + "/grace_hopper_navy_1984_0.jpg"
        let before = try metadata(input), after = try metadata(path)
        XCTAssertEqual(after.faceType, .wholeFace)
        for (a, b) in zip(before.landmarks, after.landmarks) {
            XCTAssertEqual(b.x, a.x / 2, accuracy: 1e-9)
            XCTAssertEqual(b.y, a.y / 2, accuracy: 1e-9)
        }
        let mat = try XCTUnwrap(after.imageToFaceMat.flatMap(Affine2D.init(rowMajor:)))
        for (s, l) in zip(try XCTUnwrap(after.sourceLandmarks), after.landmarks) {
            let p = mat.apply(Point2D(s))
            XCTAssertLessThan(hypot(p.x - l.x, p.y - l.y), 0.25)   // DFL's own fixture agrees to 3e-4 px at 256
        }
        // The pixels: a 2×2 box average of the original is close to the Lanczos result.
        let big = try decodeJPEG(readBytes(input)), small = try decodeJPEG(readBytes(path))
        XCTAssertEqual(small.width, 128)
        var total = 0.0
        for y in 0..<128 { for x in 0..<128 { for c in 0..<3 {
            let box = (Int(big[2 * x, 2 * y, c]) + Int(big[2 * x + 1, 2 * y, c]) + Int(big[2 * x, 2 * y + 1, c])
                       + Int(big[2 * x + 1, 2 * y + 1, c]))
            total += abs(Double(box) / 4 - Double(small[x, y, c]))
        } } }
        XCTAssertLessThan(total / Double(128 * 128 * 3), 4)
    }

    /// Face-type change (docs/dfl-faceset.md §5.1 B): whole face → full face. In a full-face crop the 33 template
    /// landmarks lie near the template positions of docs/dfl-faceset.md §3.2, centred, in a square whose side is 1.5966
    /// template units (docs/dfl-faceset.md §3.4's table for FULL).
    func testFaceTypeChangePutsLandmarksOnTheFullFaceTemplate() throws {
        let out = try temporaryDirectory(self)
        let input = Repo.dflFaces + "/grace_hopper_navy_1984_0.jpg"
        let r = try runTool("dfl-resize", ["--face-type", "f", "--size", "200", "--out", out, input])
        XCTAssertEqual(r.status, 0, r.stderr)
        let m = try metadata(out + "/grace_hopper_navy_1984_0.jpg")
        XCTAssertEqual(m.faceType, .full)
        let side = 1.5966, size = 200.0
        var sumError = 0.0
        for (t, index) in zip(meanFaceTemplate, meanFaceSourceIndices) {
            let expected = Point2D(((t.x - 0.5) / side + 0.5) * size, ((t.y - 0.5) / side + 0.5) * size)
            let got = Point2D(m.landmarks[index])
            sumError += hypot(got.x - expected.x, got.y - expected.y)
        }
        XCTAssertLessThan(sumError / 33 / size, 0.03, "landmarks far from the full-face template")
        let mat = try XCTUnwrap(m.imageToFaceMat.flatMap(Affine2D.init(rowMajor:)))
        for (s, l) in zip(try XCTUnwrap(m.sourceLandmarks), m.landmarks) {
            let p = mat.apply(Point2D(s))
            XCTAssertLessThan(hypot(p.x - l.x, p.y - l.y), 0.5)
        }
    }

    /// Polygons and the XSeg mask follow the face: polygon points move by the same affine map as the
    /// landmarks (fitted here by least squares from the 68 pairs), and the mask stays a 256-px binary PNG.
    func testPolygonsAndMaskFollowTheLandmarks() throws {
        let out = try temporaryDirectory(self)
        let input = Repo.generatedFaces + "/p3_numpy1_lists.jpg"
        let r = try runTool("dfl-resize", ["--face-type", "head", "--out", out, input])
        XCTAssertEqual(r.status, 0, r.stderr)
        let before = try metadata(input), after = try metadata(out + "/p3_numpy1_lists.jpg")
        XCTAssertEqual(after.faceType, .head)
        let fit = leastSquaresAffine(from: before.landmarks, to: after.landmarks)
        XCTAssertEqual(before.segIEPolys.count, after.segIEPolys.count)
        XCTAssertFalse(before.segIEPolys.isEmpty)
        for (a, b) in zip(before.segIEPolys, after.segIEPolys) {
            XCTAssertEqual(a.kind, b.kind)
            for (p, q) in zip(a.points, b.points) {
                let expected = fit(p)
                XCTAssertEqual(q.x, expected.x, accuracy: 1e-3)
                XCTAssertEqual(q.y, expected.y, accuracy: 1e-3)
            }
        }
        let mask = try decodePNG(XCTUnwrap(after.xsegMask))
        XCTAssertEqual([mask.width, mask.height, mask.channels], [256, 256, 1])
        XCTAssertTrue(mask.pixels.allSatisfy { $0 == 0 || $0 == 255 })
    }

    func testGrayOptionWritesOneComponent() throws {
        let out = try temporaryDirectory(self)
        let r = try runTool("dfl-resize", ["--size", "96", "--gray", "--out", out, Repo.dflFaces])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdoutLines.count, 3)
        for path in r.stdoutLines {
            let face = try DFLJPG.read(readBytes(path))
            XCTAssertEqual([face.width, face.height, face.components], [96, 96, 1])
        }
    }
}

/// The affine map that best sends `a` onto `b` (normal equations, solved for x and y rows separately).
func leastSquaresAffine(from a: [SIMD2<Double>], to b: [SIMD2<Double>]) -> (SIMD2<Double>) -> SIMD2<Double> {
    var ata = [[Double]](repeating: [0, 0, 0], count: 3)
    var atx = [0.0, 0, 0], aty = [0.0, 0, 0]
    for (p, q) in zip(a, b) {
        let row = [p.x, p.y, 1]
        for i in 0..<3 {
            for j in 0..<3 { ata[i][j] += row[i] * row[j] }
            atx[i] += row[i] * q.x
            aty[i] += row[i] * q.y
        }
    }
    func solve(_ m: [[Double]], _ v: [Double]) -> [Double] {
        func det(_ m: [[Double]]) -> Double {
            m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
                + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
        }
        let d = det(m)
        return (0..<3).map { k in
            var mk = m
            for i in 0..<3 { mk[i][k] = v[i] }
            return det(mk) / d
        }
    }
    let rx = solve(ata, atx), ry = solve(ata, aty)
    return { p in SIMD2(rx[0] * p.x + rx[1] * p.y + rx[2], ry[0] * p.x + ry[1] * p.y + ry[2]) }
}
