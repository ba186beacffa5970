// Canny edge detection with the behaviour of scikit-image 0.14's `feature.canny` defaults, which the CPBD
// sharpness estimate (docs/dfl-faceset.md §6.3) uses only to decide which 64×64 blocks hold edges:
// Gaussian σ = 1 with zero padding and border compensation, Sobel magnitude, interpolated non-maximum
// suppression (1-pixel border excluded), hysteresis with 8-connected components.
import Foundation

enum Canny {
    /// Edge map (`true` = edge) of a `width × height` float plane.
    static func edges(_ plane: [Double], width: Int, height: Int, sigma: Double = 1,
                      low: Double = 0.1, high: Double = 0.2) -> [Bool] {
        let n = width * height
        guard width >= 3, height >= 3 else { return [Bool](repeating: false, count: n) }
        // Smoothing with border compensation: blur(image) / blur(ones), zero outside the image.
        let smoothed = gaussianZeroPadded(plane, width: width, height: height, sigma: sigma)
        let bleed = gaussianZeroPadded([Double](repeating: 1, count: n), width: width, height: height, sigma: sigma)
        var smooth = [Double](repeating: 0, count: n)
        for i in 0..<n { smooth[i] = smoothed[i] / (bleed[i] + Double.ulpOfOne) }

        let (gy, gx) = sobel(smooth, width: width, height: height)
        var magnitude = [Double](repeating: 0, count: n)
        for i in 0..<n { magnitude[i] = (gy[i] * gy[i] + gx[i] * gx[i]).squareRoot() }

        var maxima = [Bool](repeating: false, count: n)
        for r in 1..<(height - 1) {
            for c in 1..<(width - 1) {
                let i = r * width + c
                let m = magnitude[i]
                guard m > 0 else { continue }
                maxima[i] = isLocalMaximum(r: r, c: c, gy: gy[i], gx: gx[i], m: m, mag: magnitude, width: width)
            }
        }
        return hysteresis(maxima: maxima, magnitude: magnitude, width: width, height: height, low: low, high: high)
    }

    /// Non-maximum suppression along the gradient, interpolating between the two neighbours that
    /// bracket its direction. The four direction sectors overlap on their boundaries; as in skimage the
    /// later sector's verdict wins, so they are tried from the last one.
    private static func isLocalMaximum(r: Int, c: Int, gy: Double, gx: Double, m: Double,
                                       mag: [Double], width: Int) -> Bool {
        let ay = abs(gy), ax = abs(gx)
        @inline(__always) func at(_ rr: Int, _ cc: Int) -> Double { mag[rr * width + cc] }
        @inline(__always) func test(_ w: Double, _ p1: Double, _ p2: Double, _ q1: Double, _ q2: Double) -> Bool {
            (p2 * w + p1 * (1 - w) <= m) && (q2 * w + q1 * (1 - w) <= m)
        }
        let sameSign = (gy >= 0 && gx >= 0) || (gy <= 0 && gx <= 0)
        let oppositeSign = (gy <= 0 && gx >= 0) || (gy >= 0 && gx <= 0)
        // 135–180°
        if oppositeSign && ay >= ax {
            return test(ax / ay, at(r - 1, c), at(r - 1, c + 1), at(r + 1, c), at(r + 1, c - 1))
        }
        // 90–135°
        if oppositeSign && ay <= ax {
            return test(ay / ax, at(r, c + 1), at(r - 1, c + 1), at(r, c - 1), at(r + 1, c - 1))
        }
        // 45–90°
        if sameSign && ay <= ax {
            return test(ay / ax, at(r, c + 1), at(r + 1, c + 1), at(r, c - 1), at(r - 1, c - 1))
        }
        // 0–45°
        if sameSign && ay >= ax {
            return test(ax / ay, at(r + 1, c), at(r + 1, c + 1), at(r - 1, c), at(r - 1, c - 1))
        }
        return false
    }

    /// Keeps the 8-connected components of `maxima ∧ magnitude ≥ low` that contain a pixel ≥ high.
    private static func hysteresis(maxima: [Bool], magnitude: [Double], width: Int, height: Int,
                                   low: Double, high: Double) -> [Bool] {
        let n = width * height
        var out = [Bool](repeating: false, count: n)
        var visited = [Bool](repeating: false, count: n)
        var stack: [Int] = []
        for seed in 0..<n where maxima[seed] && magnitude[seed] >= high && !visited[seed] {
            visited[seed] = true
            stack.append(seed)
            while let i = stack.popLast() {
                out[i] = true
                let r = i / width, c = i % width
                for dr in -1...1 {
                    let rr = r + dr
                    if rr < 0 || rr >= height { continue }
                    for dc in -1...1 {
                        let cc = c + dc
                        if cc < 0 || cc >= width { continue }
                        let j = rr * width + cc
                        if !visited[j] && maxima[j] && magnitude[j] >= low {
                            visited[j] = true
                            stack.append(j)
                        }
                    }
                }
            }
        }
        return out
    }

    /// scipy `gaussian_filter` with `mode='constant'` (zeros outside), truncate 4.0: along rows (axis 0)
    /// first, then columns, each tap pair summed as scipy sums symmetric kernels: w0·x0 + Σ wj·(x₋j + x₊j).
    static func gaussianZeroPadded(_ plane: [Double], width: Int, height: Int, sigma: Double) -> [Double] {
        let radius = Int(4 * sigma + 0.5)
        var kernel = (0...radius).map { exp(-0.5 * Double($0 * $0) / (sigma * sigma)) }
        let total = kernel[0] + 2 * kernel[1...].reduce(0, +)
        kernel = kernel.map { $0 / total }
        var tmp = [Double](repeating: 0, count: plane.count)
        var out = [Double](repeating: 0, count: plane.count)
        plane.withUnsafeBufferPointer { src in
            tmp.withUnsafeMutableBufferPointer { dst in
                for r in 0..<height {
                    let row = r * width
                    for c in 0..<width { dst[row + c] = kernel[0] * src[row + c] }
                    for j in 1...radius {
                        let w = kernel[j]
                        let up = r - j >= 0 ? (r - j) * width : -1, down = r + j < height ? (r + j) * width : -1
                        if up >= 0 && down >= 0 {
                            for c in 0..<width { dst[row + c] += w * (src[up + c] + src[down + c]) }
                        } else if up >= 0 {
                            for c in 0..<width { dst[row + c] += w * src[up + c] }
                        } else if down >= 0 {
                            for c in 0..<width { dst[row + c] += w * src[down + c] }
                        }
                    }
                }
            }
        }
        tmp.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for r in 0..<height {
                    let row = r * width
                    for c in 0..<width {
                        var s = kernel[0] * src[row + c]
                        if c >= radius && c + radius < width {
                            for j in 1...radius { s += kernel[j] * (src[row + c - j] + src[row + c + j]) }
                        } else {
                            for j in 1...radius {
                                let l = c - j >= 0 ? src[row + c - j] : 0, rr = c + j < width ? src[row + c + j] : 0
                                s += kernel[j] * (l + rr)
                            }
                        }
                        dst[row + c] = s
                    }
                }
            }
        }
        return out
    }

    /// scipy `ndimage.sobel` along both axes with `mode='reflect'` (half-sample symmetric border):
    /// returns (d/drow, d/dcol), each the [-1, 0, 1] difference smoothed by [1, 2, 1] across.
    static func sobel(_ p: [Double], width: Int, height: Int) -> (gy: [Double], gx: [Double]) {
        @inline(__always) func reflect(_ i: Int, _ n: Int) -> Int { i < 0 ? -i - 1 : (i >= n ? 2 * n - i - 1 : i) }
        var gy = [Double](repeating: 0, count: p.count)
        var gx = [Double](repeating: 0, count: p.count)
        for r in 0..<height {
            let ru = reflect(r - 1, height), rd = reflect(r + 1, height)
            for c in 0..<width {
                let cl = reflect(c - 1, width), cr = reflect(c + 1, width)
                let a = p[ru * width + cl], b = p[ru * width + c], cc = p[ru * width + cr]
                let d = p[r * width + cl], f = p[r * width + cr]
                let g = p[rd * width + cl], h = p[rd * width + c], k = p[rd * width + cr]
                gy[r * width + c] = (g + 2 * h + k) - (a + 2 * b + cc)
                gx[r * width + c] = (cc + 2 * f + k) - (a + 2 * d + g)
            }
        }
        return (gy, gx)
    }
}
