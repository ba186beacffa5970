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

/// Grey dilation of channel 0 by the ellipse (outside pixels ignored, as OpenCV's default border), for
/// masks with values ≥ 0: each non-zero pixel stamps its value over the mirrored element, so the cost
/// follows the mask's area rather than the image's.
func dilateWithEllipse(_ image: FloatImage, side: Int) -> FloatImage {
    let w = image.width, h = image.height, channels = image.channels
    var out = FloatImage(width: w, height: h, channels: 1)
    let rows = side > 1 ? ellipseRows(side: side) : [0..<1]
    let anchor = side > 1 ? side / 2 : 0
    image.data.withUnsafeBufferPointer { src in
        out.data.withUnsafeMutableBufferPointer { dst in
            for sy in 0..<h {
                for sx in 0..<w {
                    let v = src[(sy * w + sx) * channels]
                    guard v > 0 else { continue }
                    // dst(x, y) takes src(x + j − a, y + i − a) for (i, j) in the element.
                    for (i, cols) in rows.enumerated() where !cols.isEmpty {
                        let y = sy - i + anchor
                        guard y >= 0, y < h else { continue }
                        let lo = max(sx - (cols.upperBound - 1) + anchor, 0)
                        let hi = min(sx - cols.lowerBound + anchor, w - 1)
                        guard lo <= hi else { continue }
                        for x in lo...hi where dst[y * w + x] < v { dst[y * w + x] = v }
                    }
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
    let w = image.width, h = image.height, channels = image.channels
    func reflect(_ i: Int, _ n: Int) -> Int {
        guard n > 1 else { return 0 }
        var i = i
        while i < 0 || i >= n { i = i < 0 ? -i : 2 * (n - 1) - i }
        return i
    }
    // Source offsets per output column / row, so the inner loops do no border arithmetic.
    let columnTaps = (0..<w).map { x in kernel.indices.map { reflect(x + $0 - radius, w) } }
    let rowTaps = (0..<h).map { y in kernel.indices.map { reflect(y + $0 - radius, h) } }
    var horizontal = [Double](repeating: 0, count: w * h)
    var out = FloatImage(width: w, height: h, channels: 1)
    kernel.withUnsafeBufferPointer { k in
        image.data.withUnsafeBufferPointer { src in
            horizontal.withUnsafeMutableBufferPointer { tmp in
                for y in 0..<h {
                    for x in 0..<w {
                        var s = 0.0
                        columnTaps[x].withUnsafeBufferPointer { taps in
                            for j in 0..<taps.count { s += k[j] * Double(src[(y * w + taps[j]) * channels]) }
                        }
                        tmp[y * w + x] = s
                    }
                }
            }
        }
        horizontal.withUnsafeBufferPointer { tmp in
            out.data.withUnsafeMutableBufferPointer { dst in
                for y in 0..<h {
                    rowTaps[y].withUnsafeBufferPointer { taps in
                        for x in 0..<w {
                            var s = 0.0
                            for j in 0..<taps.count { s += k[j] * tmp[taps[j] * w + x] }
                            dst[y * w + x] = Float(s)
                        }
                    }
                }
            }
        }
    }
    return out
}
