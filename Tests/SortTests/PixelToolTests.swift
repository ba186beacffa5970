import XCTest
import Foundation
import FaceSet
import Imaging
import FaceAlign

/// dfl-sort on real faces whose pixels were changed in known ways (the DFL-made fixture faces, cut from
/// the project's still photos): expected orders follow from how the copies were made.
final class PixelToolTests: XCTestCase {
    private var dir = ""
    private let colourFaces = ["grace_hopper_navy_1984_0", "obama_speech_2009_0", "lin_manuel_miranda_2009_0"]

    override func setUpWithError() throws { dir = try ToolHarness.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    /// Writes `image` as a face carrying `metadataFrom`'s metadata (edited by `edit`).
    private func writeFace(_ image: Image, metadataFrom original: [UInt8], to name: String,
                           edit: (inout FaceMetadata) -> Void = { _ in }) throws -> String {
        let jpeg = try encodeJPEG(image, quality: image.channels == 1 ? 100 : 95)
        var m = try DFLJPG.readMetadata(original)
        edit(&m)
        let path = "\(dir)/\(name).jpg"
        try ToolHarness.write(try DFLJPG.embed(m, into: jpeg), to: path)
        return path
    }

    func testBlurredCopiesSortAfterTheirSharpOriginals() throws {
        var inputs: [String] = [], groups: [(sharp: String, blurred: [String])] = []
        for name in colourFaces + ["obama_speech_2009_0_gray"] {
            let bytes = try ToolHarness.fixtureFace(name)
            let original = "\(dir)/\(name).jpg"
            try ToolHarness.write(bytes, to: original)
            let image = try decodeImage(bytes)
            let soft = try writeFace(TestImages.gaussianBlur(image, sigma: 1.5), metadataFrom: bytes, to: name + "_soft")
            let softer = try writeFace(TestImages.gaussianBlur(image, sigma: 3), metadataFrom: bytes, to: name + "_softer")
            groups.append((original, [soft, softer]))
            inputs += [softer, original, soft]
        }
        for method in ["blur", "motion-blur"] {
            let run = try ToolHarness.run(["--by", method, "-q"] + inputs)
            XCTAssertEqual(run.status, 0, run.stderr)
            XCTAssertEqual(Set(run.lines), Set(inputs))
            for g in groups {
                let at = try XCTUnwrap(run.lines.firstIndex(of: g.sharp))
                for b in g.blurred {
                    XCTAssertLessThan(at, try XCTUnwrap(run.lines.firstIndex(of: b)), "\(method): \(g.sharp) vs \(b)")
                }
            }
        }
    }

    /// Real faces and their mirror images (pixels flipped, landmarks mirrored): a mirror turns the head
    /// the other way, so by yaw the order must read the same from both ends with each face swapped for
    /// its mirror (the three faces' yaws differ in size, so there are no ties).
    func testFaceYawOfMirroredRealFacesIsSymmetric() throws {
        var paths: [String] = [], mirrorOf: [String: String] = [:]
        for name in colourFaces {
            let bytes = try ToolHarness.fixtureFace(name)
            let original = "\(dir)/\(name).jpg"
            try ToolHarness.write(bytes, to: original)
            let image = try decodeImage(bytes)
            let mirrored = try writeFace(image.flippedHorizontally(), metadataFrom: bytes, to: name + "_mirror") { m in
                let points = m.landmarks.map { Point2D($0.x, $0.y) }
                m.landmarks = (try! mirroredLandmarks(points, width: image.width)).map { SIMD2($0.x, $0.y) }
            }
            paths += [original, mirrored]
            mirrorOf[original] = mirrored; mirrorOf[mirrored] = original
        }
        let run = try ToolHarness.run(["--by", "face-yaw", "-q"] + paths)
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(run.lines.count, 6)
        for i in 0..<3 { XCTAssertEqual(mirrorOf[run.lines[i]], run.lines[5 - i], "order: \(run.lines)") }
    }

    func testBrightnessFollowsKnownDarkening() throws {
        for name in ["obama_speech_2009_0", "obama_speech_2009_0_gray"] {
            let bytes = try ToolHarness.fixtureFace(name)
            let image = try decodeImage(bytes)
            let factors = [0.6, 1.0, 0.3, 0.8]
            let paths = try factors.enumerated().map { k, f in
                try writeFace(TestImages.scaled(image, by: f), metadataFrom: bytes, to: "\(name)_\(k)")
            }
            let run = try ToolHarness.run(["--by", "brightness", "-q"] + paths)
            XCTAssertEqual(run.status, 0, run.stderr)
            XCTAssertEqual(run.lines, [1, 3, 0, 2].map { paths[$0] }, name)
        }
    }

    func testHistKeepsNearDuplicatesTogether() throws {
        var paths: [String] = [], group: [String: Int] = [:]
        for copy in 0..<2 {
            for (g, name) in colourFaces.enumerated() {
                let bytes = try ToolHarness.fixtureFace(name)
                var image = try decodeImage(bytes)
                if copy == 1 { image = TestImages.shifted(image, dx: 3) }
                let path = try writeFace(image, metadataFrom: bytes, to: "\(name)_\(copy)")
                paths.append(path); group[path] = g
            }
        }
        let run = try ToolHarness.run(["--by", "hist", "-q"] + paths)
        XCTAssertEqual(run.status, 0, run.stderr)
        let groups = run.lines.map { group[$0]! }
        for k in stride(from: 0, to: 6, by: 2) { XCTAssertEqual(groups[k], groups[k + 1], "chain groups: \(groups)") }
    }

    func testFinalReturnsCountFacesSpreadOverYaw() throws {
        let yaws = [-0.6, -0.2, 0.2, 0.6]
        var yawOf: [String: Double] = [:], paths: [String] = []
        for (k, yaw) in yaws.enumerated() {
            for name in colourFaces {
                let bytes = try ToolHarness.fixtureFace(name)
                let path = "\(dir)/\(name)_yaw\(k).jpg"
                try ToolHarness.write(try ToolHarness.withMetadata(bytes) { $0.landmarks = ToolHarness.landmarks(yaw: yaw) }, to: path)
                paths.append(path); yawOf[path] = yaw
            }
        }
        for method in ["final", "final-fast"] {
            let four = try ToolHarness.run(["--by", method, "--count", "4", "-q"] + paths)
            XCTAssertEqual(four.status, 0, four.stderr)
            XCTAssertEqual(four.lines.count, 4)
            // One face per pose, from the largest yaw (DFL bins −yaw from −1.2 upward).
            XCTAssertEqual(four.lines.map { yawOf[$0]! }, [0.6, 0.2, -0.2, -0.6], method)
            let eight = try ToolHarness.run(["--by", method, "--count", "8", "-q"] + paths)
            XCTAssertEqual(eight.lines.count, 8)
            XCTAssertEqual(eight.lines.map { yawOf[$0]! }, [0.6, 0.6, 0.2, 0.2, -0.2, -0.2, -0.6, -0.6], method)
        }
    }

    /// Every method runs on 1-channel faces (DFL's sorters do not) and keeps every face.
    func testEveryMethodWorksOnGrayFaces() throws {
        let bytes = try ToolHarness.fixtureFace("obama_speech_2009_0_gray")
        let image = try decodeImage(bytes)
        XCTAssertEqual(image.channels, 1)
        var paths: [String] = []
        for (k, yaw) in [-0.3, 0.0, 0.3].enumerated() {
            paths.append(try writeFace(k == 1 ? image : TestImages.scaled(image, by: 0.5 + 0.2 * Double(k)),
                                       metadataFrom: bytes, to: "\(k)_0") {
                $0.landmarks = ToolHarness.landmarks(yaw: yaw)
                $0.sourceFilename = "frame\(k).png"
            })
        }
        for method in ["blur", "motion-blur", "face-yaw", "face-pitch", "face-source-rect-size", "hist", "hist-dissim",
                       "brightness", "hue", "black", "origname", "oneface", "absdiff", "final", "final-fast"] {
            let run = try ToolHarness.run(["--by", method, "-q"] + paths)
            XCTAssertEqual(run.status, 0, "\(method): \(run.stderr)")
            XCTAssertEqual(Set(run.lines), Set(paths), method)
        }
    }
}
