// CPBD sharpness (Narvekar & Karam's cumulative probability of blur detection) as DFL's
// `estimate_sharpness` computes it (docs/dfl-faceset.md §6.3): Canny edges pick 64×64 edge blocks,
// thinned Sobel edges give Marziliano edge widths, and each width becomes a blur probability against a
// just-noticeable-blur width that depends on the block's contrast. Higher means sharper.
import Foundation
import Imaging

public enum Sharpness {
    static let blockSize = 64
    /// A block is an edge block when more than this fraction of its pixels are Canny edges.
    static let edgeBlockFraction = 0.002
    static let beta = 3.6
    static let maxWidthScan = 100

    /// CPBD of a face: the luma of a colour face, or channel 0 of a 1-channel face.
    public static func cpbd(_ image: Image) -> Double {
        let gray = FacePixels.grayPlane(image)
        return cpbd(gray: gray.map(Double.init), width: image.width, height: image.height)
    }

    /// CPBD of a gray plane with values 0…255. Images smaller than one 64×64 block score 0.
    public static func cpbd(gray: [Double], width: Int, height: Int) -> Double {
        precondition(gray.count == width * height, "plane size does not match")
        guard width >= blockSize, height >= blockSize else { return 0 }
        let canny = Canny.edges(gray, width: width, height: height)
        let sobelEdges = thinnedSobelEdges(gray, width: width, height: height)
        let widths = edgeWidths(gray, edges: sobelEdges, width: width, height: height)
        return metric(gray, canny: canny, widths: widths, width: width, height: height)
    }

    /// Squared horizontal-gradient Sobel strength, thresholded at 2·√mean (a squared value against a
    /// root-mean threshold: the port's unit mismatch, kept because it defines the metric), then thinned
    /// to pixels stronger than both horizontal or both vertical neighbours (0 beyond the border).
    static func thinnedSobelEdges(_ p: [Double], width: Int, height: Int) -> [Bool] {
        @inline(__always) func reflect(_ i: Int, _ n: Int) -> Int { i < 0 ? -i - 1 : (i >= n ? 2 * n - i - 1 : i) }
        let n = width * height
        var s2 = [Double](repeating: 0, count: n)
        var sum = 0.0
        for r in 0..<height {
            let ru = reflect(r - 1, height), rd = reflect(r + 1, height)
            for c in 0..<width {
                let cl = reflect(c - 1, width), cr = reflect(c + 1, width)
                let right = p[ru * width + cr] + 2 * p[r * width + cr] + p[rd * width + cr]
                let left = p[ru * width + cl] + 2 * p[r * width + cl] + p[rd * width + cl]
                let g = (right - left) / 8
                s2[r * width + c] = g * g
                sum += g * g
            }
        }
        let threshold = 2 * (sum / Double(n)).squareRoot()
        for i in 0..<n where s2[i] <= threshold { s2[i] = 0 }
        var edges = [Bool](repeating: false, count: n)
        for r in 0..<height {
            for c in 0..<width {
                let v = s2[r * width + c]
                let left = c > 0 ? s2[r * width + c - 1] : 0
                let right = c < width - 1 ? s2[r * width + c + 1] : 0
                let up = r > 0 ? s2[(r - 1) * width + c] : 0
                let down = r < height - 1 ? s2[(r + 1) * width + c] : 0
                edges[r * width + c] = (v > left && v > right) || (v > up && v > down)
            }
        }
        return edges
    }

    /// Marziliano edge widths at the thinned edges, measured along the row for gradient angles that
    /// quantise to 0° or ±180° (other angles give no width, as in DFL's; docs/dfl-faceset.md §6.3).
    static func edgeWidths(_ p: [Double], edges: [Bool], width: Int, height: Int) -> [Int] {
        let n = width * height
        var quantised = [Double](repeating: 0, count: n)
        var anyAngle = false
        for r in 0..<height {
            for c in 0..<width {
                // numpy.gradient: central differences inside, one-sided at the borders.
                let gy: Double
                if r == 0 { gy = p[width + c] - p[c] }
                else if r == height - 1 { gy = p[r * width + c] - p[(r - 1) * width + c] }
                else { gy = (p[(r + 1) * width + c] - p[(r - 1) * width + c]) / 2 }
                let gx: Double
                if c == 0 { gx = p[r * width + 1] - p[r * width] }
                else if c == width - 1 { gx = p[r * width + c] - p[r * width + c - 1] }
                else { gx = (p[r * width + c + 1] - p[r * width + c - 1]) / 2 }
                // A zero horizontal gradient counts as angle 0, even for a vertical gradient.
                let angle = gx != 0 ? atan2(gy, gx) * (180 / Double.pi) : 0
                if angle != 0 { anyAngle = true }
                quantised[r * width + c] = 45 * (angle / 45).rounded(.toNearestOrEven)
            }
        }
        var widths = [Int](repeating: 0, count: n)
        guard anyAngle else { return widths }
        for r in 1..<(height - 1) {
            let row = r * width
            for c in 1..<(width - 1) where edges[row + c] {
                let q = quantised[row + c]
                let falling = q == 180 || q == -180
                guard falling || q == 0 else { continue }
                var left = 0
                for m in 0...maxWidthScan {
                    left = m
                    let outer = c - 2 - m, inner = c - 1 - m
                    if outer < 0 { break }
                    let d = p[row + outer] - p[row + inner]
                    if falling ? d <= 0 : d >= 0 { break }
                }
                var right = 0
                for m in 0...maxWidthScan {
                    right = m
                    let outer = c + 2 + m, inner = c + 1 + m
                    if outer >= width { break }
                    let d = p[row + outer] - p[row + inner]
                    if falling ? d >= 0 : d <= 0 { break }
                }
                widths[row + c] = (left + 1) + (right + 1)
            }
        }
        return widths
    }

    /// The share of edges (in edge blocks) whose blur probability is at most 0.63.
    static func metric(_ p: [Double], canny: [Bool], widths: [Int], width: Int, height: Int) -> Double {
        var histogram = [Int](repeating: 0, count: 101)
        var total = 0
        let threshold = Double(blockSize * blockSize) * edgeBlockFraction
        for by in 0..<(height / blockSize) {
            for bx in 0..<(width / blockSize) {
                var edgeCount = 0
                var lo = Double.infinity, hi = -Double.infinity
                for r in (by * blockSize)..<((by + 1) * blockSize) {
                    for c in (bx * blockSize)..<((bx + 1) * blockSize) {
                        let i = r * width + c
                        if canny[i] { edgeCount += 1 }
                        lo = min(lo, p[i]); hi = max(hi, p[i])
                    }
                }
                guard Double(edgeCount) > threshold else { continue }
                let contrast = Int(hi - lo)
                let jnb: Double = contrast <= 50 ? 5 : 3
                for r in (by * blockSize)..<((by + 1) * blockSize) {
                    for c in (bx * blockSize)..<((bx + 1) * blockSize) {
                        let w = widths[r * width + c]
                        guard w != 0 else { continue }
                        let probability = 1 - exp(-pow(Double(w) / jnb, beta))
                        histogram[Int((probability * 100).rounded(.toNearestOrEven))] += 1
                        total += 1
                    }
                }
            }
        }
        guard total > 0 else { return 0 }
        return Double(histogram[0..<64].reduce(0, +)) / Double(total)
    }
}
