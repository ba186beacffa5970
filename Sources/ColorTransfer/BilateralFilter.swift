// OpenCV's bilateralFilter for float images, as sot's regularisation uses it (d = 0).
import Foundation
import Imaging

/// Edge-preserving smoothing: each pixel becomes the average of a disc of radius round(1.5·σspace) around
/// it, weighted by exp(−r²/2σspace²)·exp(−Δ²/2σcolour²), where Δ is the L1 distance between the pixels'
/// values (summed over channels). Borders are mirrored without repeating the edge (BORDER_REFLECT_101).
/// Should move to Imaging when more than colour transfer needs it.
public func bilateralFilter(_ image: FloatImage, sigmaColor: Double, sigmaSpace: Double) -> FloatImage {
    let w = image.width, h = image.height, c = image.channels
    guard w > 0, h > 0 else { return image }
    let radius = max(1, Int((sigmaSpace * 1.5).rounded()))
    let spaceCoeff = -0.5 / (sigmaSpace * sigmaSpace), colorCoeff = Float(-0.5 / (sigmaColor * sigmaColor))
    var offsets = [(dx: Int, dy: Int, w: Float)]()
    for dy in -radius...radius {
        for dx in -radius...radius {
            let r2 = Double(dx * dx + dy * dy)
            if r2 > Double(radius * radius) { continue }
            offsets.append((dx, dy, Float(exp(r2 * spaceCoeff))))
        }
    }
    @inline(__always) func reflect(_ i: Int, _ n: Int) -> Int {
        if n == 1 { return 0 }
        var j = i
        while j < 0 || j >= n { j = j < 0 ? -j : 2 * (n - 1) - j }
        return j
    }
    var out = [Float](repeating: 0, count: image.data.count)
    image.data.withUnsafeBufferPointer { src in
        out.withUnsafeMutableBufferPointer { dst in
            let dstBase = dst.baseAddress!
            DispatchQueue.concurrentPerform(iterations: h) { y in
                var acc = [Float](repeating: 0, count: c)
                for x in 0..<w {
                    let centre = (y * w + x) * c
                    for k in 0..<c { acc[k] = 0 }
                    var wsum: Float = 0
                    for o in offsets {
                        let p = (reflect(y + o.dy, h) * w + reflect(x + o.dx, w)) * c
                        var delta: Float = 0
                        for k in 0..<c { delta += abs(src[p + k] - src[centre + k]) }
                        let weight = o.w * exp(delta * delta * colorCoeff)
                        wsum += weight
                        for k in 0..<c { acc[k] += weight * src[p + k] }
                    }
                    for k in 0..<c { dstBase[centre + k] = acc[k] / wsum }
                }
            }
        }
    }
    return FloatImage(width: w, height: h, channels: c, data: out)
}
