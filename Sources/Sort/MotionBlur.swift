// DFL's `motion-blur` score: the population variance of OpenCV's 11-tap Laplacian (ksize = 11,
// float64 output, BORDER_REFLECT_101), taken over every sample of every colour channel.
import Imaging

public enum MotionBlur {
    /// OpenCV's 11-tap second-derivative and smoothing kernels (docs/dfl-faceset.md §6.2).
    static let derivative: [Double] = [1, 6, 13, 8, -14, -28, -14, 8, 13, 6, 1]
    static let smoothing: [Double] = [1, 10, 45, 120, 210, 252, 210, 120, 45, 10, 1]

    /// Variance of the Laplacian; larger means sharper. Alpha, if any, is ignored.
    public static func laplacianVariance(_ image: Image) -> Double {
        let w = image.width, h = image.height
        let channels = FacePixels.colourChannelCount(image)
        guard w > 0, h > 0 else { return 0 }
        var sum = 0.0, sumSquares = 0.0
        var plane = [Double](repeating: 0, count: w * h)
        let stride = image.channels
        for ch in 0..<channels {
            image.pixels.withUnsafeBufferPointer { px in
                for i in 0..<(w * h) { plane[i] = Double(px[i * stride + ch]) }
            }
            let lap = laplacian(plane, width: w, height: h)
            for v in lap { sum += v; sumSquares += v * v }
        }
        let count = Double(w * h * channels)
        let mean = sum / count
        return max(0, sumSquares / count - mean * mean)
    }

    /// d²/dx² + d²/dy², each as a separable filter (derivative along one axis, smoothing along the other).
    static func laplacian(_ p: [Double], width w: Int, height h: Int) -> [Double] {
        let radius = derivative.count / 2, taps = derivative.count
        var rowsD = [Double](repeating: 0, count: p.count)
        var rowsS = [Double](repeating: 0, count: p.count)
        var out = [Double](repeating: 0, count: p.count)
        // Horizontal pass on a row padded with its reflection, so the inner loop has no branches.
        var padded = [Double](repeating: 0, count: w + 2 * radius)
        derivative.withUnsafeBufferPointer { kd in
            smoothing.withUnsafeBufferPointer { ks in
                p.withUnsafeBufferPointer { src in
                    rowsD.withUnsafeMutableBufferPointer { dD in
                        rowsS.withUnsafeMutableBufferPointer { dS in
                            padded.withUnsafeMutableBufferPointer { row in
                                for r in 0..<h {
                                    for i in 0..<(w + 2 * radius) { row[i] = src[r * w + reflect101(i - radius, w)] }
                                    for c in 0..<w {
                                        var d = 0.0, s = 0.0
                                        for k in 0..<taps { d += kd[k] * row[c + k]; s += ks[k] * row[c + k] }
                                        dD[r * w + c] = d
                                        dS[r * w + c] = s
                                    }
                                }
                            }
                        }
                    }
                }
                // Vertical pass: smoothing over the row derivatives plus derivative over the row smoothing.
                rowsD.withUnsafeBufferPointer { sD in
                    rowsS.withUnsafeBufferPointer { sS in
                        out.withUnsafeMutableBufferPointer { dst in
                            for r in 0..<h {
                                let o = r * w
                                for k in 0..<taps {
                                    let rr = reflect101(r - radius + k, h) * w
                                    let a = ks[k], b = kd[k]
                                    for c in 0..<w { dst[o + c] += a * sD[rr + c] + b * sS[rr + c] }
                                }
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// BORDER_REFLECT_101 (gfedcb|abcdefgh|gfedcba), repeated for images narrower than the kernel.
    @inline(__always) static func reflect101(_ i: Int, _ n: Int) -> Int {
        if n == 1 { return 0 }
        var i = i
        while i < 0 || i >= n { i = i < 0 ? -i : 2 * n - 2 - i }
        return i
    }
}
