import XCTest
import Foundation
import FaceSet

/// dfl-sort end to end: face files in, paths out, exit status.
final class SortToolTests: XCTestCase {
    private var dir = ""

    override func setUpWithError() throws {
        dir = try ToolHarness.temporaryDirectory()
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: dir)
    }

    /// Copies of a real face whose landmarks were made at known yaws; input order shuffled.
    private func headTurnFaces(yaws: [Double]) throws -> [String] {
        let base = try ToolHarness.fixtureFace("obama_speech_2009_0")
        return try yaws.enumerated().map { k, yaw in
            let path = "\(dir)/turn_\(k).jpg"
            try ToolHarness.write(try ToolHarness.withMetadata(base) { $0.landmarks = ToolHarness.landmarks(yaw: yaw) }, to: path)
            return path
        }
    }

    func testFaceYawOrdersAHeadTurn() throws {
        let yaws = [0.3, -0.5, 0.6, 0.0, -0.2]
        let paths = try headTurnFaces(yaws: yaws)
        // Largest yaw first: 0.6, 0.3, 0.0, −0.2, −0.5.
        let expected = [2, 0, 3, 4, 1].map { paths[$0] }
        let run = try ToolHarness.run(["--by", "face-yaw", "-q"] + paths)
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(run.lines, expected)
        let reversed = try ToolHarness.run(["--by", "face-yaw", "--reverse", "-q"] + paths)
        XCTAssertEqual(reversed.lines, expected.reversed())
        // Scores are the yaws the landmarks were made with.
        let scored = try ToolHarness.run(["--by", "face-yaw", "--print-score", "-q"] + paths)
        for line in scored.lines {
            let parts = line.split(separator: "\t")
            let k = try XCTUnwrap(paths.firstIndex(of: String(parts[0])))
            XCTAssertEqual(try XCTUnwrap(Double(parts[1])), yaws[k], accuracy: 0.01, line)
        }
    }

    func testFacePitchOrdersANod() throws {
        let base = try ToolHarness.fixtureFace("grace_hopper_navy_1984_0")
        let pitches = [-0.3, 0.25, 0.0]
        let paths = try pitches.enumerated().map { k, pitch -> String in
            let path = "\(dir)/nod_\(k).jpg"
            try ToolHarness.write(try ToolHarness.withMetadata(base) { $0.landmarks = ToolHarness.landmarks(yaw: 0.1, pitch: pitch) }, to: path)
            return path
        }
        let run = try ToolHarness.run(["--by", "face-pitch", "-q"] + paths)
        XCTAssertEqual(run.status, 0, run.stderr)
        // DFL's pitch is −(rotation about x); the head template's y axis points down, so a rotation by
        // +φ here reads as pitch −φ: the largest DFL pitch is the face made with the smallest φ.
        XCTAssertEqual(run.lines, [paths[0], paths[2], paths[1]])
    }

    func testSourceRectSizeAndOrigname() throws {
        let base = try ToolHarness.fixtureFace("lin_manuel_miranda_2009_0")
        let rects = [[0, 0, 100, 100], [10, 10, 310, 210], [5, 5, 55, 25]]   // areas 10000, 60000, 1000
        let names = ["b.png", "c.png", "a.png"]
        let paths = try rects.indices.map { k -> String in
            let path = "\(dir)/r\(k).jpg"
            try ToolHarness.write(try ToolHarness.withMetadata(base) { $0.sourceRect = rects[k]; $0.sourceFilename = names[k] }, to: path)
            return path
        }
        XCTAssertEqual(try ToolHarness.run(["--by", "face-source-rect-size", "-q"] + paths).lines, [paths[1], paths[0], paths[2]])
        XCTAssertEqual(try ToolHarness.run(["--by", "origname", "-q"] + paths).lines, [paths[2], paths[0], paths[1]])
        // Filters: keep the 2 largest; drop areas below 5000.
        XCTAssertEqual(try ToolHarness.run(["--by", "face-source-rect-size", "--keep", "2", "-q"] + paths).lines, [paths[1], paths[0]])
        XCTAssertEqual(try ToolHarness.run(["--by", "face-source-rect-size", "--drop-below", "5000", "-q"] + paths).lines, [paths[1], paths[0]])
    }

    /// source_rect stored as an int32 array, an int64 array or a plain list (DFL needs an array).
    func testSourceRectInEveryStorage() throws {
        let base = try ToolHarness.fixtureFace("obama_speech_2009_0")
        guard case .dict(var pairs) = try XCTUnwrap(try DFLJPG.readDictionary(base)) else { return XCTFail("dict") }
        let rects: [(PickleValue, Int)] = [
            (.ndarray(try NDArray(int32s: [0, 0, 20, 10], shape: [4])), 200),
            (.list([.int(0), .int(0), .int(100), .int(100)]), 10000),
            (.ndarray(try NDArray(int64s: [10, 10, 60, 50], shape: [4])), 2000),
        ]
        let key = PickleValue.string("source_rect")
        let paths = try rects.enumerated().map { k, rect -> String in
            pairs.removeAll { $0.key == key }
            pairs.append(PicklePair(key, rect.0))
            let path = "\(dir)/rect\(k).jpg"
            try ToolHarness.write(try DFLJPG.embed(pickle: try PickleWriter.write(.dict(pairs)), into: base), to: path)
            return path
        }
        let run = try ToolHarness.run(["--by", "face-source-rect-size", "--print-score", "-q"] + paths)
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(run.lines, [1, 2, 0].map { "\(paths[$0])\t\(rects[$0].1)" })
    }

    func testInvalidFacesAreReportedAndListedLast() throws {
        let good = try headTurnFaces(yaws: [-0.4, 0.4])
        let plain = "\(dir)/plain.jpg"
        try ToolHarness.write(try ToolHarness.strippedOfMetadata(try ToolHarness.fixtureFace("obama_speech_2009_0")), to: plain)
        let garbage = "\(dir)/garbage.jpg"
        try ToolHarness.write(Array("this is not a jpeg".utf8), to: garbage)
        let missing = "\(dir)/missing.jpg"
        let inputs = [plain, good[0], garbage, good[1], missing]

        let run = try ToolHarness.run(["--by", "face-yaw", "-q"] + inputs)
        XCTAssertEqual(run.status, 1)
        XCTAssertEqual(run.lines, [good[1], good[0], plain, garbage, missing])
        let scored = try ToolHarness.run(["--by", "face-yaw", "--print-score", "-q"] + inputs)
        XCTAssertEqual(scored.lines.suffix(3), ["\(plain)\tnan", "\(garbage)\tnan", "\(missing)\tnan"])
        XCTAssertEqual(run.errorLines.count, 3, run.stderr)
        for (line, path) in zip(run.errorLines, [plain, garbage, missing]) {
            XCTAssertTrue(line.hasPrefix("dfl-sort: \(path): "), line)
        }
        let dropped = try ToolHarness.run(["--by", "face-yaw", "--drop-invalid", "-q"] + inputs)
        XCTAssertEqual(dropped.status, 1)
        XCTAssertEqual(dropped.lines, [good[1], good[0]])
        XCTAssertEqual(dropped.errorLines.count, 3)
    }

    func testFaceListFromStandardInput() throws {
        let paths = try headTurnFaces(yaws: [0.1, 0.5])
        let run = try ToolHarness.run(["--by", "face-yaw", "-q"], stdin: paths.joined(separator: "\n") + "\n")
        XCTAssertEqual(run.lines, [paths[1], paths[0]])
        let nul = try ToolHarness.run(["--by", "face-yaw", "-q", "-0"], stdin: paths.joined(separator: "\u{0}"))
        XCTAssertEqual(nul.lines, [paths[1], paths[0]])
    }

    func testRenameCopiesInOrderAndLeavesOriginals() throws {
        let paths = try headTurnFaces(yaws: [-0.3, 0.3, 0.0])
        let before = try paths.map { try Data(contentsOf: URL(fileURLWithPath: $0)) }
        let out = "\(dir)/renamed"
        let run = try ToolHarness.run(["--by", "face-yaw", "--rename", out, "-q"] + paths)
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(run.lines, ["00000.jpg", "00001.jpg", "00002.jpg"].map { "\(out)/\($0)" })
        for (k, source) in [1, 2, 0].enumerated() {
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: run.lines[k])), before[source])
        }
        XCTAssertEqual(try paths.map { try Data(contentsOf: URL(fileURLWithPath: $0)) }, before, "inputs untouched")
        // A face that cannot be scored is reported and not copied.
        let garbage = "\(dir)/garbage.jpg"
        try ToolHarness.write(Array("not a face".utf8), to: garbage)
        let again = try ToolHarness.run(["--by", "face-yaw", "--rename", "\(dir)/renamed2", "-q", garbage] + paths)
        XCTAssertEqual(again.status, 1)
        XCTAssertEqual(again.lines, ["00000.jpg", "00001.jpg", "00002.jpg"].map { "\(dir)/renamed2/\($0)" })
        XCTAssertEqual(again.errorLines.count, 1)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(dir)/renamed2/00003.jpg"))
    }

    /// Renaming into the faces' own directory would overwrite faces not yet copied: refused, nothing written.
    func testRenameRefusesToOverwriteInputs() throws {
        let faces = try headTurnFaces(yaws: [0.2, -0.2])
        let first = "\(dir)/00000.jpg", second = "\(dir)/00001.jpg"
        try FileManager.default.moveItem(atPath: faces[0], toPath: second)
        try FileManager.default.moveItem(atPath: faces[1], toPath: first)
        let before = try [first, second].map { try Data(contentsOf: URL(fileURLWithPath: $0)) }
        let run = try ToolHarness.run(["--by", "face-yaw", "--rename", dir, "-q", first, second])
        XCTAssertEqual(run.status, 1)
        XCTAssertEqual(run.lines, [])
        XCTAssertTrue(run.stderr.contains("--rename would write"), run.stderr)
        XCTAssertEqual(try [first, second].map { try Data(contentsOf: URL(fileURLWithPath: $0)) }, before)
    }

    func testUsageErrorsExit2() throws {
        XCTAssertEqual(try ToolHarness.run(["--by", "sharpness", "x.jpg"]).status, 2)
        XCTAssertEqual(try ToolHarness.run(["--by", "origname", "--drop-below", "1", "x.jpg"]).status, 2)
        XCTAssertEqual(try ToolHarness.run(["--by", "final", "--count", "0", "x.jpg"]).status, 2)
        XCTAssertEqual(try ToolHarness.run(["--no-such-option"]).status, 2)
        let help = try ToolHarness.run(["--help"])
        XCTAssertEqual(help.status, 0)
        for m in ["blur", "motion-blur", "face-yaw", "final-fast", "DIFFERENCES FROM DEEPFACELAB"] {
            XCTAssertTrue(help.stdout.contains(m), m)
        }
    }
}
