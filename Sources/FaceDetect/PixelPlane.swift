// The grayscale working copies detection runs on: luma from RGB, an integer-factor box downscale for
import Imaging
// large frames, and the quarter-turn rotations of DFL's rotation search.

/// An 8-bit single-channel image, row-major with no padding.
struct GrayPlane {
    var width: Int
    var height: Int
    var pixels: [UInt8]

    init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height)
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// Luma of an RGB(A) image (Imaging's BT.601 luma, as OpenCV's RGB2GRAY); a gray image as is.
    init(luma image: Image) {
        width = image.width
        height = image.height
        pixels = image.toGray().pixels
    }

    /// The mean of each `factor`×`factor` block (the last partial blocks are averaged over what exists).
    func boxDownscaled(by factor: Int) -> GrayPlane {
        precondition(factor >= 1)
        if factor == 1 { return self }
        let w = (width + factor - 1) / factor, h = (height + factor - 1) / factor
        var sums = [UInt32](repeating: 0, count: w)
        var counts = [UInt32](repeating: 0, count: w)
        var out = [UInt8](repeating: 0, count: w * h)
        pixels.withUnsafeBufferPointer { src in
            for by in 0..<h {
                for i in 0..<w { sums[i] = 0; counts[i] = 0 }
                for y in (by * factor)..<min(height, by * factor + factor) {
                    let row = y * width
                    for x in 0..<width {
                        sums[x / factor] += UInt32(src[row + x])
                        counts[x / factor] += 1
                    }
                }
                for i in 0..<w { out[by * w + i] = UInt8((sums[i] + counts[i] / 2) / counts[i]) }
            }
        }
        return GrayPlane(width: w, height: h, pixels: out)
    }

    /// The image turned by a quarter-turn multiple (see `FrameRotation` for the pixel mapping).
    func rotated(_ rotation: FrameRotation) -> GrayPlane {
        let w = width, h = height
        switch rotation {
        case .none:
            return self
        case .upsideDown:
            return GrayPlane(width: w, height: h, pixels: pixels.reversed())
        case .clockwise90, .counterClockwise90:
            // New size h × w; new (x', y') reads old (y', h−1−x') for clockwise, (w−1−y', x') otherwise.
            let clockwise = rotation == .clockwise90
            var out = [UInt8](repeating: 0, count: w * h)
            pixels.withUnsafeBufferPointer { src in
                out.withUnsafeMutableBufferPointer { dst in
                    for yn in 0..<w {
                        for xn in 0..<h {
                            let (xo, yo) = clockwise ? (yn, h - 1 - xn) : (w - 1 - yn, xn)
                            dst[yn * h + xn] = src[yo * w + xo]
                        }
                    }
                }
            }
            return GrayPlane(width: h, height: w, pixels: out)
        }
    }
}
