// DFL's `motion-blur` score: the population variance of OpenCV's 11-tap Laplacian (ksize = 11,
// float64 output, BORDER_REFLECT_101), taken over every sample of every colour channel.
import Imaging

public enum MotionBlur {
    /// OpenCV's 11-tap second-derivative and smoothing kernels (§6.2 of the faceset reference).
    static let derivative: [Double] = [1, 6, 13, 8, -14, -28, -14, 8, 13, 6, 1]
    static let smoothing: [Double] = [1, 10, 45, 120, 210, 252, 210, 120, 45, 10, 1]

    /// Variance of the Laplacian; larger means sharper. Alpha, if any, is ignored.
    public static func laplacianVariance(_ image: Image) -> Double {
        let w = image.width, h = image.height
        let channels = FacePixels.colourChannelCount(image)
        guard w > 0, h > 0 else { return 0 }
        var sum = 0.0, sumSquares = 0.0
        var plane = [Double](repeating: 0, count: w * h)
        for ch in 0..<channels {
            for i in 0..<(w * h) { plane[i] = Double(image.pixels[i * image.channels + ch]) }
            let lap = laplacian(plane, width: w, height: h)
            for v in lap { sum += v; sumSquares += v * v }
        }
        let count = Double(w * h * channels)
        let mean = sum / count
        return max(0, sumSquares / count - mean * mean)
    }

    /// d²/dx² + d²/dy², each as a separable filter (derivative along one axis, smoothing along the other).
    static func laplacian(_ p: [Double], width w: Int, height h: Int) -> [Double] {
        let rowsD = filterRows(p, width: w, height: h, kernel: derivative)
        let rowsS = filterRows(p, width: w, height: h, kernel: smoothing)
        let a = filterColumns(rowsD, width: w, height: h, kernel: smoothing)
        let b = filterColumns(rowsS, width: w, height: h, kernel: derivative)
        var out = a
        for i in 0..<out.count { out[i] += b[i] }
        return out
    }

    /// BORDER_REFLECT_101 (gfedcb|abcdefgh|gfedcba), repeated for images narrower than the kernel.
    @inline(__always) static func reflect101(_ i: Int, _ n: Int) -> Int {
        if n == 1 { return 0 }
        var i = i
        while i < 0 || i >= n { i = i < 0 ? -i : 2 * n - 2 - i }
        return i
    }

    static func filterRows(_ p: [Double], width w: Int, height h: Int, kernel: [Double]) -> [Double] {
        let radius = kernel.count / 2
        var out = [Double](repeating: 0, count: p.count)
        p.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for r in 0..<h {
                    let row = r * w
                    for c in 0..<w {
                        var s = 0.0
                        if c >= radius && c + radius < w {
                            for k in 0..<kernel.count { s += kernel[k] * src[row + c - radius + k] }
                        } else {
                            for k in 0..<kernel.count { s += kernel[k] * src[row + reflect101(c - radius + k, w)] }
                        }
                        dst[row + c] = s
                    }
                }
            }
        }
        return out
    }

    static func filterColumns(_ p: [Double], width w: Int, height h: Int, kernel: [Double]) -> [Double] {
        let radius = kernel.count / 2
        var out = [Double](repeating: 0, count: p.count)
        p.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for r in 0..<h {
                    for k in 0..<kernel.count {
                        let rr = reflect101(r - radius + k, h) * w
                        let weight = kernel[k]
                        for c in 0..<w { dst[r * w + c] += weight * src[rr + c] }
                    }
                }
            }
        }
        return out
    }
}
