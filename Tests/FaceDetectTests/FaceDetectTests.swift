// Detection and landmarks on the real photos of examples/data. The expected face counts were decided by
// looking at the images: each still shows one clear face (obama_speech_2009 also has a blurred sliver of a
// face cut by the right edge — an ear's width of hair and cheek, not a visible face, so it must not count).
import FaceAlign
import XCTest
@testable import FaceDetect
import Imaging

/// The model is 99 MB: load it once for all tests.
let sharedModel: LandmarkModel? = try? LandmarkModel()

final class FaceDetectTests: XCTestCase {
    static let stills = ["astronaut_collins.png", "biden_portrait_2013.jpg", "grace_hopper_navy_1984.jpg",
                         "lin_manuel_miranda_2009.png", "obama_portrait_2012.jpg", "obama_speech_2009.jpg"]

    func detector(_ options: FaceDetectionOptions = FaceDetectionOptions()) throws -> FaceDetector {
        let model = try XCTUnwrap(sharedModel, "the landmark model (Debian package libdlib-data) is not installed")
        return try FaceDetector(model: model, options: options)
    }

    func testEachStillHasExactlyOneFaceWithPlausibleLandmarks() throws {
        let d = try detector()
        for name in Self.stills {
            let image = try ExamplePhotos.load(name)
            let faces = try d.detectFaces(in: image)
            XCTAssertEqual(faces.count, 1, name)
            guard let face = faces.first else { continue }
            XCTAssertEqual(face.rotation, .none, name)
            XCTAssertEqual(face.landmarks.count, 68, name)
            assertPlausibleLandmarks(face, name)
        }
    }

    func testGrayInputFindsTheSameFace() throws {
        let d = try detector()
        let rgb = try ExamplePhotos.load("grace_hopper_navy_1984.jpg")
        var gray = Image(width: rgb.width, height: rgb.height, channels: 1)
        for i in 0..<(rgb.width * rgb.height) {
            let s = Int(rgb.pixels[3 * i]) + Int(rgb.pixels[3 * i + 1]) + Int(rgb.pixels[3 * i + 2])
            gray.pixels[i] = UInt8(s / 3)
        }
        let a = try XCTUnwrap(try d.detectFaces(in: rgb).first)
        let faces = try d.detectFaces(in: gray)
        XCTAssertEqual(faces.count, 1)
        let b = try XCTUnwrap(faces.first)
        XCTAssertLessThan(maxDistance(a.landmarks, b.landmarks), 0.05 * Double(a.box.width))
    }

    /// Two stills side by side: two faces, the larger (Hopper's, about 230 px against the astronaut's
    /// 95 px) first.
    func testTwoFacesSideBySideLargestFirst() throws {
        let left = try ExamplePhotos.load("astronaut_collins.png")
        let right = try ExamplePhotos.load("grace_hopper_navy_1984.jpg")
        let joined = sideBySide(left, right)
        let faces = try detector().detectFaces(in: joined)
        XCTAssertEqual(faces.count, 2)
        guard faces.count == 2 else { return }
        XCTAssertGreaterThan(faces[0].box.area, faces[1].box.area)
        XCTAssertGreaterThan(faces[0].box.left, left.width, "the larger face is Hopper's, on the right")
        XCTAssertLessThan(faces[1].box.right, left.width, "the smaller face is the astronaut's, on the left")
        for face in faces { assertPlausibleLandmarks(face, "joined") }

        let one = try detector(FaceDetectionOptions(maxFaces: 1)).detectFaces(in: joined)
        XCTAssertEqual(one.count, 1)
        XCTAssertEqual(one.first?.box, faces[0].box)
    }

    func testMinimumFaceSizeDropsSmallFaces() throws {
        let image = try ExamplePhotos.load("astronaut_collins.png")   // face box about 90 px
        XCTAssertEqual(try detector(FaceDetectionOptions(minFaceSize: 60)).detectFaces(in: image).count, 1)
        XCTAssertEqual(try detector(FaceDetectionOptions(minFaceSize: 150)).detectFaces(in: image).count, 0)
    }

    /// A photo turned a quarter or half turn: the rotation search finds the face, and its landmarks, mapped
    /// back, land where the upright photo's landmarks are (the mapping here is the test's own).
    func testRotationSearchMapsFacesBackToTheFrame() throws {
        let d = try detector()
        let upright = try ExamplePhotos.load("grace_hopper_navy_1984.jpg")
        let reference = try XCTUnwrap(try d.detectFaces(in: upright).first)
        let w = Double(upright.width), h = Double(upright.height)
        // (turn applied to the photo, expected rotation that makes it upright, map of an upright point)
        let cases: [(Image, FrameRotation, (Point2D) -> Point2D)] = [
            (turnClockwise(upright), .counterClockwise90, { Point2D(h - 1 - $0.y, $0.x) }),
            (turnClockwise(turnClockwise(upright)), .upsideDown, { Point2D(w - 1 - $0.x, h - 1 - $0.y) }),
            (turnClockwise(turnClockwise(turnClockwise(upright))), .clockwise90, { Point2D($0.y, w - 1 - $0.x) }),
        ]
        for (turned, rotation, map) in cases {
            XCTAssertEqual(try detector(FaceDetectionOptions(rotationSearch: false)).detectFaces(in: turned).count, 0,
                           "HOG should not find a sideways or upside-down face (\(rotation))")
            let faces = try d.detectFaces(in: turned)
            XCTAssertEqual(faces.count, 1, "\(rotation)")
            guard let face = faces.first else { continue }
            XCTAssertEqual(face.rotation, rotation)
            let expected = reference.landmarks.map(map)
            XCTAssertLessThan(maxDistance(face.landmarks, expected), 0.03 * Double(reference.box.width), "\(rotation)")
            // The box, mapped back, covers the same region as the upright box.
            let c = map(Point2D(Double(reference.box.left + reference.box.right) / 2,
                                Double(reference.box.top + reference.box.bottom) / 2))
            XCTAssertEqual(Double(face.box.left + face.box.right) / 2, c.x, accuracy: 3)
            XCTAssertEqual(Double(face.box.top + face.box.bottom) / 2, c.y, accuracy: 3)
            XCTAssertEqual(face.box.width, reference.box.width, accuracy: 2)
        }
    }

    /// A large frame: detection on the downscaled copy, landmarks on the full frame, agree with detection
    /// on the full frame.
    func testDownscaledDetectionAgreesWithFullResolution() throws {
        let image = try ExamplePhotos.load("biden_portrait_2013.jpg")   // 1200×1200: factor 2 at the default 640
        let fast = try detector()
        XCTAssertEqual(fast.detectionFactor(width: image.width, height: image.height), 2)
        let full = try detector(FaceDetectionOptions(upsample: 0, detectionMaxSide: 0))
        let a = try XCTUnwrap(try fast.detectFaces(in: image).first)
        let b = try XCTUnwrap(try full.detectFaces(in: image).first)
        // The two boxes differ (different HOG scales), so compare the landmarks on the stable points.
        let stable = [36, 39, 42, 45, 30, 48, 54]
        XCTAssertLessThan(maxDistance(stable.map { a.landmarks[$0] }, stable.map { b.landmarks[$0] }),
                          0.05 * Double(b.box.width))
    }

    func testImagesWithoutFaces() throws {
        let d = try detector()
        XCTAssertEqual(try d.detectFaces(in: Image(width: 0, height: 0, channels: 3)).count, 0)
        XCTAssertEqual(try d.detectFaces(in: Image(width: 1, height: 1, channels: 1)).count, 0)
        XCTAssertEqual(try d.detectFaces(in: Image(width: 320, height: 240, channels: 3, fill: 128)).count, 0)
        // A crop of the flag and sky next to Hopper's face.
        let photo = try ExamplePhotos.load("grace_hopper_navy_1984.jpg")
        XCTAssertEqual(try d.detectFaces(in: crop(photo, x: 380, y: 0, width: 137, height: 300)).count, 0)
    }

    func testDetectionFactor() throws {
        let d = try detector()
        XCTAssertEqual(d.detectionFactor(width: 640, height: 360), 1)
        XCTAssertEqual(d.detectionFactor(width: 1280, height: 720), 2)
        XCTAssertEqual(d.detectionFactor(width: 1920, height: 1080), 3)
        XCTAssertEqual(d.detectionFactor(width: 641, height: 10), 2)
        XCTAssertEqual(try detector(FaceDetectionOptions(detectionMaxSide: 0)).detectionFactor(width: 5000, height: 5000), 1)
    }

    func testBadUpsampleCountIsRejected() throws {
        let model = try XCTUnwrap(sharedModel)
        XCTAssertThrowsError(try FaceDetector(model: model, options: FaceDetectionOptions(upsample: 5)))
        let hog = try HOGDetector()
        XCTAssertThrowsError(try hog.detect(in: Image(width: 8, height: 8, channels: 1), upsample: -1))
    }

}

// Shared with CNNDetectorTests.
extension XCTestCase {
    /// Eye corners, nose tip and mouth corners inside the detector box (grown by 10 %, since dlib's boxes
    /// are tight), in the order a frontal face has them.
    func assertPlausibleLandmarks(_ face: DetectedFace, _ label: String, file: StaticString = #filePath, line: UInt = #line) {
        let b = face.box, m = 0.1 * Double(b.width)
        let l = face.landmarks
        for i in [36, 39, 42, 45, 30, 48, 54] {
            let p = l[i]
            XCTAssertTrue(p.x >= Double(b.left) - m && p.x <= Double(b.right) + m &&
                          p.y >= Double(b.top) - m && p.y <= Double(b.bottom) + m,
                          "\(label): landmark \(i) \(p) outside \(b)", file: file, line: line)
        }
        // Image-left eye (36–39) left of the nose tip, image-right eye (42–45) right of it.
        XCTAssertLessThan(l[36].x, l[39].x, label, file: file, line: line)
        XCTAssertLessThan(l[39].x, l[30].x, label, file: file, line: line)
        XCTAssertLessThan(l[30].x, l[42].x, label, file: file, line: line)
        XCTAssertLessThan(l[42].x, l[45].x, label, file: file, line: line)
        XCTAssertLessThan(l[48].x, l[54].x, label, file: file, line: line)
        // Eyes above the nose tip, nose tip above the mouth corners, mouth above the chin (8).
        let eyeY = (l[36].y + l[39].y + l[42].y + l[45].y) / 4
        XCTAssertLessThan(eyeY, l[30].y, label, file: file, line: line)
        XCTAssertLessThan(l[30].y, (l[48].y + l[54].y) / 2, label, file: file, line: line)
        XCTAssertLessThan((l[48].y + l[54].y) / 2, l[8].y, label, file: file, line: line)
        // Eyes in the upper half of the box.
        XCTAssertLessThan(eyeY, Double(b.top + b.bottom) / 2, label, file: file, line: line)
        // Inter-ocular distance (outer corners) a plausible share of the box width.
        let eyes = l[45].x - l[36].x
        XCTAssertGreaterThan(eyes, 0.3 * Double(b.width), label, file: file, line: line)
        XCTAssertLessThan(eyes, 0.9 * Double(b.width), label, file: file, line: line)
    }
}

func maxDistance(_ a: [Point2D], _ b: [Point2D]) -> Double {
    zip(a, b).map { (($0.x - $1.x) * ($0.x - $1.x) + ($0.y - $1.y) * ($0.y - $1.y)).squareRoot() }.max() ?? 0
}

/// `a` and `b` next to each other on a black canvas as tall as the taller one.
func sideBySide(_ a: Image, _ b: Image) -> Image {
    var out = Image(width: a.width + b.width, height: max(a.height, b.height), channels: 3)
    for (img, x0) in [(a, 0), (b, a.width)] {
        for y in 0..<img.height {
            for x in 0..<img.width {
                for c in 0..<3 { out[x0 + x, y, c] = img[x, y, c] }
            }
        }
    }
    return out
}

/// The image turned clockwise by a quarter turn: the top row becomes the right column.
func turnClockwise(_ a: Image) -> Image {
    var out = Image(width: a.height, height: a.width, channels: a.channels)
    for y in 0..<a.height {
        for x in 0..<a.width {
            for c in 0..<a.channels { out[a.height - 1 - y, x, c] = a[x, y, c] }
        }
    }
    return out
}

func crop(_ a: Image, x: Int, y: Int, width: Int, height: Int) -> Image {
    var out = Image(width: width, height: height, channels: a.channels)
    for j in 0..<height {
        for i in 0..<width {
            for c in 0..<a.channels { out[i, j, c] = a[x + i, y + j, c] }
        }
    }
    return out
}
