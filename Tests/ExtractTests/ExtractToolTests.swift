// dfl-extract end to end: what it writes, where the faces land, how it reports bad inputs.
import FaceAlign
import FaceSet
import Foundation
import Imaging
import XCTest

/// DFL's mean-face template (docs/dfl-faceset.md §3.2), for the points the geometry check uses: (index, x, y, tolerance as
/// a fraction of the face size). The template is a neutral frontal mean face: eye corners and the nose
/// bridge fit it closely; the nose tip moves with head turns (yaw) and the mouth corners with expression
/// (the smiles of the portraits widen the mouth by several percent).
let templatePoints: [(Int, Double, Double, Double)] = [
    (36, 0.121737, 0.216423, 0.04), (39, 0.334606, 0.231733, 0.04), (42, 0.645647, 0.231733, 0.04),
    (45, 0.858516, 0.216423, 0.04), (27, 0.490127, 0.203352, 0.04),
    (30, 0.490127, 0.515625, 0.06), (33, 0.490127, 0.628106, 0.06),
    (48, 0.254149, 0.780233, 0.08), (54, 0.726104, 0.780233, 0.08),
]

/// Distance of aligned landmark `i` from its template position, as a fraction of the face size 256.
func templateDeviation(_ landmarks: [SIMD2<Double>], _ i: Int, _ tx: Double, _ ty: Double) -> Double {
    let (ex, ey) = fullFacePosition(tx, ty, size: 256)
    let dx = landmarks[i].x - ex, dy = landmarks[i].y - ey
    return (dx * dx + dy * dy).squareRoot() / 256
}

/// Where a template point lands in an S×S full_face (docs/dfl-faceset.md §3.4 closed form: the template square, centred
/// at (0.5, 0.5), scaled so that a side of 1 + 2√2·p, p = 0.2109375, fills S).
func fullFacePosition(_ x: Double, _ y: Double, size: Int) -> (Double, Double) {
    let s = Double(size), k = s / (1 + 2 * 2.0.squareRoot() * 0.2109375)
    return (s / 2 + k * (x - 0.5), s / 2 + k * (y - 0.5))
}

final class ExtractToolTests: XCTestCase {
    static let stills = ["astronaut_collins.png", "biden_portrait_2013.jpg", "grace_hopper_navy_1984.jpg",
                         "lin_manuel_miranda_2009.png", "obama_portrait_2012.jpg", "obama_speech_2009.jpg"]

    func readFace(_ path: String) throws -> (DFLFace, FaceMetadata) {
        let face = try DFLJPG.read([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
        return (face, try XCTUnwrap(face.metadata, path))
    }

    /// Every still and video frame: exactly one face (counted by looking), written in frame order with
    /// DFL's metadata; aligned landmarks near the template; the matrix maps source onto aligned landmarks.
    func testOneFacePerFrameWithMetadataAndGeometry() throws {
        let out = try ToolRunner.temporaryDirectory("geometry")
        let frames = Self.stills.map { ToolRunner.exampleData.appendingPathComponent($0).path }
            + (51...55).map { ToolRunner.videoFrames.appendingPathComponent(String(format: "%05d.jpg", $0)).path }
        let run = try ToolRunner.run(["--face-type", "f", "--size", "256", "--out", out.path] + frames)
        XCTAssertEqual(run.status, 0, run.stderr)
        let expected = frames.map { f -> String in
            let stem = ((f as NSString).lastPathComponent as NSString).deletingPathExtension
            return out.path + "/\(stem)_0.jpg"
        }
        XCTAssertEqual(run.lines, expected)
        for (frame, path) in zip(frames, run.lines) {
            let (face, meta) = try readFace(path)
            XCTAssertEqual(face.width, 256); XCTAssertEqual(face.height, 256); XCTAssertEqual(face.components, 3)
            XCTAssertEqual(meta.faceType, .full)
            XCTAssertEqual(meta.sourceFilename, (frame as NSString).lastPathComponent)
            XCTAssertEqual(meta.landmarks.count, 68)
            let rect = try XCTUnwrap(meta.sourceRect); XCTAssertEqual(rect.count, 4)
            let src = try XCTUnwrap(meta.sourceLandmarks); XCTAssertEqual(src.count, 68)
            let m = try XCTUnwrap(meta.imageToFaceMat); XCTAssertEqual(m.count, 6)
            // image_to_face_mat maps source_landmarks onto landmarks.
            for (s, a) in zip(src, meta.landmarks) {
                XCTAssertEqual(m[0] * s.x + m[1] * s.y + m[2], a.x, accuracy: 1e-6, path)
                XCTAssertEqual(m[3] * s.x + m[4] * s.y + m[5], a.y, accuracy: 1e-6, path)
            }
            // Eye corners, nose and mouth corners within a few percent of the face size of the template.
            for (i, tx, ty, tolerance) in templatePoints {
                XCTAssertLessThan(templateDeviation(meta.landmarks, i, tx, ty), tolerance, "\(path): landmark \(i)")
            }
            // The source box contains the source nose tip.
            XCTAssertTrue((rect[0]...rect[2]).contains(Int(src[30].x)) && (rect[1]...rect[3]).contains(Int(src[30].y)), path)
        }
    }

    /// The aligned pixels show what the frame shows at the matching place: the warp and the stored matrix
    /// agree (patch means around a few landmarks, frame vs aligned face).
    func testAlignedPixelsMatchTheFrame() throws {
        let out = try ToolRunner.temporaryDirectory("pixels")
        let frame = ToolRunner.exampleData.appendingPathComponent("grace_hopper_navy_1984.jpg").path
        let run = try ToolRunner.run(["--face-type", "wf", "--size", "512", "--quality", "100", "--out", out.path, frame])
        XCTAssertEqual(run.status, 0, run.stderr)
        let path = try XCTUnwrap(run.lines.first)
        let (_, meta) = try readFace(path)
        let aligned = try readImage(path: path)
        let source = try readImage(path: frame)
        let src = try XCTUnwrap(meta.sourceLandmarks)
        for i in [8, 30, 36, 45, 48, 57] {
            let a = patchMean(aligned, meta.landmarks[i]), b = patchMean(source, src[i])
            for c in 0..<3 { XCTAssertEqual(a[c], b[c], accuracy: 12, "landmark \(i) channel \(c)") }
        }
    }

    /// Consecutive video frames: the stable points (eye corners, nose bridge and tip) of the aligned faces
    /// move less than 1.5 % of the face size (3.8 px at 256) from one frame to the next; the head itself
    /// moves only a little in 40 ms, so more would be detector or alignment noise.
    func testLandmarkJitterAcrossConsecutiveFrames() throws {
        let out = try ToolRunner.temporaryDirectory("jitter")
        let run = try ToolRunner.run(["--face-type", "f", "--size", "256", "--out", out.path, ToolRunner.videoFrames.path])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(run.lines.count, 5)
        let faces = try run.lines.map { try readFace($0).1.landmarks }
        for k in 1..<faces.count {
            for i in [27, 30, 36, 39, 42, 45] {
                let d = ((faces[k][i].x - faces[k - 1][i].x) * (faces[k][i].x - faces[k - 1][i].x)
                    + (faces[k][i].y - faces[k - 1][i].y) * (faces[k][i].y - faces[k - 1][i].y)).squareRoot()
                XCTAssertLessThan(d, 0.015 * 256, "frames \(k) and \(k + 1), landmark \(i)")
            }
        }
    }

    /// Two stills side by side: two faces, `_0` the larger (Hopper's), `_1` the astronaut's; `--max-faces 1`
    /// keeps only `_0`.
    func testTwoFacesAndMaxFaces() throws {
        let dir = try ToolRunner.temporaryDirectory("two")
        let a = try readImage(path: ToolRunner.exampleData.appendingPathComponent("astronaut_collins.png").path)
        let b = try readImage(path: ToolRunner.exampleData.appendingPathComponent("grace_hopper_navy_1984.jpg").path)
        let joined = dir.appendingPathComponent("joined.png")
        try Data(try encodePNG(sideBySide(a, b), fast: true)).write(to: joined)
        let out = dir.appendingPathComponent("out")
        let run = try ToolRunner.run(["--out", out.path, joined.path])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(run.lines, [out.path + "/joined_0.jpg", out.path + "/joined_1.jpg"])
        if run.lines.count == 2 {
            let r0 = try XCTUnwrap(try readFace(run.lines[0]).1.sourceRect)
            let r1 = try XCTUnwrap(try readFace(run.lines[1]).1.sourceRect)
            XCTAssertGreaterThan(r0[0], a.width, "face 0 is Hopper's, on the right")
            XCTAssertLessThan(r1[2], a.width, "face 1 is the astronaut's, on the left")
        }
        let out1 = dir.appendingPathComponent("out1")
        let one = try ToolRunner.run(["--max-faces", "1", "--out", out1.path, joined.path])
        XCTAssertEqual(one.lines, [out1.path + "/joined_0.jpg"])
    }

    /// A frame turned a quarter turn: the rotation search finds the face and the aligned face is upright
    /// (its landmarks near the template).
    func testRotatedFrameGivesAnUprightFace() throws {
        let dir = try ToolRunner.temporaryDirectory("rotated")
        let photo = try readImage(path: ToolRunner.exampleData.appendingPathComponent("obama_portrait_2012.jpg").path)
        let turned = dir.appendingPathComponent("turned.png")
        try Data(try encodePNG(turnClockwise(photo), fast: true)).write(to: turned)
        let run = try ToolRunner.run(["--face-type", "f", "--size", "256", "--out", dir.appendingPathComponent("out").path, turned.path])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(run.lines.count, 1)
        let meta = try readFace(try XCTUnwrap(run.lines.first)).1
        for (i, tx, ty, tolerance) in templatePoints {
            XCTAssertLessThan(templateDeviation(meta.landmarks, i, tx, ty), tolerance, "landmark \(i)")
        }
    }

    /// `--gray`: 1-component JPEG faces with the same metadata.
    func testGrayFaces() throws {
        let out = try ToolRunner.temporaryDirectory("gray")
        let frame = ToolRunner.exampleData.appendingPathComponent("lin_manuel_miranda_2009.png").path
        let run = try ToolRunner.run(["--gray", "--size", "256", "--out", out.path, frame])
        XCTAssertEqual(run.status, 0, run.stderr)
        let (face, meta) = try readFace(try XCTUnwrap(run.lines.first))
        XCTAssertEqual(face.components, 1)
        XCTAssertEqual(meta.faceType, .wholeFace)
        XCTAssertEqual(try readImage(path: run.lines[0]).channels, 1)
    }

    /// Bad frames are reported as `dfl-extract: path: reason`, the rest is processed, exit status 1; a frame
    /// without a face is not an error (reported with --verbose).
    func testBadInputsAreReportedAndTheRestProcessed() throws {
        let dir = try ToolRunner.temporaryDirectory("bad")
        let good = ToolRunner.exampleData.appendingPathComponent("astronaut_collins.png")
        let goodBytes = try Data(contentsOf: good)
        let truncated = dir.appendingPathComponent("truncated.png")
        try goodBytes.prefix(goodBytes.count / 3).write(to: truncated)
        let empty = dir.appendingPathComponent("empty.jpg")
        try Data().write(to: empty)
        let missing = dir.appendingPathComponent("missing.jpg")
        let noFace = dir.appendingPathComponent("noface.png")
        try Data(try encodePNG(Image(width: 200, height: 150, channels: 3, fill: 90), fast: true)).write(to: noFace)
        let out = dir.appendingPathComponent("out")
        let run = try ToolRunner.run(["--verbose", "--out", out.path, truncated.path, empty.path, missing.path,
                                      noFace.path, good.path])
        XCTAssertEqual(run.status, 1)
        XCTAssertEqual(run.lines, [out.path + "/astronaut_collins_0.jpg"])
        for bad in [truncated, empty, missing] {
            XCTAssertTrue(run.stderr.contains("dfl-extract: \(bad.path): "), run.stderr)
        }
        XCTAssertTrue(run.stderr.contains("dfl-extract: \(noFace.path): no face found"), run.stderr)
        XCTAssertTrue(run.stderr.contains("5 frames, 1 faces, 1 frames without a face, 3 failed"), run.stderr)

        let clean = try ToolRunner.run(["--out", out.path, noFace.path])
        XCTAssertEqual(clean.status, 0, clean.stderr)
        XCTAssertEqual(clean.lines, [])
    }

    /// Two frames with the same name stem in different folders: the second is skipped and reported (its
    /// faces would overwrite the first one's), as DFL skips repeated stems.
    func testRepeatedFrameStemIsReported() throws {
        let dir = try ToolRunner.temporaryDirectory("stems")
        let source = ToolRunner.exampleData.appendingPathComponent("grace_hopper_navy_1984.jpg")
        for sub in ["a", "b"] {
            try FileManager.default.createDirectory(at: dir.appendingPathComponent(sub), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: source, to: dir.appendingPathComponent("\(sub)/frame.jpg"))
        }
        let out = dir.appendingPathComponent("out")
        let run = try ToolRunner.run(["--out", out.path, dir.appendingPathComponent("a").path, dir.appendingPathComponent("b").path])
        XCTAssertEqual(run.status, 1)
        XCTAssertEqual(run.lines, [out.path + "/frame_0.jpg"])
        XCTAssertTrue(run.stderr.contains("dfl-extract: \(dir.appendingPathComponent("b/frame.jpg").path): skipped"), run.stderr)
        let meta = try readFace(out.path + "/frame_0.jpg").1
        XCTAssertEqual(meta.sourceFilename, "frame.jpg")
    }

    func testUsageErrorsExitTwo() throws {
        let frame = ToolRunner.exampleData.appendingPathComponent("astronaut_collins.png").path
        for args in [["--face-type", "sideways", "--out", "/tmp/x", frame], [frame], ["--size", "10", "--out", "/tmp/x", frame],
                     ["--no-such-option", "--out", "/tmp/x", frame], ["--upsample", "9", "--out", "/tmp/x", frame]] {
            let run = try ToolRunner.run(args)
            XCTAssertEqual(run.status, 2, "\(args): \(run.stderr)")
            XCTAssertEqual(run.stdout, "")
        }
        XCTAssertEqual(try ToolRunner.run(["--help"]).status, 0)
    }

    func testMissingModelNamesTheDebianPackage() throws {
        let out = try ToolRunner.temporaryDirectory("model")
        let frame = ToolRunner.exampleData.appendingPathComponent("astronaut_collins.png").path
        let run = try ToolRunner.run(["--out", out.path, frame], environment: ["DFL_LANDMARKS_MODEL": "/nonexistent/model.dat"])
        XCTAssertEqual(run.status, 1)
        XCTAssertTrue(run.stderr.contains("libdlib-data"), run.stderr)
        XCTAssertTrue(run.stderr.contains("/nonexistent/model.dat"), run.stderr)
    }

    /// Paths from standard input (newline- and NUL-separated) give the same faces, byte for byte, whatever
    /// the thread count; `--debug` writes one image per frame.
    func testStdinListsThreadsAndDebug() throws {
        let dir = try ToolRunner.temporaryDirectory("stdin")
        let frames = (51...53).map { ToolRunner.videoFrames.appendingPathComponent(String(format: "%05d.jpg", $0)).path }
        let a = dir.appendingPathComponent("a"), b = dir.appendingPathComponent("b"), dbg = dir.appendingPathComponent("debug")
        let r1 = try ToolRunner.run(["--threads", "1", "--out", a.path], stdin: Data((frames.joined(separator: "\n") + "\n").utf8))
        let r2 = try ToolRunner.run(["-0", "--threads", "2", "--debug", dbg.path, "--out", b.path],
                                    stdin: Data(frames.joined(separator: "\0").utf8))
        XCTAssertEqual(r1.status, 0, r1.stderr); XCTAssertEqual(r2.status, 0, r2.stderr)
        XCTAssertEqual(r1.lines.count, 3)
        XCTAssertEqual(r1.lines.map { ($0 as NSString).lastPathComponent }, r2.lines.map { ($0 as NSString).lastPathComponent })
        for (p, q) in zip(r1.lines, r2.lines) {
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: p)), try Data(contentsOf: URL(fileURLWithPath: q)))
        }
        for n in 51...53 {
            XCTAssertNoThrow(try readImage(path: dbg.appendingPathComponent(String(format: "%05d.jpg", n)).path))
        }
    }

    /// The golden value of docs/dfl-faceset.md §3.6, through the transform dfl-extract uses.
    func testGoldenFullFaceTransform() throws {
        let angle = 10.0 * Double.pi / 180
        let pts = headTemplate3D.map { p in
            Point2D(2 * (p.x * cos(angle) - p.y * sin(angle)) + 640, 2 * (p.x * sin(angle) + p.y * cos(angle)) + 360)
        }
        XCTAssertEqual(pts[30].x, 645.33863, accuracy: 1e-4)
        let m = try transformMatrix(landmarks: pts, size: 256, faceType: .full)
        let golden = [0.6578881, 0.1117994, -335.37478, -0.1117994, 0.6578881, -29.85886]
        for (v, g) in zip([m.m00, m.m01, m.m02, m.m10, m.m11, m.m12], golden) { XCTAssertEqual(v, g, accuracy: 1e-4) }
    }
}

/// Mean of the 5×5 patch around `p` (rounded), per channel.
func patchMean(_ image: Image, _ p: SIMD2<Double>) -> [Double] {
    let cx = Int(p.x.rounded()), cy = Int(p.y.rounded())
    var sums = [Double](repeating: 0, count: image.channels)
    var n = 0.0
    for y in (cy - 2)...(cy + 2) where y >= 0 && y < image.height {
        for x in (cx - 2)...(cx + 2) where x >= 0 && x < image.width {
            for c in 0..<image.channels { sums[c] += Double(image[x, y, c]) }
            n += 1
        }
    }
    return sums.map { $0 / max(n, 1) }
}

func sideBySide(_ a: Image, _ b: Image) -> Image {
    var out = Image(width: a.width + b.width, height: max(a.height, b.height), channels: 3)
    for (img, x0) in [(a, 0), (b, a.width)] {
        for y in 0..<img.height { for x in 0..<img.width { for c in 0..<3 { out[x0 + x, y, c] = img[x, y, c] } } }
    }
    return out
}

func turnClockwise(_ a: Image) -> Image {
    var out = Image(width: a.height, height: a.width, channels: a.channels)
    for y in 0..<a.height { for x in 0..<a.width { for c in 0..<a.channels { out[a.height - 1 - y, x, c] = a[x, y, c] } } }
    return out
}

final class ExtractPythonInteropTests: XCTestCase {
    /// The faces load in Python the way DeepFaceLab loads them (skipped where python3 with numpy is missing).
    func testFacesLoadInPythonWithDFLTypes() throws {
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        probe.arguments = ["python3", "-c", "import numpy"]
        probe.standardError = FileHandle.nullDevice
        try? probe.run()
        probe.waitUntilExit()
        try XCTSkipUnless(probe.terminationStatus == 0, "python3 with numpy is not available")

        let out = try ToolRunner.temporaryDirectory("python")
        let frames = ["astronaut_collins.png", "obama_speech_2009.jpg"].map { ToolRunner.exampleData.appendingPathComponent($0).path }
        let run = try ToolRunner.run(["--out", out.path] + frames)
        XCTAssertEqual(run.status, 0, run.stderr)
        let gray = try ToolRunner.run(["--gray", "--face-type", "head", "--out", out.appendingPathComponent("gray").path, frames[0]])
        XCTAssertEqual(gray.status, 0, gray.stderr)
        let script = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/check_dfl_face", withExtension: "py"))
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        python.arguments = ["python3", script.path] + run.lines + gray.lines
        let pipe = Pipe()
        python.standardOutput = pipe
        try python.run()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        python.waitUntilExit()
        XCTAssertEqual(python.terminationStatus, 0, text)
        XCTAssertEqual(text.split(separator: "\n").count, 3, text)
    }
}
