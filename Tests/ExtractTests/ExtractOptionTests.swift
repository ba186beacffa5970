// dfl-extract's detection options through the tool, each with a value checked: the CNN detector on real faces
// and its boxes moved onto HOG's convention, --detect-size, --no-rotation-search, --landmarks-model.
import FaceSet
import Foundation
import Imaging
import XCTest

final class ExtractOptionTests: XCTestCase {
    /// The stills and the five talking-head frames: one face each, which HOG and the CNN both find.
    static var frames: [String] {
        ExtractToolTests.stills.map { ToolRunner.exampleData.appendingPathComponent($0).path }
            + (51...55).map { ToolRunner.videoFrames.appendingPathComponent(String(format: "%05d.jpg", $0)).path }
    }

    func metadata(_ path: String) throws -> FaceMetadata {
        try XCTUnwrap(try DFLJPG.read([UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))).metadata, path)
    }

    /// `--detector cnn` on real faces: one face per frame, and its box (source_rect, the CNN box moved and
    /// scaled onto HOG's convention for the landmark model) agrees with HOG's box of the same face: each
    /// centre within 10 % of HOG's box width, each width within 0.85–1.2 of HOG's, and over the 11 faces the
    /// mean centre offset within 3 % and the mean width ratio within 3 % of 1. (The raw CNN box sits about
    /// 7 % higher and 5 % smaller: the means catch a missing or wrong move.)
    func testCNNBoxesTakeHOGsConventionOnFacesBothFind() throws {
        let dir = try ToolRunner.temporaryDirectory("cnn-convention")
        let common = ["--face-type", "f", "--size", "256"]
        let hog = try ToolRunner.run(common + ["--detector", "hog", "--out", dir.appendingPathComponent("hog").path] + Self.frames)
        let cnn = try ToolRunner.run(common + ["--detector", "cnn", "--out", dir.appendingPathComponent("cnn").path] + Self.frames)
        XCTAssertEqual(hog.status, 0, hog.stderr); XCTAssertEqual(cnn.status, 0, cnn.stderr)
        XCTAssertEqual(cnn.lines.count, Self.frames.count, cnn.stdout)
        XCTAssertEqual(cnn.lines.map { ($0 as NSString).lastPathComponent }, hog.lines.map { ($0 as NSString).lastPathComponent })
        var dxs: [Double] = [], dys: [Double] = [], ratios: [Double] = []
        for (h, c) in zip(hog.lines, cnn.lines) {
            let a = try XCTUnwrap(try metadata(h).sourceRect), b = try XCTUnwrap(try metadata(c).sourceRect)
            let w = Double(a[2] - a[0] + 1)
            let dx = (Double(b[0] + b[2]) - Double(a[0] + a[2])) / 2 / w, dy = (Double(b[1] + b[3]) - Double(a[1] + a[3])) / 2 / w
            let ratio = Double(b[2] - b[0] + 1) / w
            XCTAssertLessThanOrEqual(abs(dx), 0.1, "\(c): CNN \(b) vs HOG \(a)")
            XCTAssertLessThanOrEqual(abs(dy), 0.1, "\(c): CNN \(b) vs HOG \(a)")
            XCTAssertTrue((0.85...1.2).contains(ratio), "\(c): width ratio \(ratio)")
            dxs.append(dx); dys.append(dy); ratios.append(ratio)
        }
        func mean(_ v: [Double]) -> Double { v.reduce(0, +) / Double(max(v.count, 1)) }
        XCTAssertLessThanOrEqual(abs(mean(dxs)), 0.03, "mean x offset \(mean(dxs))")
        XCTAssertLessThanOrEqual(abs(mean(dys)), 0.03, "mean y offset \(mean(dys))")
        XCTAssertLessThanOrEqual(abs(mean(ratios) - 1), 0.03, "mean width ratio \(mean(ratios))")
        // The landmarks fitted on the CNN's boxes are those of the same faces: eye corners, nose, mouth corners
        // within 8 % of the face width of HOG's.
        for (h, c) in zip(hog.lines, cnn.lines) {
            let a = try metadata(h), b = try metadata(c)
            let p = try XCTUnwrap(a.sourceLandmarks), q = try XCTUnwrap(b.sourceLandmarks)
            let w = Double(try XCTUnwrap(a.sourceRect)[2] - a.sourceRect![0] + 1)
            for i in [36, 39, 42, 45, 30, 48, 54] {
                let d = ((p[i].x - q[i].x) * (p[i].x - q[i].x) + (p[i].y - q[i].y) * (p[i].y - q[i].y)).squareRoot()
                XCTAssertLessThan(d, 0.08 * w, "\(c): landmark \(i)")
            }
        }
    }

    /// `--detect-size`: detection on a smaller copy (factor 4 for the 1200-px frames at 300, 2 at the default
    /// 640) finds the same face, with another box, and the landmarks, fitted on the full frame, stay within 3 %
    /// of the face width of those of detection at full size (`--detect-size 0`).
    func testDetectSizeKeepsTheLandmarks() throws {
        let dir = try ToolRunner.temporaryDirectory("detect-size")
        let frames = ["biden_portrait_2013.jpg", "obama_speech_2009.jpg"].map { ToolRunner.exampleData.appendingPathComponent($0).path }
        var runs: [String: [FaceMetadata]] = [:]
        for size in ["0", "300", "640"] {
            let run = try ToolRunner.run(["--detector", "hog", "--detect-size", size, "--out", dir.appendingPathComponent(size).path] + frames)
            XCTAssertEqual(run.status, 0, run.stderr)
            XCTAssertEqual(run.lines.count, 2, "--detect-size \(size): \(run.stdout)")
            runs[size] = try run.lines.map(metadata)
        }
        let full = try XCTUnwrap(runs["0"])
        for size in ["300", "640"] {
            for (a, b) in zip(full, try XCTUnwrap(runs[size])) {
                let w = Double(try XCTUnwrap(a.sourceRect)[2] - a.sourceRect![0] + 1)
                let p = try XCTUnwrap(a.sourceLandmarks), q = try XCTUnwrap(b.sourceLandmarks)
                let worst = zip(p, q).map { (($0.x - $1.x) * ($0.x - $1.x) + ($0.y - $1.y) * ($0.y - $1.y)).squareRoot() }.max()!
                XCTAssertLessThan(worst, 0.03 * w, "\(b.sourceFilename ?? ""): --detect-size \(size) moves a landmark \(worst) px")
            }
        }
        // The option reached the detector: the small copy's boxes are not full-size detection's.
        XCTAssertNotEqual(full.map(\.sourceRect), try XCTUnwrap(runs["300"]).map(\.sourceRect))
        XCTAssertEqual(try ToolRunner.run(["--detect-size", "10", "--out", dir.path, frames[0]]).status, 2)
    }

    /// `--no-rotation-search`: a frame turned a quarter turn gives its face with the search (default) and
    /// none without it (exit 0, `no face found` with --verbose).
    func testNoRotationSearchFindsNoTurnedFace() throws {
        let dir = try ToolRunner.temporaryDirectory("no-rotation")
        let photo = try readImage(path: ToolRunner.exampleData.appendingPathComponent("obama_portrait_2012.jpg").path)
        let turned = dir.appendingPathComponent("turned.png")
        try Data(try encodePNG(turnClockwise(photo), fast: true)).write(to: turned)
        let with = try ToolRunner.run(["--detector", "hog", "--out", dir.appendingPathComponent("a").path, turned.path])
        XCTAssertEqual(with.status, 0, with.stderr)
        XCTAssertEqual(with.lines.count, 1)
        let without = try ToolRunner.run(["--detector", "hog", "--no-rotation-search", "--verbose",
                                          "--out", dir.appendingPathComponent("b").path, turned.path])
        XCTAssertEqual(without.status, 0, without.stderr)
        XCTAssertEqual(without.lines, [])
        XCTAssertTrue(without.stderr.contains("\(turned.path): no face found"), without.stderr)
    }

    /// `--landmarks-model`: a path that does not exist and a file that is not a landmark model are clear
    /// errors naming the file (exit 1, nothing written); the real model given by path overrides
    /// $DFL_LANDMARKS_MODEL and gives the default's faces byte for byte.
    func testLandmarksModelOption() throws {
        let dir = try ToolRunner.temporaryDirectory("landmarks-model")
        let frame = ToolRunner.exampleData.appendingPathComponent("astronaut_collins.png").path
        let missing = try ToolRunner.run(["--detector", "hog", "--landmarks-model", "/nonexistent/lm.dat",
                                          "--out", dir.appendingPathComponent("m").path, frame])
        XCTAssertEqual(missing.status, 1)
        XCTAssertEqual(missing.stdout, "")
        XCTAssertTrue(missing.stderr.hasPrefix("dfl-extract: cannot open the landmark model /nonexistent/lm.dat"), missing.stderr)
        XCTAssertTrue(missing.stderr.contains("--landmarks-model"), missing.stderr)
        let wrong = dir.appendingPathComponent("wrong.dat")
        try Data("not a shape predictor".utf8).write(to: wrong)
        let bad = try ToolRunner.run(["--detector", "hog", "--landmarks-model", wrong.path, "--out", dir.appendingPathComponent("w").path, frame])
        XCTAssertEqual(bad.status, 1)
        XCTAssertEqual(bad.stdout, "")
        XCTAssertTrue(bad.stderr.contains("\(wrong.path) is not a 68-point dlib landmark model"), bad.stderr)

        let debian = "/usr/share/dlib/shape_predictor_68_face_landmarks.dat"
        try XCTSkipUnless(FileManager.default.isReadableFile(atPath: debian), "libdlib-data is not installed")
        let reference = try ToolRunner.run(["--detector", "hog", "--out", dir.appendingPathComponent("ref").path, frame])
        let explicit = try ToolRunner.run(["--detector", "hog", "--landmarks-model", debian, "--out", dir.appendingPathComponent("x").path, frame],
                                          environment: ["DFL_LANDMARKS_MODEL": "/nonexistent/env.dat"])
        XCTAssertEqual(reference.status, 0, reference.stderr); XCTAssertEqual(explicit.status, 0, explicit.stderr)
        XCTAssertEqual(explicit.lines.count, 1)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: try XCTUnwrap(explicit.lines.first))),
                       try Data(contentsOf: URL(fileURLWithPath: try XCTUnwrap(reference.lines.first))))
    }
}
