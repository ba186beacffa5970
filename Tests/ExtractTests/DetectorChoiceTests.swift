// dfl-extract --detector: the multi-shot poetry-jam clip (faces at 3/4 view and in profile, which HOG misses),
// the talking heads (auto writes exactly HOG's faces), the CNN model's errors, the debug colours.
import FaceSet
import Foundation
import Imaging
import XCTest

/// One frame of the poetry-jam fixtures and the faces a person sees in it, counted by looking (README.md in
/// Fixtures/poetry_jam): `clear` faces at least --min-face-size (40 px) that anyone would call a face,
/// `unsure` more that are cut by the frame edge or blurred in the background.
struct PoetryJamFrame {
    var name: String
    var clear: Int
    var unsure: Int

    /// The frames and counts of Fixtures/poetry_jam/expected_faces.txt.
    static func all() throws -> [PoetryJamFrame] {
        let text = try String(contentsOf: ToolRunner.poetryJam.appendingPathComponent("expected_faces.txt"), encoding: .utf8)
        return text.split(separator: "\n").compactMap { line -> PoetryJamFrame? in
            let fields = line.split(separator: "#")[0].split(separator: " ")
            guard fields.count == 3, let c = Int(fields[1]), let u = Int(fields[2]) else { return nil }
            return PoetryJamFrame(name: String(fields[0]), clear: c, unsure: u)
        }
    }
}

final class DetectorChoiceTests: XCTestCase {
    /// Faces written per frame stem.
    func counts(_ run: ToolRun) -> [String: Int] {
        var n: [String: Int] = [:]
        for path in run.lines {
            let name = (path as NSString).lastPathComponent
            n[String(name[..<name.lastIndex(of: "_")!]), default: 0] += 1
        }
        return n
    }

    /// The default detector finds clearly more of the faces a person sees than HOG, and never more faces in
    /// a frame than there are (so every face it writes is a face; the debug frames were checked by eye too).
    func testPoetryJamDefaultFindsMoreFacesThanHOG() throws {
        let frames = try PoetryJamFrame.all()
        XCTAssertEqual(frames.count, 18)
        let paths = frames.map { ToolRunner.poetryJam.appendingPathComponent($0.name).path }
        let dir = try ToolRunner.temporaryDirectory("poetry")
        let hogRun = try ToolRunner.run(["--detector", "hog", "--face-type", "f", "--size", "256",
                                         "--out", dir.appendingPathComponent("hog").path] + paths)
        let defRun = try ToolRunner.run(["--face-type", "f", "--size", "256", "--debug", dir.appendingPathComponent("debug").path,
                                         "--out", dir.appendingPathComponent("default").path] + paths)
        XCTAssertEqual(hogRun.status, 0, hogRun.stderr)
        XCTAssertEqual(defRun.status, 0, defRun.stderr)
        let hog = counts(hogRun), found = counts(defRun)
        var clearTotal = 0, hogTotal = 0, defaultTotal = 0, framesWithFace = 0
        for f in frames {
            let stem = (f.name as NSString).deletingPathExtension
            let h = hog[stem] ?? 0, d = found[stem] ?? 0
            XCTAssertLessThanOrEqual(d, f.clear + f.unsure, "\(f.name): more faces than the frame shows")
            XCTAssertLessThanOrEqual(h, f.clear + f.unsure, "\(f.name): HOG wrote more faces than the frame shows")
            XCTAssertGreaterThanOrEqual(d, h, "\(f.name): the default lost a face HOG finds")
            clearTotal += f.clear; hogTotal += h; defaultTotal += d
            if d > 0 { framesWithFace += 1 }
        }
        // Measured: HOG finds 12 of the 28 clear faces, the default 27.
        XCTAssertGreaterThanOrEqual(defaultTotal, hogTotal + 10, "HOG \(hogTotal), default \(defaultTotal)")
        XCTAssertGreaterThanOrEqual(Double(defaultTotal), 0.75 * Double(clearTotal),
                                    "default \(defaultTotal) of \(clearTotal) clear faces")
        // Every frame with a clear face gets at least one.
        for f in frames where f.clear > 0 {
            XCTAssertGreaterThan(found[(f.name as NSString).deletingPathExtension] ?? 0, 0, f.name)
        }
        // Every written face carries DFL's metadata with the frame's name.
        for path in defRun.lines {
            let face = try DFLJPG.read([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
            let meta = try XCTUnwrap(face.metadata, path)
            XCTAssertEqual(meta.faceType, .full)
            XCTAssertEqual(meta.landmarks.count, 68)
            XCTAssertTrue(frames.contains { $0.name == meta.sourceFilename }, path)
        }
        // A face only the CNN found is drawn in yellow on its debug frame, a HOG face in blue.
        let yellowFrames = try frames.filter { f in
            let stem = (f.name as NSString).deletingPathExtension
            guard (found[stem] ?? 0) > (hog[stem] ?? 0) else { return false }
            return try hasBoxColour(dir.appendingPathComponent("debug/\(stem).jpg").path, yellow: true)
        }
        XCTAssertFalse(yellowFrames.isEmpty)
        let hogOnly = try XCTUnwrap(frames.first { f in
            let stem = (f.name as NSString).deletingPathExtension
            return (hog[stem] ?? 0) > 0 && found[stem] == hog[stem]
        })
        let hogStem = (hogOnly.name as NSString).deletingPathExtension
        XCTAssertTrue(try hasBoxColour(dir.appendingPathComponent("debug/\(hogStem).jpg").path, yellow: false))
    }

    /// Whether a debug frame has a run of box-coloured pixels (yellow 255,255,0 or blue 0,0,255, allowing
    /// for JPEG at quality 50).
    func hasBoxColour(_ path: String, yellow: Bool) throws -> Bool {
        let image = try readImage(path: path)
        var n = 0
        for i in 0..<(image.width * image.height) {
            let r = Int(image.pixels[3 * i]), g = Int(image.pixels[3 * i + 1]), b = Int(image.pixels[3 * i + 2])
            let hit = yellow ? (r > 200 && g > 200 && b < 90) : (r < 70 && g < 70 && b > 190)
            if hit { n += 1 }
        }
        return n >= 40
    }

    /// Where HOG finds the face, the default writes the same aligned faces byte for byte: the stills and the
    /// talking-head frames keep their alignment, one face each.
    func testTalkingHeadsKeepHOGFacesByteForByte() throws {
        let frames = ExtractToolTests.stills.map { ToolRunner.exampleData.appendingPathComponent($0).path }
            + (51...55).map { ToolRunner.videoFrames.appendingPathComponent(String(format: "%05d.jpg", $0)).path }
        let dir = try ToolRunner.temporaryDirectory("heads")
        let hog = try ToolRunner.run(["--detector", "hog", "--out", dir.appendingPathComponent("hog").path] + frames)
        let def = try ToolRunner.run(["--out", dir.appendingPathComponent("default").path] + frames)
        XCTAssertEqual(hog.status, 0, hog.stderr); XCTAssertEqual(def.status, 0, def.stderr)
        XCTAssertEqual(def.lines.count, frames.count)
        XCTAssertEqual(def.lines.map { ($0 as NSString).lastPathComponent }, hog.lines.map { ($0 as NSString).lastPathComponent })
        for (p, q) in zip(hog.lines, def.lines) {
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: p)), try Data(contentsOf: URL(fileURLWithPath: q)), q)
        }
    }

    /// A missing or wrong CNN model is a clear error naming the file and how to get it; HOG does not need it.
    func testCNNModelErrors() throws {
        let dir = try ToolRunner.temporaryDirectory("cnn-model")
        let frame = ToolRunner.exampleData.appendingPathComponent("astronaut_collins.png").path
        for args in [["--detector-model", "/nonexistent/mmod.dat"], ["--detector", "cnn", "--detector-model", "/nonexistent/mmod.dat"]] {
            let run = try ToolRunner.run(args + ["--out", dir.path, frame])
            XCTAssertEqual(run.status, 1, "\(args)")
            XCTAssertEqual(run.stdout, "")
            XCTAssertTrue(run.stderr.hasPrefix("dfl-extract: cannot open the CNN face detector model /nonexistent/mmod.dat"), run.stderr)
            XCTAssertTrue(run.stderr.contains("face-recognition-models"), run.stderr)
        }
        let env = try ToolRunner.run(["--out", dir.path, frame], environment: ["DFL_DETECTOR_MODEL": "/nonexistent/env.dat"])
        XCTAssertEqual(env.status, 1)
        XCTAssertTrue(env.stderr.contains("/nonexistent/env.dat"), env.stderr)
        // A file that is not a network.
        let wrong = dir.appendingPathComponent("wrong.dat")
        try Data("not a network".utf8).write(to: wrong)
        let bad = try ToolRunner.run(["--detector-model", wrong.path, "--out", dir.path, frame])
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stderr.contains("is not dlib's CNN face detector"), bad.stderr)
        // HOG alone never opens it.
        let hog = try ToolRunner.run(["--detector", "hog", "--detector-model", "/nonexistent/mmod.dat", "--out", dir.path, frame])
        XCTAssertEqual(hog.status, 0, hog.stderr)
        XCTAssertEqual(hog.lines.count, 1)
        // A detector name that does not exist is a usage error.
        XCTAssertEqual(try ToolRunner.run(["--detector", "s3fd", "--out", dir.path, frame]).status, 2)
    }
}
