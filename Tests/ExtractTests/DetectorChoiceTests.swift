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

/// One face a person sees in a poetry-jam frame, placed by eye (Fixtures/poetry_jam/faces.txt): its centre and
/// about its width in frame pixels.
struct PoetryJamFace: Equatable {
    enum Kind: String {
        /// A clear face (expected_faces.txt's clear count).
        case clear
        /// A face that is cut, blurred or small (part of the unsure count).
        case unsure
        /// A clear face the default detector is known to miss.
        case missed
    }
    var frame: String
    var kind: Kind
    var x: Double
    var y: Double
    var size: Double

    static func all() throws -> [PoetryJamFace] {
        let text = try String(contentsOf: ToolRunner.poetryJam.appendingPathComponent("faces.txt"), encoding: .utf8)
        return try text.split(separator: "\n").compactMap { line -> PoetryJamFace? in
            let fields = line.split(separator: "#", omittingEmptySubsequences: false)[0].split(separator: " ")
            guard !fields.isEmpty else { return nil }
            guard fields.count == 5, let kind = Kind(rawValue: String(fields[1])), let x = Double(fields[2]),
                  let y = Double(fields[3]), let size = Double(fields[4]) else {
                throw NSError(domain: "faces.txt", code: 1, userInfo: [NSLocalizedDescriptionKey: "bad line: \(line)"])
            }
            return PoetryJamFace(frame: String(fields[0]), kind: kind, x: x, y: y, size: size)
        }
    }
}

/// A face dfl-extract wrote: its file, its frame and its box in the frame (DFL's source_rect).
struct WrittenFace {
    var path: String
    var frame: String
    var rect: [Int]
    var centre: (x: Double, y: Double) { (Double(rect[0] + rect[2]) / 2, Double(rect[1] + rect[3]) / 2) }
    var width: Double { Double(rect[2] - rect[0] + 1) }

    /// The faces of a run, from their metadata.
    static func read(_ run: ToolRun) throws -> [WrittenFace] {
        try run.lines.map { path in
            let face = try DFLJPG.read([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
            let meta = try XCTUnwrap(face.metadata, path)
            return WrittenFace(path: path, frame: meta.sourceFilename ?? "", rect: try XCTUnwrap(meta.sourceRect, path))
        }
    }
}

/// Matches written faces to listed ones, frame by frame: a written face and a listed face of the same frame
/// are the same face when the box centre lies within half the listed width of the listed centre and the box
/// width is within a factor 2 of the listed width; pairs are taken closest first, each face at most once.
/// Returns the written faces that match no listed face (false faces) and the listed faces no written face
/// matches (misses).
func matchFaces(_ written: [WrittenFace], _ listed: [PoetryJamFace]) -> (falseFaces: [WrittenFace], misses: [PoetryJamFace]) {
    var pairs: [(distance: Double, w: Int, l: Int)] = []
    for (i, w) in written.enumerated() {
        for (j, l) in listed.enumerated() where l.frame == w.frame {
            let d = ((w.centre.x - l.x) * (w.centre.x - l.x) + (w.centre.y - l.y) * (w.centre.y - l.y)).squareRoot()
            if d <= 0.5 * l.size && (0.5...2).contains(w.width / l.size) { pairs.append((d, i, j)) }
        }
    }
    var usedW = Set<Int>(), usedL = Set<Int>()
    for p in pairs.sorted(by: { ($0.distance, $0.w, $0.l) < ($1.distance, $1.w, $1.l) })
    where !usedW.contains(p.w) && !usedL.contains(p.l) {
        usedW.insert(p.w); usedL.insert(p.l)
    }
    return (written.indices.filter { !usedW.contains($0) }.map { written[$0] },
            listed.indices.filter { !usedL.contains($0) }.map { listed[$0] })
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

    /// The listed faces agree with the counts: per frame, clear + missed faces are the clear count and the
    /// placed unsure faces at most the unsure count.
    func testFaceListAgreesWithTheCounts() throws {
        let frames = try PoetryJamFrame.all(), faces = try PoetryJamFace.all()
        XCTAssertEqual(Set(faces.map(\.frame)).subtracting(frames.map(\.name)), [])
        for f in frames {
            let mine = faces.filter { $0.frame == f.name }
            XCTAssertEqual(mine.filter { $0.kind != .unsure }.count, f.clear, f.name)
            XCTAssertLessThanOrEqual(mine.filter { $0.kind == .unsure }.count, f.unsure, f.name)
        }
        XCTAssertEqual(faces.filter { $0.kind == .missed }.count, 1)
    }

    /// Every face the default detector writes is a face a person sees there (matched by place and size to
    /// Fixtures/poetry_jam/faces.txt: no false face), and it finds every clear face but the one documented
    /// miss; HOG writes no false face either. The default finds clearly more of the faces than HOG.
    func testPoetryJamDefaultFindsMoreFacesThanHOG() throws {
        let frames = try PoetryJamFrame.all()
        XCTAssertEqual(frames.count, 18)
        let listed = try PoetryJamFace.all()
        let paths = frames.map { ToolRunner.poetryJam.appendingPathComponent($0.name).path }
        let dir = try ToolRunner.temporaryDirectory("poetry")
        let hogRun = try ToolRunner.run(["--detector", "hog", "--face-type", "f", "--size", "256",
                                         "--out", dir.appendingPathComponent("hog").path] + paths)
        let defRun = try ToolRunner.run(["--face-type", "f", "--size", "256", "--debug", dir.appendingPathComponent("debug").path,
                                         "--out", dir.appendingPathComponent("default").path] + paths)
        XCTAssertEqual(hogRun.status, 0, hogRun.stderr)
        XCTAssertEqual(defRun.status, 0, defRun.stderr)
        // Each written face is a listed face of its frame; the default misses no clear face but the documented one.
        for (name, run) in [("default", defRun), ("hog", hogRun)] {
            let (falseFaces, misses) = matchFaces(try WrittenFace.read(run), listed)
            XCTAssertEqual(falseFaces.map(\.path), [], "\(name): faces written where faces.txt has none: \(falseFaces.map { "\($0.frame) \($0.rect)" })")
            if name == "default" {
                XCTAssertEqual(misses.filter { $0.kind == .clear }.map { "\($0.frame) \($0.x),\($0.y)" }, [], "clear faces the default missed")
            }
        }
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
