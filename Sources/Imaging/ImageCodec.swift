// Format sniffing and file reading on top of the JPEG and PNG codecs.
import Foundation

/// The file formats the module reads and writes.
public enum ImageFormat: Sendable, Equatable {
    case jpeg, png

    /// The format named by a path's extension (`.jpg`, `.jpeg`, `.png`, any case), or nil.
    public init?(pathExtension ext: String) {
        switch ext.lowercased() {
        case "jpg", "jpeg": self = .jpeg
        case "png": self = .png
        default: return nil
        }
    }

    /// The format whose signature starts `bytes`, or nil.
    public init?(sniffing bytes: [UInt8]) {
        if bytes.count >= 3, bytes[0] == 0xFF, bytes[1] == 0xD8, bytes[2] == 0xFF {
            self = .jpeg
        } else if bytes.count >= 8, bytes[0..<8].elementsEqual([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) {
            self = .png
        } else {
            return nil
        }
    }
}

/// Decodes JPEG or PNG bytes, chosen by their signature (not by any file name).
public func decodeImage(_ bytes: [UInt8]) throws -> Image {
    guard !bytes.isEmpty else { throw ImagingError.emptyInput }
    switch ImageFormat(sniffing: bytes) {
    case .jpeg: return try decodeJPEG(bytes)
    case .png: return try decodePNG(bytes)
    case nil: throw ImagingError.unknownFormat
    }
}

/// Encodes for `format`: JPEG at `quality` (see `encodeJPEG`), or PNG (`quality` ignored; `fast` as in
/// `encodePNG`).
public func encodeImage(_ image: Image, format: ImageFormat, quality: Int = 90, fastPNG: Bool = false) throws -> [UInt8] {
    switch format {
    case .jpeg: return try encodeJPEG(image, quality: quality)
    case .png: return try encodePNG(image, fast: fastPNG)
    }
}

/// Reads and decodes a JPEG or PNG file (format by signature). File errors are rethrown from Foundation.
public func readImage(path: String) throws -> Image {
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    return try decodeImage([UInt8](data))
}
