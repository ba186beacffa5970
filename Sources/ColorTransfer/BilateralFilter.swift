// OpenCV's bilateralFilter for float images, as sot's regularisation uses it (d = 0).
import Foundation
import Imaging

/// Edge-preserving smoothing: each pixel becomes the average of a disc of radius round(1.5·σspace) around
/// it, weighted by exp(−r²/2σspace²)·exp(−Δ²/2σcolour²), where Δ is the L1 distance between the pixels'
/// values (summed over channels). As OpenCV, the colour weight comes from a 4096-bins-per-channel table
/// over the image's value range with linear interpolation; borders are mirrored without repeating the edge
/// (BORDER_REFLECT_101). Generic: should move to Imaging when more than colour transfer needs it.
public func bilateralFilter(_ image: FloatImage, sigmaColor: Double, sigmaSpace: Double) -> FloatImage {
    let w = image.width, h = image.height, c = image.channels
    guard w > 0, h > 0, let lo = image.data.min(), let hi = image.data.max() else { return image }
    if hi - lo < Float.ulpOfOne { return image }
    let radius = max(1, Int((sigmaSpace * 1.5).rounded(.toNearestOrEven)))
    let spaceCoeff = -0.5 / (sigmaSpace * sigmaSpace), colorCoeff = -0.5 / (sigmaColor * sigmaColor)

    // Reflect-101 padded copy, so the inner loop indexes without bounds logic.
    let pw = w + 2 * radius, ph = h + 2 * radius
    func reflect(_ i: Int, _ n: Int) -> Int {
        if n == 1 { return 0 }
        var j = i
        while j < 0 || j >= n { j = j < 0 ? -j : 2 * (n - 1) - j }
        return j
    }
    var padded = [Float](repeating: 0, count: pw * ph * c)
    for y in 0..<ph {
        let sy = reflect(y - radius, h)
        for x in 0..<pw {
            let sx = reflect(x - radius, w)
            for k in 0..<c { padded[(y * pw + x) * c + k] = image.data[(sy * w + sx) * c + k] }
        }
    }

    // Disc offsets (in padded samples) and spatial weights.
    var offsets = [Int](), spaceWeights = [Float]()
    for dy in -radius...radius {
        for dx in -radius...radius {
            let r2 = Double(dx * dx + dy * dy)
            if r2 > Double(radius * radius) { continue }
            offsets.append((dy * pw + dx) * c)
            spaceWeights.append(Float(exp(r2 * spaceCoeff)))
        }
    }

    // Colour-weight table indexed by Δ·scale.
    let binsPerChannel = 1 << 12
    let bins = binsPerChannel * c
    let range = Double(hi - lo) * Double(c)
    let scaleIndex = Float(Double(bins) / range)
    var lut = [Float](repeating: 0, count: bins + 2)
    for i in 0..<(bins + 2) {
        let v = Double(i) / Double(scaleIndex)
        lut[i] = Float(exp(v * v * colorCoeff))
    }

    var out = [Float](repeating: 0, count: image.data.count)
    padded.withUnsafeBufferPointer { src in
        lut.withUnsafeBufferPointer { table in
            offsets.withUnsafeBufferPointer { offs in
                spaceWeights.withUnsafeBufferPointer { sw in
                    out.withUnsafeMutableBufferPointer { dst in
                        let dstBase = dst.baseAddress!
                        DispatchQueue.concurrentPerform(iterations: h) { y in
                            if c == 1 {
                                // The common gray case without the per-channel loops.
                                for x in 0..<w {
                                    let centre = (y + radius) * pw + x + radius
                                    let v0 = src[centre]
                                    var acc: Float = 0, wsum: Float = 0
                                    for t in 0..<offs.count {
                                        let v = src[centre + offs[t]]
                                        let a = abs(v - v0) * scaleIndex
                                        let idx = min(Int(a), bins)
                                        let frac = a - Float(idx)
                                        let weight = sw[t] * (table[idx] + frac * (table[idx + 1] - table[idx]))
                                        wsum += weight
                                        acc += weight * v
                                    }
                                    dstBase[y * w + x] = acc / wsum
                                }
                                return
                            }
                            var acc = [Float](repeating: 0, count: c)
                            for x in 0..<w {
                                let centre = ((y + radius) * pw + x + radius) * c
                                for k in 0..<c { acc[k] = 0 }
                                var wsum: Float = 0
                                for t in 0..<offs.count {
                                    let p = centre + offs[t]
                                    var delta: Float = 0
                                    for k in 0..<c { delta += abs(src[p + k] - src[centre + k]) }
                                    let a = delta * scaleIndex
                                    let idx = min(Int(a), bins)
                                    let frac = a - Float(idx)
                                    let weight = sw[t] * (table[idx] + frac * (table[idx + 1] - table[idx]))
                                    wsum += weight
                                    for k in 0..<c { acc[k] += weight * src[p + k] }
                                }
                                let out = dstBase + (y * w + x) * c
                                for k in 0..<c { out[k] = acc[k] / wsum }
                            }
                        }
                    }
                }
            }
        }
    }
    return FloatImage(width: w, height: h, channels: c, data: out)
}
