import FaceSet
import Imaging
import XCTest

final class GrayToolTests: XCTestCase {
    /// DeepFaceLab's own gray fixture was made from the same colour face with OpenCV's BGR→GRAY and
    /// written as a quality-100 1-component JPEG: our output must decode to the same pixels.
    func testGrayMatchesOpenCVConversionOfTheSameFace() throws {
        let out = try temporaryDirectory(self)
        let input = Repo.dflFaces + "/obama_speech_2009_0.jpg"
        let r = try runTool("dfl-gray", ["--out", out, input])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdoutLines, [out + "/obama_speech_2009_0.jpg"])

        let ours = try decodeJPEG(readBytes(out + "/obama_speech_2009_0.jpg"))
        let opencv = try decodeJPEG(readBytes(Repo.dflGray + "/obama_speech_2009_0.jpg"))
        XCTAssertEqual(ours.channels, 1)
        XCTAssertEqual(ours.width, opencv.width)
        var maxDiff = 0
        for (a, b) in zip(ours.pixels, opencv.pixels) { maxDiff = max(maxDiff, abs(Int(a) - Int(b))) }
        XCTAssertLessThanOrEqual(maxDiff, 1, "decoded gray differs from OpenCV's by \(maxDiff) levels")
    }

    func testMetadataIsCopiedVerbatimAndSOFHasOneComponent() throws {
        let out = try temporaryDirectory(self)
        let input = Repo.dflFaces + "/grace_hopper_navy_1984_0.jpg"
        XCTAssertEqual(try runTool("dfl-gray", ["--out", out, input]).status, 0)
        let before = try DFLJPG.metadataPickle(in: JPEGFile(parsing: readBytes(input)))
        let written = try readBytes(out + "/grace_hopper_navy_1984_0.jpg")
        XCTAssertEqual(try DFLJPG.metadataPickle(in: JPEGFile(parsing: written)), before)
        XCTAssertEqual(try DFLJPG.read(written).components, 1)
    }

    func testThreeChannelOutputRepeatsTheGrayValue() throws {
        let out = try temporaryDirectory(self)
        let input = Repo.dflFaces + "/grace_hopper_navy_1984_0.jpg"
        XCTAssertEqual(try runTool("dfl-gray", ["--channels", "3", "--out", out, input]).status, 0)
        let image = try decodeJPEG(readBytes(out + "/grace_hopper_navy_1984_0.jpg"))
        XCTAssertEqual(image.channels, 3)
        var spread = 0
        for i in stride(from: 0, to: image.pixels.count, by: 3) {
            let px = image.pixels[i..<(i + 3)]
            spread = max(spread, Int(px.max()!) - Int(px.min()!))
        }
        // Quality-100 4:4:4 JPEG keeps equal channels equal up to rounding.
        XCTAssertLessThanOrEqual(spread, 2)
    }

    func testPathsFromStandardInputNewlineAndNul() throws {
        let out = try temporaryDirectory(self)
        let names = ["grace_hopper_navy_1984_0.jpg", "obama_speech_2009_0.jpg"]
        let list = names.map { Repo.dflFaces + "/" + $0 }
        let r1 = try runTool("dfl-gray", ["--out", out], stdin: Data((list.joined(separator: "\n") + "\n").utf8))
        XCTAssertEqual(r1.stdoutLines, names.map { out + "/" + $0 })
        let out2 = try temporaryDirectory(self)
        let r2 = try runTool("dfl-gray", ["-0", "--out", out2], stdin: Data((list.joined(separator: "\0") + "\0").utf8))
        XCTAssertEqual(r2.stdoutLines, names.map { out2 + "/" + $0 })
    }

    func testRefusesToOverwriteItsInput() throws {
        let dir = try temporaryDirectory(self)
        let face = dir + "/face.jpg"
        try FileManager.default.copyItem(atPath: Repo.dflFaces + "/obama_speech_2009_0.jpg", toPath: face)
        let before = try readBytes(face)
        let r = try runTool("dfl-gray", ["--out", dir, face])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.hasPrefix("dfl-gray: \(face): "), r.stderr)
        XCTAssertEqual(try readBytes(face), before)
    }
}
