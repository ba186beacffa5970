// The image buffer every module shares: 8-bit, interleaved, row-major, top row first.
// Channel order is RGB(A) — what JPEG and PNG files hold. DeepFaceLab works in OpenCV's BGR; where a
// formula depends on the order (luma, colour transfer) the function says which channel is which.

/// An 8-bit image with 1 (gray), 3 (RGB) or 4 (RGBA) interleaved channels.
public struct Image: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public let channels: Int
    /// `height * width * channels` samples, row-major, channels interleaved.
    public var pixels: [UInt8]

    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        precondition(width >= 0 && height >= 0, "negative image size")
        precondition([1, 3, 4].contains(channels), "channels must be 1, 3 or 4")
        precondition(pixels.count == width * height * channels, "pixel count does not match the size")
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    /// An image filled with one value in every sample.
    public init(width: Int, height: Int, channels: Int, fill: UInt8 = 0) {
        self.init(width: width, height: height, channels: channels,
                  pixels: [UInt8](repeating: fill, count: width * height * channels))
    }

    /// Index of sample (x, y, c) in `pixels`.
    @inlinable public func offset(x: Int, y: Int, c: Int = 0) -> Int {
        (y * width + x) * channels + c
    }

    @inlinable public subscript(x: Int, y: Int, c: Int) -> UInt8 {
        get { pixels[offset(x: x, y: y, c: c)] }
        set { pixels[offset(x: x, y: y, c: c)] = newValue }
    }

    public var isEmpty: Bool { width == 0 || height == 0 }
}

/// A float image with the same layout as `Image`; values are usually in [0, 1] (8-bit value / 255).
public struct FloatImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public let channels: Int
    public var data: [Float]

    public init(width: Int, height: Int, channels: Int, data: [Float]) {
        precondition(width >= 0 && height >= 0, "negative image size")
        precondition(channels >= 1, "channels must be at least 1")
        precondition(data.count == width * height * channels, "sample count does not match the size")
        self.width = width
        self.height = height
        self.channels = channels
        self.data = data
    }

    public init(width: Int, height: Int, channels: Int, fill: Float = 0) {
        self.init(width: width, height: height, channels: channels,
                  data: [Float](repeating: fill, count: width * height * channels))
    }

    @inlinable public func offset(x: Int, y: Int, c: Int = 0) -> Int {
        (y * width + x) * channels + c
    }

    @inlinable public subscript(x: Int, y: Int, c: Int) -> Float {
        get { data[offset(x: x, y: y, c: c)] }
        set { data[offset(x: x, y: y, c: c)] = newValue }
    }
}

extension Image {
    /// Samples scaled to [0, 1].
    public func toFloat() -> FloatImage {
        FloatImage(width: width, height: height, channels: channels, data: pixels.map { Float($0) * (1 / 255) })
    }
}

extension FloatImage {
    /// Samples in [0, 1] scaled to 0...255, rounded to nearest and clamped (as OpenCV's saturate_cast).
    public func toUInt8() -> Image {
        precondition([1, 3, 4].contains(channels), "channels must be 1, 3 or 4")
        let px = data.map { v -> UInt8 in
            let s = (v * 255).rounded(.toNearestOrEven)
            return s <= 0 ? 0 : (s >= 255 ? 255 : UInt8(s))
        }
        return Image(width: width, height: height, channels: channels, pixels: px)
    }
}
