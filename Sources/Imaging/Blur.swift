// Gaussian blur with cv2.GaussianBlur's semantics on float images.
import Foundation

/// The 1-D Gaussian kernel cv2.getGaussianKernel gives for float images: `size` taps (odd, > 0); a
/// `sigma` ≤ 0 becomes 0.3·((size − 1)/2 − 1) + 0.8, and sizes up to 9 with sigma ≤ 0 use OpenCV's
/// fixed binomial-like tables. Normalised to sum 1.
public func gaussianKernel(size: Int, sigma: Double) -> [Float] {
    precondition(size > 0 && size % 2 == 1, "Gaussian kernel size must be odd and positive")
    let fixed: [Int: [Double]] = [
        1: [1],
        3: [0.25, 0.5, 0.25],
        5: [0.0625, 0.25, 0.375, 0.25, 0.0625],
        7: [0.03125, 0.109375, 0.21875, 0.28125, 0.21875, 0.109375, 0.03125],
        9: [0.015625, 0.05078125, 0.1171875, 0.19921875, 0.234375, 0.19921875, 0.1171875, 0.05078125, 0.015625],
    ]
    let table = sigma <= 0 ? fixed[size] : nil
    let s = sigma > 0 ? sigma : ((Double(size) - 1) * 0.5 - 1) * 0.3 + 0.8
    let scale2 = -0.5 / (s * s)
    var k = [Float](repeating: 0, count: size)
    var sum = 0.0
    for i in 0..<size {
        let x = Double(i) - Double(size - 1) * 0.5
        k[i] = Float(table?[i] ?? exp(scale2 * x * x))
        sum += Double(k[i])
    }
    let inv = 1 / sum
    for i in 0..<size { k[i] = Float(Double(k[i]) * inv) }
    return k
}

/// Index `p` reflected into 0..<n without repeating the edge sample (BORDER_REFLECT_101: −1 → 1, n → n − 2).
@inline(__always) func reflect101(_ p: Int, _ n: Int) -> Int {
    if n == 1 { return 0 }
    var p = p
    while p < 0 || p >= n {
        if p < 0 { p = -p }
        if p >= n { p = 2 * n - 2 - p }
    }
    return p
}

extension FloatImage {
    /// cv2.GaussianBlur(img, (k, k), sigma) with the default BORDER_REFLECT_101. `kernelSize` 0 derives the
    /// size from sigma as OpenCV does for float images (round(8·sigma + 1), made odd); `sigma` 0 derives
    /// sigma from the size. Separable: rows, then columns, float accumulation.
    public func gaussianBlurred(kernelSize: Int = 0, sigma: Double = 0) -> FloatImage {
        precondition(kernelSize > 0 || sigma > 0, "give a kernel size or a sigma")
        var size = kernelSize
        if size <= 0 { size = Int((sigma * 8 + 1).rounded(.toNearestOrEven)) | 1 }
        if size == 1 || width == 0 || height == 0 { return self }
        let k = gaussianKernel(size: size, sigma: sigma)
        let r = size / 2, cn = channels, w = width, h = height
        var tmp = [Float](repeating: 0, count: data.count)
        var out = [Float](repeating: 0, count: data.count)
        // Column offsets of each tap per output x, reflected at the borders.
        var xIndex = [Int](repeating: 0, count: w * size)
        for x in 0..<w { for j in 0..<size { xIndex[x * size + j] = reflect101(x + j - r, w) * cn } }
        data.withUnsafeBufferPointer { src in
        tmp.withUnsafeMutableBufferPointer { t in
        out.withUnsafeMutableBufferPointer { o in
        xIndex.withUnsafeBufferPointer { xi in
        k.withUnsafeBufferPointer { kw in
            let s = src.baseAddress!, tp = SharedPointer(t.baseAddress!), op = SharedPointer(o.baseAddress!)
            forEachRowRange(h, rowCost: w * cn * size) { rows in
                for y in rows {
                    let row = s + y * w * cn, d = tp.base + y * w * cn
                    for x in 0..<w {
                        for c in 0..<cn {
                            var acc: Float = 0
                            for j in 0..<size { acc += row[xi[x * size + j] + c] * kw[j] }
                            d[x * cn + c] = acc
                        }
                    }
                }
            }
            forEachRowRange(h, rowCost: w * cn * size) { rows in
                var rowPtr = [UnsafeMutablePointer<Float>](repeating: tp.base, count: size)
                for y in rows {
                    for j in 0..<size { rowPtr[j] = tp.base + reflect101(y + j - r, h) * w * cn }
                    let d = op.base + y * w * cn
                    for i in 0..<(w * cn) {
                        var acc: Float = 0
                        for j in 0..<size { acc += rowPtr[j][i] * kw[j] }
                        d[i] = acc
                    }
                }
            }
        }
        }
        }
        }
        }
        return FloatImage(width: w, height: h, channels: cn, data: out)
    }
}
