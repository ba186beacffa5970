// TEMPORARY test helper: decodes the example photos with libturbojpeg / libpng until the Imaging module's
// decoders land on main; then the tests switch to Imaging and this file goes.
import CPNG
import CTurboJPEG
import Foundation
import Imaging

enum PhotoLoader {
    /// The repository's examples/data folder, found from this file's path.
    static let dataDirectory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("examples/data")

    struct DecodeError: Error { let message: String }

    /// An example photo as an RGB image.
    static func load(_ name: String) throws -> Image {
        let data = try Data(contentsOf: dataDirectory.appendingPathComponent(name))
        let bytes = [UInt8](data)
        return name.lowercased().hasSuffix(".png") ? try decodePNG(bytes) : try decodeJPEG(bytes)
    }

    static func decodeJPEG(_ bytes: [UInt8]) throws -> Image {
        guard let tj = tjInitDecompress() else { throw DecodeError(message: "tjInitDecompress") }
        defer { tjDestroy(tj) }
        var w: Int32 = 0, h: Int32 = 0, sub: Int32 = 0, cs: Int32 = 0
        var src = bytes
        guard tjDecompressHeader3(tj, &src, UInt(src.count), &w, &h, &sub, &cs) == 0 else {
            throw DecodeError(message: "JPEG header")
        }
        var out = [UInt8](repeating: 0, count: Int(w) * Int(h) * 3)
        guard tjDecompress2(tj, &src, UInt(src.count), &out, w, 0, h, Int32(TJPF_RGB.rawValue), 0) == 0 else {
            throw DecodeError(message: "JPEG data")
        }
        return Image(width: Int(w), height: Int(h), channels: 3, pixels: out)
    }

    static func decodePNG(_ bytes: [UInt8]) throws -> Image {
        var img = png_image()
        img.version = UInt32(PNG_IMAGE_VERSION)
        return try bytes.withUnsafeBytes { raw -> Image in
            guard png_image_begin_read_from_memory(&img, raw.baseAddress, raw.count) != 0 else {
                throw DecodeError(message: "PNG header")
            }
            img.format = UInt32(PNG_FORMAT_RGB)
            var out = [UInt8](repeating: 0, count: Int(img.width) * Int(img.height) * 3)
            guard png_image_finish_read(&img, nil, &out, 0, nil) != 0 else { throw DecodeError(message: "PNG data") }
            return Image(width: Int(img.width), height: Int(img.height), channels: 3, pixels: out)
        }
    }
}
