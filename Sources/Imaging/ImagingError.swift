/// Errors thrown by the Imaging module's decoders, encoders and file helpers.
public enum ImagingError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The input has no bytes at all.
    case emptyInput
    /// The bytes start with neither the JPEG nor the PNG signature.
    case unknownFormat
    /// libturbojpeg rejected the data (truncated, corrupt, unsupported); the library's message is kept.
    case invalidJPEG(String)
    /// libpng rejected the data; the library's message is kept.
    case invalidPNG(String)
    /// The declared size is larger than the decoders accept (guards against huge allocations).
    case tooLarge(width: Int, height: Int)
    /// The image has a channel count or size the encoder cannot write.
    case unsupported(String)
    /// The encoder failed for a reason reported by the library.
    case encodeFailed(String)

    public var description: String {
        switch self {
        case .emptyInput: return "empty input"
        case .unknownFormat: return "not a JPEG or PNG file"
        case .invalidJPEG(let m): return "invalid JPEG: \(m)"
        case .invalidPNG(let m): return "invalid PNG: \(m)"
        case .tooLarge(let w, let h): return "image too large: \(w)x\(h)"
        case .unsupported(let m): return "unsupported image: \(m)"
        case .encodeFailed(let m): return "encoding failed: \(m)"
        }
    }
}

/// Largest side and sample count the decoders accept; a header claiming more is rejected before allocation.
public enum ImageLimits {
    public static let maxSide = 1 << 15
    public static let maxSamples = 1 << 29

    static func check(width: Int, height: Int, channels: Int) throws {
        guard width > 0, height > 0, width <= maxSide, height <= maxSide,
              width * height * channels <= maxSamples else {
            throw ImagingError.tooLarge(width: width, height: height)
        }
    }
}
