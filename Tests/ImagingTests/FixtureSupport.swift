import Foundation
import XCTest
@testable import Imaging

/// Access to the OpenCV golden files (Fixtures/, made by tools/fixtures/imaging/make_fixtures.py) and to
/// the committed example photos (examples/data/).
enum Fixtures {
    static var directory: URL { Bundle.module.resourceURL!.appendingPathComponent("Fixtures") }

    static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: directory.appendingPathComponent(name)))
    }

    static func png(_ name: String) throws -> Image { try decodePNG(bytes(name)) }

    /// A float image stored as "F32\0" + u32 width, height, channels + little-endian float32 samples.
    static func f32(_ name: String) throws -> FloatImage {
        let b = try bytes(name)
        precondition(b.count >= 16 && b[0..<4].elementsEqual([0x46, 0x33, 0x32, 0]), "bad f32 fixture \(name)")
        func u32(_ o: Int) -> Int { Int(b[o]) | Int(b[o + 1]) << 8 | Int(b[o + 2]) << 16 | Int(b[o + 3]) << 24 }
        let w = u32(4), h = u32(8), c = u32(12)
        var data = [Float](repeating: 0, count: w * h * c)
        for i in 0..<data.count { data[i] = Float(bitPattern: UInt32(u32(16 + 4 * i))) }
        return FloatImage(width: w, height: h, channels: c, data: data)
    }

    /// Manifest entries (one per fixture file) with the given kind.
    static func items(kind: String) throws -> [[String: Any]] {
        let data = try Data(contentsOf: directory.appendingPathComponent("manifest.json"))
        let root = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        return (root["items"] as! [[String: Any]]).filter { $0["kind"] as? String == kind }
    }

    static var exampleData: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("examples/data")
    }

    static func example(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: exampleData.appendingPathComponent(name)))
    }
}

/// Largest absolute sample difference and how many samples differ at all.
func compare(_ a: Image, _ b: Image, file: StaticString = #filePath, line: UInt = #line) -> (max: Int, differing: Int) {
    XCTAssertEqual(a.width, b.width, file: file, line: line)
    XCTAssertEqual(a.height, b.height, file: file, line: line)
    XCTAssertEqual(a.channels, b.channels, file: file, line: line)
    guard a.pixels.count == b.pixels.count else { return (255, a.pixels.count) }
    var m = 0, n = 0
    for i in 0..<a.pixels.count {
        let d = abs(Int(a.pixels[i]) - Int(b.pixels[i]))
        if d > 0 { n += 1; m = max(m, d) }
    }
    return (m, n)
}

func maxDifference(_ a: FloatImage, _ b: FloatImage, file: StaticString = #filePath, line: UInt = #line) -> Float {
    XCTAssertEqual(a.width, b.width, file: file, line: line)
    XCTAssertEqual(a.height, b.height, file: file, line: line)
    XCTAssertEqual(a.channels, b.channels, file: file, line: line)
    guard a.data.count == b.data.count else { return .infinity }
    var m: Float = 0
    for i in 0..<a.data.count { m = max(m, abs(a.data[i] - b.data[i])) }
    return m
}

/// The 64×64 astronaut crop the fixtures start from, decoded by our PNG decoder from the committed photo.
func astronautCrop() throws -> Image {
    let photo = try decodePNG(Fixtures.example("astronaut_collins.png"))
    return photo.cropped(x: 160, y: 60, width: 64, height: 64)
}
