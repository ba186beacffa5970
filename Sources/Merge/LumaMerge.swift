// Luma mode: a grayscale prediction changes only the frame's BT.601 luma. Adding the same amount d to R, G
// and B changes Y = 0.299 R + 0.587 G + 0.114 B by exactly d and leaves Cb ∝ B − Y and Cr ∝ R − Y as they
// were, so the frame's chroma survives exactly; d is limited so that no channel leaves [0, 1] (clipping one
// channel would shift the chroma).
import Imaging

/// `frame` (RGB, floats in [0, 1]) with its luma replaced by `luma` (1 channel, same size): every pixel
/// moves by d = luma − Y(frame) in all three channels, d clamped to keep each channel in [0, 1].
public func replaceLuma(of frame: FloatImage, with luma: FloatImage) -> FloatImage {
    precondition(frame.channels == 3 && luma.channels == 1, "replaceLuma takes an RGB frame and a gray image")
    precondition(frame.width == luma.width && frame.height == luma.height, "sizes differ")
    var out = frame
    let n = frame.width * frame.height
    for i in 0..<n {
        let r = frame.data[3 * i], g = frame.data[3 * i + 1], b = frame.data[3 * i + 2]
        let y = b * 0.114 + g * 0.587 + r * 0.299   // the same expression as FloatImage.toGray
        var d = luma.data[i] - y
        if d == 0 { continue }
        d = min(max(d, -min(r, g, b)), 1 - max(r, g, b))
        out.data[3 * i] = r + d; out.data[3 * i + 1] = g + d; out.data[3 * i + 2] = b + d
    }
    return out
}
