import XCTest
import FaceSet
import Foundation
import Imaging
@testable import Samples

final class FaceFileTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("samples-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    /// A DFL face file made with the project's writers: JPEG pixels, pickled metadata in APP15.
    func faceFile(size: Int, channels: Int, xseg: Image? = nil) throws -> [UInt8] {
        let record = syntheticFace(size: size, channels: channels)
        let jpeg = try encodeJPEG(record.image, quality: 95)
        let meta = FaceMetadata(faceType: .wholeFace, landmarks: record.landmarks,
                                xsegMask: try xseg.map { try encodePNG($0) })
        return try DFLJPG.embed(meta, into: jpeg)
    }

    func testFaceFileGivesPixelsLandmarksAndType() throws {
        let bytes = try faceFile(size: 64, channels: 1)
        let record = try FaceRecord(faceFile: bytes)
        XCTAssertEqual(record.image, try decodeImage(bytes))
        XCTAssertEqual(record.image.channels, 1)
        XCTAssertEqual(record.faceType, .wholeFace)
        XCTAssertEqual(record.landmarks, faceLandmarks(size: 64))
        XCTAssertNil(record.xsegMask)
    }

    func testXSegMaskReplacesTheLandmarkHull() throws {
        // Mask: the left half of a 32-px image; the face is 64 px and the model 48 px of the same type.
        var mask = Image(width: 32, height: 32, channels: 1)
        for y in 0..<32 { for x in 0..<16 { mask[x, y, 0] = 255 } }
        let record = try FaceRecord(faceFile: try faceFile(size: 64, channels: 3, xseg: mask))
        XCTAssertNotNil(record.xsegMask)
        var store = FaceStore(resolution: 48, faceType: .wholeFace)
        try store.add(record)
        let full = store.faces[0].fullMask
        XCTAssertEqual(full[5, 24, 0], 255)
        XCTAssertEqual(full[42, 24, 0], 0)
        XCTAssertEqual(full[5, 2, 0], 255)   // the hull would not reach the top corner
    }

    func testLoadFilesAndPakGiveTheSameFaces() throws {
        var paths = [String](), packed = [PackedFace]()
        for i in 0..<3 {
            let bytes = try faceFile(size: 64, channels: 1)
            let path = directory.appendingPathComponent("\(i).jpg").path
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            paths.append(path)
            packed.append(PackedFace(config: try PackedFaceset.sampleConfig(filename: "\(i).jpg",
                                                                           face: try DFLJPG.read(bytes)),
                                     bytes: bytes))
        }
        let bad = directory.appendingPathComponent("bad.jpg").path
        try Data([0xFF, 0xD8, 0xFF]).write(to: URL(fileURLWithPath: bad))
        let pak = directory.appendingPathComponent("faceset.pak").path
        try Data(try PackedFaceset.write(packed)).write(to: URL(fileURLWithPath: pak))

        var fromFiles = FaceStore(resolution: 32, faceType: .full)
        var failed = [String]()
        XCTAssertEqual(fromFiles.load(files: [paths[0], bad, paths[1], paths[2]]) { p, _ in failed.append(p) }, 3)
        XCTAssertEqual(failed, [bad])
        var fromPak = FaceStore(resolution: 32, faceType: .full)
        XCTAssertEqual(try fromPak.load(pak: pak), 3)
        XCTAssertEqual(fromFiles.faces.map(\.image), fromPak.faces.map(\.image))
        XCTAssertEqual(fromPak.channels, 1)
        XCTAssertThrowsError(try fromPak.load(pak: bad))
    }
}
