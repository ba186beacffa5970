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
        let rowLen = w * cn
        data.withUnsafeBufferPointer { src in
        tmp.withUnsafeMutableBufferPointer { t in
        out.withUnsafeMutableBufferPointer { o in
        k.withUnsafeBufferPointer { kw in
            let s = src.baseAddress!, tp = SharedPointer(t.baseAddress!), op = SharedPointer(o.baseAddress!)
            // Rows: copy each row into a buffer padded by reflection, then a straight convolution.
            forEachRowRange(h, rowCost: rowLen * size) { rows in
                let pad = UnsafeMutablePointer<Float>.allocate(capacity: (w + 2 * r) * cn)
                defer { pad.deallocate() }
                for y in rows {
                    let row = s + y * rowLen
                    for px in 0..<(w + 2 * r) {
                        let sx = reflect101(px - r, w)
                        for c in 0..<cn { pad[px * cn + c] = row[sx * cn + c] }
                    }
                    let d = tp.base + y * rowLen
                    for i in 0..<rowLen {
                        var acc: Float = 0
                        for j in 0..<size { acc += pad[i + j * cn] * kw[j] }
                        d[i] = acc
                    }
                }
            }
            // Columns: accumulate whole rows, one tap at a time.
            forEachRowRange(h, rowCost: rowLen * size) { rows in
                for y in rows {
                    let d = op.base + y * rowLen
                    for j in 0..<size {
                        let sr = tp.base + reflect101(y + j - r, h) * rowLen, kj = kw[j]
                        if j == 0 { for i in 0..<rowLen { d[i] = sr[i] * kj } } else {
                            for i in 0..<rowLen { d[i] += sr[i] * kj }
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
