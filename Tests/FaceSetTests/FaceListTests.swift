import Foundation
import XCTest
@testable import FaceSet

final class FaceListTests: XCTestCase {
    func testDirectoriesExpandToImagesInNameOrder() {
        let fs: [String: [String]] = [
            "faces": ["b.jpg", "a.PNG", "notes.txt", "c.JPEG", "10.jpg", "2.jpg", "noext", ".jpg", "x.jpg.bak"],
            "out/": ["z.png"],
        ]
        let list = FaceList.expand(["faces", "one.jpg", "out/", "missing.jpg"]) { fs[$0] }
        XCTAssertEqual(list, ["faces/10.jpg", "faces/2.jpg", "faces/a.PNG", "faces/b.jpg", "faces/c.JPEG",
                              "one.jpg", "out/z.png", "missing.jpg"])
    }

    func testStdinLines() {
        XCTAssertEqual(FaceList.parse(Array("a.jpg\n\nb c.jpg\n".utf8), nullSeparated: false), ["a.jpg", "b c.jpg"])
        XCTAssertEqual(FaceList.parse(Array("a.jpg\0new\nline.jpg\0\0".utf8), nullSeparated: true), ["a.jpg", "new\nline.jpg"])
        XCTAssertEqual(FaceList.parse([], nullSeparated: false), [])
    }

    func testRealDirectory() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("facelist-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for n in ["b.jpg", "a.png", "readme.md", ".hidden.jpg"] {
            try Data().write(to: dir.appendingPathComponent(n))
        }
        XCTAssertEqual(try FaceList.expand([dir.path]), [dir.path + "/a.png", dir.path + "/b.jpg"])
    }
}
