// dlib's CNN face detector: model loading and its errors, faces on the example stills, the auto mode keeping
// HOG's faces unchanged, and the RGB working copies (rotation, downscale) the CNN reads.
import FaceAlign
import Foundation
import Imaging
import XCTest
@testable import FaceDetect

/// The CNN model (730 KB, vendored in models/): loaded once for all tests.
let sharedCNNModel: CNNFaceModel? = try? CNNFaceModel()

final class CNNDetectorTests: XCTestCase {
    func detector(_ kind: DetectorKind, _ options: FaceDetectionOptions = FaceDetectionOptions()) throws -> FaceDetector {
        let model = try XCTUnwrap(sharedModel, "the landmark model (Debian package libdlib-data) is not installed")
        let cnn = try XCTUnwrap(sharedCNNModel, "models/\(CNNFaceModel.fileName) is missing")
        var o = options
        o.detector = kind
        return try FaceDetector(model: model, cnnModel: cnn, options: o)
    }

    // MARK: - model file

    func testPathResolutionOrder() {
        let env = [CNNFaceModel.environmentVariable: "/from/env.dat"]
        XCTAssertEqual(CNNFaceModel.resolvePath("/explicit.dat", environment: env), "/explicit.dat")
        XCTAssertEqual(CNNFaceModel.resolvePath(nil, environment: env), "/from/env.dat")
        // Without either, a file that exists: the installed copy or the source tree's.
        let found = CNNFaceModel.resolvePath(nil, environment: [CNNFaceModel.environmentVariable: ""])
        XCTAssertTrue(found.hasSuffix("/" + CNNFaceModel.fileName), found)
        XCTAssertTrue(FileManager.default.isReadableFile(atPath: found), found)
    }

    func testMissingModelSaysWhereToGetIt() {
        XCTAssertThrowsError(try CNNFaceModel(path: "/nonexistent/mmod.dat")) { error in
            guard case FaceDetectError.detectorModelMissing(let path, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(path, "/nonexistent/mmod.dat")
            let text = "\(error)"
            for part in ["/nonexistent/mmod.dat", "models/mmod_human_face_detector.dat", "--detector-model",
                         "DFL_DETECTOR_MODEL", "face-recognition-models", "--detector hog"] {
                XCTAssertTrue(text.contains(part), "\(part) not in: \(text)")
            }
        }
    }

    func testWrongFileIsAnInvalidModel() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("not-a-cnn-\(getpid()).dat")
        defer { try? FileManager.default.removeItem(at: url) }
        for bytes in [[UInt8](), [UInt8](repeating: 0x41, count: 1000), [0x80, 0x01, 0xFF, 0xFF]] {
            try Data(bytes).write(to: url)
            XCTAssertThrowsError(try CNNFaceModel(path: url.path)) { error in
                guard case FaceDetectError.detectorModelInvalid = error else { return XCTFail("\(error)") }
            }
        }
        // The first 100 KB of the real model: a truncated network.
        let real = try Data(contentsOf: URL(fileURLWithPath: CNNFaceModel.resolvePath()))
        try real.prefix(100_000).write(to: url)
        XCTAssertThrowsError(try CNNFaceModel(path: url.path)) { error in
            guard case FaceDetectError.detectorModelInvalid = error else { return XCTFail("\(error)") }
        }
    }

    func testTheCNNNeedsItsModel() throws {
        let model = try XCTUnwrap(sharedModel)
        XCTAssertThrowsError(try FaceDetector(model: model, options: FaceDetectionOptions(detector: .cnn)))
        XCTAssertNoThrow(try FaceDetector(model: model, options: FaceDetectionOptions(detector: .hog)))
    }

    // MARK: - detection

    /// Each still shows one clear face (counted by looking; see FaceDetectTests): the CNN finds exactly it,
    /// at the place HOG finds it, and the landmarks fitted on its adapted box are those of a face.
    func testCNNFindsTheFaceOfEachStill() throws {
        let cnn = try detector(.cnn), hog = try detector(.hog)
        for name in FaceDetectTests.stills {
            let image = try ExamplePhotos.load(name)
            let faces = try cnn.detectFaces(in: image)
            XCTAssertEqual(faces.count, 1, name)
            guard let face = faces.first, let reference = try hog.detectFaces(in: image).first else { continue }
            XCTAssertEqual(face.detector, .cnn, name)
            XCTAssertTrue(overlaps(face.box, reference.box), "\(name): \(face.box) vs HOG \(reference.box)")
            assertPlausibleLandmarks(face, name)
            // Eye corners, nose and mouth corners within 8 % of the face width of HOG's.
            let stable = [36, 39, 42, 45, 30, 48, 54]
            XCTAssertLessThan(maxDistance(stable.map { face.landmarks[$0] }, stable.map { reference.landmarks[$0] }),
                              0.08 * Double(reference.box.width), name)
        }
    }

    /// Where HOG finds a face, auto returns exactly HOG's result (same box, same landmarks): the alignment
    /// of the talking-head frames does not change.
    func testAutoKeepsHOGFacesExactly() throws {
        let auto = try detector(.auto), hog = try detector(.hog)
        for name in FaceDetectTests.stills {
            let image = try ExamplePhotos.load(name)
            let expected = try hog.detectFaces(in: image)
            XCTAssertEqual(expected.count, 1, name)
            XCTAssertEqual(try auto.detectFaces(in: image), expected, name)
        }
    }

    func testNoFaceAndTooSmallFaces() throws {
        let d = try detector(.auto)
        XCTAssertEqual(try d.detectFaces(in: Image(width: 0, height: 0, channels: 3)).count, 0)
        XCTAssertEqual(try d.detectFaces(in: Image(width: 1, height: 1, channels: 1)).count, 0)
        XCTAssertEqual(try d.detectFaces(in: Image(width: 320, height: 240, channels: 3, fill: 128)).count, 0)
        // Tiny frames, which dlib's network refuses unpadded (2×2 and 8×8 threw before the shim padded them).
        let cnn = try detector(.cnn, FaceDetectionOptions(rotationSearch: false))
        for (w, h) in [(2, 2), (8, 8), (3, 200), (200, 5), (63, 63)] {
            XCTAssertEqual(try cnn.detectFaces(in: Image(width: w, height: h, channels: 3, fill: 60)).count, 0, "\(w)×\(h)")
        }
        let image = try ExamplePhotos.load("astronaut_collins.png")   // face box about 90 px
        XCTAssertEqual(try detector(.cnn, FaceDetectionOptions(minFaceSize: 60)).detectFaces(in: image).count, 1)
        XCTAssertEqual(try detector(.cnn, FaceDetectionOptions(minFaceSize: 150)).detectFaces(in: image).count, 0)
    }

    func testOverlapRule() {
        let a = FaceBox(left: 0, top: 0, right: 99, bottom: 99)
        XCTAssertTrue(overlaps(a, FaceBox(left: 40, top: 40, right: 139, bottom: 139)))
        XCTAssertTrue(overlaps(a, FaceBox(left: 45, top: 45, right: 54, bottom: 54)))     // small box inside
        XCTAssertFalse(overlaps(a, FaceBox(left: 60, top: 60, right: 159, bottom: 159)))  // corners touch only
        XCTAssertFalse(overlaps(a, FaceBox(left: 200, top: 0, right: 299, bottom: 99)))
    }

    // MARK: - RGB working copies

    /// Each rotated RGB pixel is the frame pixel that `FrameRotation.pointToFrame` names.
    func testRGBRotationFollowsThePointMapping() {
        let w = 5, h = 3
        let pixels = (0..<(w * h * 3)).map { UInt8($0) }
        let plane = PixelPlane(width: w, height: h, channels: 3, pixels: pixels)
        for rotation in FrameRotation.allCases {
            let r = plane.rotated(rotation)
            XCTAssertEqual(r.channels, 3)
            XCTAssertEqual(r.width * r.height, w * h)
            for y in 0..<r.height {
                for x in 0..<r.width {
                    let p = rotation.pointToFrame(Point2D(Double(x), Double(y)), width: w, height: h)
                    for c in 0..<3 {
                        XCTAssertEqual(r.pixels[(y * r.width + x) * 3 + c], pixels[(Int(p.y) * w + Int(p.x)) * 3 + c],
                                       "\(rotation) (\(x), \(y)) channel \(c)")
                    }
                }
            }
        }
    }

    /// Block means per channel, rounded, over the pixels that exist in the last partial blocks.
    func testRGBBoxDownscale() {
        let w = 5, h = 4
        let pixels = (0..<(w * h * 3)).map { UInt8(($0 * 37) % 256) }
        let small = PixelPlane(width: w, height: h, channels: 3, pixels: pixels).boxDownscaled(by: 2)
        XCTAssertEqual(small.width, 3); XCTAssertEqual(small.height, 2)
        for by in 0..<2 {
            for bx in 0..<3 {
                for c in 0..<3 {
                    var sum = 0, n = 0
                    for y in (2 * by)..<min(h, 2 * by + 2) {
                        for x in (2 * bx)..<min(w, 2 * bx + 2) { sum += Int(pixels[(y * w + x) * 3 + c]); n += 1 }
                    }
                    XCTAssertEqual(Int(small.pixels[(by * 3 + bx) * 3 + c]), (sum + n / 2) / n, "(\(bx), \(by), \(c))")
                }
            }
        }
    }
}
