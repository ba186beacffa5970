// The example photos of examples/data, found from this file's path.
import Foundation
import Imaging

enum ExamplePhotos {
    static let directory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("examples/data")

    /// An example photo, decoded.
    static func load(_ name: String) throws -> Image {
        try readImage(path: directory.appendingPathComponent(name).path)
    }
}
