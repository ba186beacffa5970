// The 8-bit working copies detection runs on (luma for HOG and landmarks, RGB for the CNN): an
// integer-factor box downscale for large frames, and the quarter-turns of DFL's rotation search.
import Imaging

/// An 8-bit image of 1 (luma) or 3 (RGB) interleaved channels, row-major with no padding.
struct PixelPlane {
    var width: Int
    var height: Int
    var channels: Int
    var pixels: [UInt8]

    init(width: Int, height: Int, channels: Int = 1, pixels: [UInt8]) {
        precondition(channels >= 1 && pixels.count == width * height * channels)
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    /// Luma of an RGB(A) image (Imaging's BT.601 luma, as OpenCV's RGB2GRAY); a gray image as is.
    init(luma image: Image) {
        width = image.width
        height = image.height
        channels = 1
        pixels = image.toGray().pixels
    }

    /// RGB of an image: gray replicated, alpha dropped.
    init(rgb image: Image) {
        width = image.width
        height = image.height
        channels = 3
        switch image.channels {
        case 3: pixels = image.pixels
        case 1: pixels = image.grayToRGB().pixels
        default:
            let c = image.channels
            pixels = [UInt8](repeating: 0, count: width * height * 3)
            for i in 0..<(width * height) {
                for k in 0..<3 { pixels[3 * i + k] = image.pixels[c * i + k] }
            }
        }
    }

    /// The mean of each `factor`×`factor` block, per channel (the last partial blocks are averaged over
    /// what exists).
    func boxDownscaled(by factor: Int) -> PixelPlane {
        precondition(factor >= 1)
        if factor == 1 { return self }
        let c = channels
        let w = (width + factor - 1) / factor, h = (height + factor - 1) / factor
        var sums = [UInt32](repeating: 0, count: w * c)
        var counts = [UInt32](repeating: 0, count: w)
        var out = [UInt8](repeating: 0, count: w * h * c)
        pixels.withUnsafeBufferPointer { src in
            for by in 0..<h {
                for i in 0..<(w * c) { sums[i] = 0 }
                for i in 0..<w { counts[i] = 0 }
                for y in (by * factor)..<min(height, by * factor + factor) {
                    let row = y * width * c
                    for x in 0..<width {
                        let b = x / factor
                        for k in 0..<c { sums[b * c + k] += UInt32(src[row + x * c + k]) }
                        counts[b] += 1
                    }
                }
                for i in 0..<w {
                    for k in 0..<c { out[(by * w + i) * c + k] = UInt8((sums[i * c + k] + counts[i] / 2) / counts[i]) }
                }
            }
        }
        return PixelPlane(width: w, height: h, channels: c, pixels: out)
    }

    /// The image turned by a quarter-turn multiple (see `FrameRotation` for the pixel mapping).
    func rotated(_ rotation: FrameRotation) -> PixelPlane {
        let w = width, h = height, c = channels
        let (nw, nh) = rotation == .none || rotation == .upsideDown ? (w, h) : (h, w)
        if rotation == .none { return self }
        var out = [UInt8](repeating: 0, count: w * h * c)
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for yn in 0..<nh {
                    for xn in 0..<nw {
                        // New (x', y') reads old (W−1−x', H−1−y') upside down, (y', H−1−x') clockwise and
                        // (W−1−y', x') counter-clockwise.
                        let (xo, yo): (Int, Int)
                        switch rotation {
                        case .upsideDown: (xo, yo) = (w - 1 - xn, h - 1 - yn)
                        case .clockwise90: (xo, yo) = (yn, h - 1 - xn)
                        default: (xo, yo) = (w - 1 - yn, xn)
                        }
                        for k in 0..<c { dst[(yn * nw + xn) * c + k] = src[(yo * w + xo) * c + k] }
                    }
                }
            }
        }
        return PixelPlane(width: nw, height: nh, channels: c, pixels: out)
    }
}
