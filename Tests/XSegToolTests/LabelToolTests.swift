import FaceSet
import Foundation
import Imaging
import Samples
import TestSupport
import XCTest

/// dfl-xseg labelme / label (labels between labelme and the faces), the bad inputs of label and train, and
/// the command line itself.
final class LabelToolTests: XCTestCase {
    func polygons(_ path: String) throws -> [SegIEPolygon] { try DFLJPG.readMetadata(bytes(path)).segIEPolys }

    /// A copy of `path` with its polygons (and stored mask) taken out.
    func stripLabels(_ path: String) throws {
        var b = try bytes(path)
        for key in ["seg_ie_polys", "xseg_mask"] { if let out = try MetadataEdit.setting(key, to: nil, in: b) { b = out } }
        try Data(b).write(to: URL(fileURLWithPath: path))
    }

    /// DFL's polygons → labelme files → faces without labels → label: the same polygons (float32 points), in
    /// the same order and kinds. Labelling again changes nothing.
    func testLabelmeThenLabelGivesBackDFLsPolygons() throws {
        let work = temporaryDirectory(self), faces = try Fixture.copyFaces(to: work), jsons = work + "/json"
        var r = try xseg(["labelme", "--json-dir", jsons, faces])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdoutLines, [jsons + "/grace_hopper_navy_1984_0.json", jsons + "/lin_manuel_miranda_2009_0.json"])
        XCTAssertTrue(r.stderr.contains("1 of 3 faces have no polygons"), r.stderr)
        let original = try Fixture.faces.map { try polygons(faces + "/" + $0) }
        XCTAssertEqual(original.map(\.count), [2, 2, 0])
        for name in Fixture.faces { try stripLabels(faces + "/" + name) }
        XCTAssertEqual(try polygons(faces + "/" + Fixture.faces[0]), [])
        r = try xseg(["label", "--json-dir", jsons, faces])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdoutLines, [faces + "/" + Fixture.faces[0], faces + "/" + Fixture.faces[1]])
        for (name, want) in zip(Fixture.faces, original) { XCTAssertEqual(try polygons(faces + "/" + name), want, name) }
        XCTAssertEqual(try polygons(faces + "/" + Fixture.faces[0]).map(\.kind), [.include, .exclude])
        let before = snapshot(faces)
        r = try xseg(["label", "--json-dir", jsons, faces])
        XCTAssertEqual(r.status, 0)
        XCTAssertEqual(r.stdout, "")
        XCTAssertEqual(snapshot(faces), before)
        // labelme refuses to replace an annotation file without --force.
        r = try xseg(["labelme", "--json-dir", jsons, faces + "/" + Fixture.faces[0]])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("exists"), r.stderr)
        XCTAssertEqual(try xseg(["labelme", "--json-dir", jsons, "--force", faces + "/" + Fixture.faces[0]]).status, 0)
    }

    /// labelme's own file next to the face: the label rule (exclude / exclude-… / -… are EXCLUDE), rectangles
    /// as four corners; the mask the trainer learns from follows it.
    func testLabelmeFileNextToTheFaceAndTheLabelRule() throws {
        let work = temporaryDirectory(self), faces = try Fixture.copyFaces(to: work, [Fixture.faces[2]])
        let face = faces + "/" + Fixture.faces[2]
        let json = """
        {"version": "5.4.1", "imagePath": "\(Fixture.faces[2])", "imageWidth": 256, "imageHeight": 256, "imageData": null,
         "shapes": [
          {"label": "face", "shape_type": "polygon", "points": [[40, 40], [216, 40], [216, 230], [40, 230]]},
          {"label": "exclude-hand", "shape_type": "rectangle", "points": [[100, 150], [140, 250]]},
          {"label": "-mic", "shape_type": "polygon", "points": [[60, 60], [80, 60], [70, 90]]}]}
        """
        try json.write(toFile: faces + "/obama_speech_2009_0.json", atomically: true, encoding: .utf8)
        let r = try xseg(["label", face])
        XCTAssertEqual(r.status, 0, r.stderr)
        let p = try polygons(face)
        XCTAssertEqual(p.map(\.kind), [.include, .exclude, .exclude])
        XCTAssertEqual(p[1].points, [SIMD2(100, 150), SIMD2(140, 150), SIMD2(140, 250), SIMD2(100, 250)])
        let mask = XSegLabels.rasterize(p, width: 256, height: 256)
        XCTAssertEqual(mask[50, 50, 0], 1)
        XCTAssertEqual(mask[120, 200, 0], 0)
        XCTAssertEqual(mask[70, 70, 0], 0)
        XCTAssertEqual(mask[20, 20, 0], 0)
    }

    /// Malformed annotations fail for their face only, which is left as it was.
    func testMalformedAnnotationsAreErrorsAndWriteNothing() throws {
        let work = temporaryDirectory(self), faces = try Fixture.copyFaces(to: work, [Fixture.faces[0], Fixture.faces[1]])
        let bad: [(String, String)] = [
            (#"{"imageWidth": 256, "imageHeight": 256, "shapes": [{"label": "face", "points": [[1, 1], [9, 9]]}]}"#, "at least 3 points"),
            (#"{"imageWidth": 512, "imageHeight": 512, "shapes": []}"#, "512×512 image"),
            ("not json", "not a labelme annotation"),
            (#"{"imageWidth": 256, "imageHeight": 256, "shapes": [{"label": "face", "points": [[1, 1], [9, 9], [1e9, 2]]}]}"#, "far outside"),
        ]
        let good = #"{"imageWidth": 256, "imageHeight": 256, "shapes": [{"label": "face", "points": [[1, 1], [90, 9], [50, 80]]}]}"#
        try good.write(toFile: faces + "/lin_manuel_miranda_2009_0.json", atomically: true, encoding: .utf8)
        for (text, message) in bad {
            try text.write(toFile: faces + "/grace_hopper_navy_1984_0.json", atomically: true, encoding: .utf8)
            let before = try bytes(faces + "/" + Fixture.faces[0])
            let r = try xseg(["label", faces + "/" + Fixture.faces[0], faces + "/" + Fixture.faces[1]])
            XCTAssertEqual(r.status, 1, message)
            XCTAssertTrue(r.stderr.contains("grace_hopper_navy_1984_0.json") && r.stderr.contains(message), r.stderr)
            XCTAssertEqual(try bytes(faces + "/" + Fixture.faces[0]), before, message)
        }
        XCTAssertEqual(try polygons(faces + "/" + Fixture.faces[1]).count, 1)
        // No annotation file at all: an error that says where it looked.
        let r = try xseg(["label", "--json-dir", work + "/nowhere", faces])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("no annotation file found"), r.stderr)
    }

    /// train: no labelled face, or a face with malformed polygons, is an error before anything is written.
    func testTrainRefusesUnlabelledAndMalformedFaces() throws {
        let work = temporaryDirectory(self), faces = try Fixture.copyFaces(to: work)
        for name in Fixture.faces { try stripLabels(faces + "/" + name) }
        var r = try xseg(["train", "--model", work + "/m1", "--iterations", "2"] + tiny + [faces])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("none of the 3 faces has labels"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: work + "/m1"))

        let malformed = try Fixture.copyFaces(to: work)
        let path = malformed + "/" + Fixture.faces[1]
        let twoPoints = try FaceSet.MetadataEdit.polygonsValue([
            SegIEPolygon(kind: .include, points: [SIMD2(10, 10), SIMD2(200, 10), SIMD2(100, 200)]),
            SegIEPolygon(kind: .exclude, points: [SIMD2(10, 10), SIMD2(20, 20)])])
        try Data(try MetadataEdit.setting("seg_ie_polys", to: twoPoints, in: bytes(path))!).write(to: URL(fileURLWithPath: path))
        r = try xseg(["train", "--model", work + "/m2", "--iterations", "2"] + tiny + [malformed])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains(path) && r.stderr.contains("polygon 2 (exclude) has 2 point(s)"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: work + "/m2"))
        // A plain JPEG (no metadata) among the faces.
        let plain = try Fixture.copyFaces(to: work)
        try Data(try encodeJPEG(Image(width: 32, height: 32, channels: 3, fill: 9), quality: 90)).write(to: URL(fileURLWithPath: plain + "/x.jpg"))
        r = try xseg(["train", "--model", work + "/m3", "--iterations", "2"] + tiny + [plain])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains(plain + "/x.jpg"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: work + "/m3"))
    }

    /// Every subcommand has --help; bad command lines exit 2.
    func testHelpAndUsageErrors() throws {
        for sub in ["train", "apply", "remove", "import", "export", "label", "labelme"] {
            let r = try xseg([sub, "--help"])
            XCTAssertEqual(r.status, 0, sub)
            XCTAssertTrue(r.stdout.contains("USAGE: dfl-xseg \(sub)"), r.stdout)
        }
        XCTAssertEqual(try xseg(["--help"]).status, 0)
        XCTAssertTrue(try xseg(["--version"]).stdout.hasPrefix("0."))
        for args in [["train", "x.jpg"], ["train", "--model", "m", "--resolution", "100", "x.jpg"], ["apply", "--model", "m", "--bogus"],
                     ["frobnicate"], ["apply", "--model", "m", "--face-type", "sideways", "x.jpg"], ["export", "--model", "m"]] {
            let r = try xseg(args)
            XCTAssertEqual(r.status, 2, "\(args): \(r.stderr)")
            XCTAssertEqual(r.stdout, "")
        }
    }
}
