// The two OpenCV filters DFL's eye and mouth masks need, for 1-channel masks: dilation by an elliptic
// structuring element and a separable Gaussian blur (σ = 0 rule, BORDER_REFLECT_101). Kept here, small and
// mask-specific, so FaceAlign needs nothing beyond Imaging's buffer types.
import Foundation
import Imaging

/// OpenCV's `getStructuringElement(MORPH_ELLIPSE, (side, side))` rows as [start, end) column ranges;
/// the anchor is (side/2, side/2).
func ellipseRows(side: Int) -> [Range<Int>] {
    guard side > 0 else { return [] }
    let r = side / 2, c = side / 2
    let inverseR2 = r > 0 ? 1 / Double(r * r) : 0
    return (0..<side).map { i in
        let dy = i - r
        guard abs(dy) <= r else { return 0..<0 }
        let dx = Int((Double(c) * (Double(r * r - dy * dy) * inverseR2).squareRoot()).rounded(.toNearestOrEven))
        return max(c - dx, 0)..<min(c + dx + 1, side)
    }
}

/// Grey dilation of channel 0 by the ellipse (outside pixels ignored, as OpenCV's default border).
func dilateWithEllipse(_ image: FloatImage, side: Int) -> FloatImage {
    guard side > 1 else { return image }
    let rows = ellipseRows(side: side)
    let anchor = side / 2
    let w = image.width, h = image.height
    var out = FloatImage(width: w, height: h, channels: 1)
    image.data.withUnsafeBufferPointer { src in
        out.data.withUnsafeMutableBufferPointer { dst in
            for y in 0..<h {
                for x in 0..<w {
                    var best = -Float.infinity
                    for (i, cols) in rows.enumerated() where !cols.isEmpty {
                        let sy = y + i - anchor
                        guard sy >= 0, sy < h else { continue }
                        let lo = max(x + cols.lowerBound - anchor, 0), hi = min(x + cols.upperBound - anchor, w)
                        guard lo < hi else { continue }
                        for sx in lo..<hi { best = max(best, src[(sy * w + sx) * image.channels]) }
                    }
                    dst[y * w + x] = best
                }
            }
        }
    }
    return out
}

/// OpenCV's `getGaussianKernel(size, 0)`: the fixed small kernels for sizes 1–7, else the sampled
/// Gaussian with σ = 0.3·((size − 1)/2 − 1) + 0.8, normalised to sum 1.
func gaussianKernel(size: Int) -> [Double] {
    switch size {
    case 1: return [1]
    case 3: return [0.25, 0.5, 0.25]
    case 5: return [0.0625, 0.25, 0.375, 0.25, 0.0625]
    case 7: return [0.03125, 0.109375, 0.21875, 0.28125, 0.21875, 0.109375, 0.03125]
    default:
        let sigma = 0.3 * (Double(size - 1) / 2 - 1) + 0.8
        let c = Double(size - 1) / 2
        let k = (0..<size).map { exp(-(Double($0) - c) * (Double($0) - c) / (2 * sigma * sigma)) }
        let s = k.reduce(0, +)
        return k.map { $0 / s }
    }
}

/// Separable Gaussian blur of channel 0 with an odd `kernelSize`, mirrored border without repeating the
/// edge pixel (BORDER_REFLECT_101).
func gaussianBlur(_ image: FloatImage, kernelSize: Int) -> FloatImage {
    let kernel = gaussianKernel(size: kernelSize)
    let radius = kernelSize / 2
    let w = image.width, h = image.height
    func reflect(_ i: Int, _ n: Int) -> Int {
        guard n > 1 else { return 0 }
        var i = i
        while i < 0 || i >= n { i = i < 0 ? -i : 2 * (n - 1) - i }
        return i
    }
    var horizontal = [Double](repeating: 0, count: w * h)
    for y in 0..<h {
        for x in 0..<w {
            var s = 0.0
            for (j, k) in kernel.enumerated() {
                s += k * Double(image.data[(y * w + reflect(x + j - radius, w)) * image.channels])
            }
            horizontal[y * w + x] = s
        }
    }
    var out = FloatImage(width: w, height: h, channels: 1)
    for y in 0..<h {
        for x in 0..<w {
            var s = 0.0
            for (j, k) in kernel.enumerated() { s += k * horizontal[reflect(y + j - radius, h) * w + x] }
            out.data[y * w + x] = Float(s)
        }
    }
    return out
}
