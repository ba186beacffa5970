import FaceSet
import Foundation
import XCTest

final class PackToolTests: XCTestCase {
    let names = ["grace_hopper_navy_1984_0.jpg", "lin_manuel_miranda_2009_0.jpg", "obama_speech_2009_0.jpg"]

    func testPackThenUnpackGivesByteIdenticalFaces() throws {
        let dir = try temporaryDirectory(self)
        let pak = dir + "/faces.pak"
        let r = try runTool("dfl-pack", ["--out", pak, Repo.dflFaces])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdoutLines, [pak])
        let u = try runTool("dfl-pack", ["--unpack", dir + "/out", pak])
        XCTAssertEqual(u.status, 0, u.stderr)
        XCTAssertEqual(u.stdoutLines, names.map { dir + "/out/" + $0 })
        for n in names {
            XCTAssertEqual(try readBytes(dir + "/out/" + n), try readBytes(Repo.dflFaces + "/" + n), n)
        }
        // The configs carry what DFL's loader needs (docs/dfl-faceset.md §2): bare name, face type as int, shape.
        let packed = try PackedFaceset.read(readBytes(pak))
        XCTAssertEqual(packed.map(\.filename), names)
        XCTAssertEqual(packed[0].config["face_type"]?.intValue, FaceType.wholeFace.rawValue)
        XCTAssertEqual(packed[2].config["face_type"]?.intValue, FaceType.full.rawValue)
        XCTAssertEqual(packed[0].config["shape"]?.sequence?.compactMap(\.intValue), [256, 256, 3])
    }

    /// DeepFaceLab packed the same three faces into the fixture pak: listing and unpacking it gives
    /// their names and exact bytes.
    func testReadsDeepFaceLabsOwnPak() throws {
        let pak = Repo.path("Tests/FaceSetTests/Fixtures/dfl/faceset.pak")
        XCTAssertEqual(try runTool("dfl-pack", ["--list", pak]).stdoutLines, names)
        let dir = try temporaryDirectory(self)
        XCTAssertEqual(try runTool("dfl-pack", ["--unpack", dir, pak]).status, 0)
        for n in names { XCTAssertEqual(try readBytes(dir + "/" + n), try readBytes(Repo.dflFaces + "/" + n)) }
    }

    func testBadPakIsReportedAndBadFacesAreLeftOut() throws {
        let dir = try temporaryDirectory(self)
        // A pak whose first offset points past the second (overlapping blobs).
        var bytes = try readBytes(Repo.path("Tests/FaceSetTests/Fixtures/dfl/faceset.pak"))
        let configLength = (0..<8).reduce(0) { $0 | Int(bytes[8 + $1]) << (8 * $1) }
        let table = 16 + configLength
        bytes[table + 8 + 0] = 0xFF; bytes[table + 8 + 1] = 0xFF
        let bad = dir + "/bad.pak"
        XCTAssertTrue(FileManager.default.createFile(atPath: bad, contents: Data(bytes)))
        let r = try runTool("dfl-pack", ["--unpack", dir + "/out", bad])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.hasPrefix("dfl-pack: \(bad): "), r.stderr)
        XCTAssertEqual((try? directoryListing(dir + "/out")) ?? [], [])

        let pak = dir + "/some.pak"
        let p = try runTool("dfl-pack", ["--out", pak, Repo.path("examples/data/astronaut_collins.png"),
                                        Repo.dflFaces + "/obama_speech_2009_0.jpg"])
        XCTAssertEqual(p.status, 1)
        XCTAssertEqual(try PackedFaceset.read(readBytes(pak)).map(\.filename), ["obama_speech_2009_0.jpg"])
    }
}

final class InfoToolTests: XCTestCase {
    /// The JSON lines carry what DeepFaceLab's own loader read from the fixture faces (expected.jsonl).
    func testJSONMatchesWhatDeepFaceLabReads() throws {
        let expectedLines = try String(contentsOfFile: Repo.path("Tests/FaceSetTests/Fixtures/dfl/expected.jsonl"), encoding: .utf8)
            .split(separator: "\n")
        let r = try runTool("dfl-info", [Repo.dflFaces])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdoutLines.count, 3)
        for (line, expectedLine) in zip(r.stdoutLines, expectedLines) {
            let got = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let want = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(expectedLine.utf8)) as? [String: Any])
            let meta = try XCTUnwrap(got["metadata"] as? [String: Any])
            XCTAssertEqual(meta["face_type"] as? String, want["face_type"] as? String)
            XCTAssertEqual(meta["source_filename"] as? String, want["source_filename"] as? String)
            XCTAssertEqual(got["width"] as? Int, (want["shape"] as? [Int])?[1])
            let lm = try XCTUnwrap(meta["landmarks"] as? [[Double]])
            let wantLm = try XCTUnwrap(want["landmarks"] as? [[Double]])
            XCTAssertEqual(lm.count, 68)
            for (a, b) in zip(lm, wantLm) {
                XCTAssertEqual(a[0], b[0], accuracy: 1e-4)
                XCTAssertEqual(a[1], b[1], accuracy: 1e-4)
            }
            let mat = try XCTUnwrap(meta["image_to_face_mat"] as? [[Double]])
            XCTAssertEqual(mat.count, 2)
            XCTAssertEqual(mat[0].count, 3)
        }
    }

    func testOverlayWritesPNGsWithTheFacesSize() throws {
        let dir = try temporaryDirectory(self)
        let r = try runTool("dfl-info", ["--overlay", dir, Repo.dflFaces + "/obama_speech_2009_0.jpg"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdoutLines, [dir + "/obama_speech_2009_0_landmarks.png"])
        let png = try readBytes(dir + "/obama_speech_2009_0_landmarks.png")
        XCTAssertEqual(Array(png.prefix(4)), [0x89, 0x50, 0x4E, 0x47])
    }
}
