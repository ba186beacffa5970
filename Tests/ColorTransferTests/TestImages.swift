import Foundation
import Imaging
@testable import ColorTransfer

/// The formula `pattern` in tools/fixtures/samples/make_goldens.py (smooth + high-frequency parts).
func testPattern(width w: Int, height h: Int, channels c: Int, scale: Float = 1) -> FloatImage {
    var img = FloatImage(width: w, height: h, channels: c)
    for y in 0..<h { for x in 0..<w { for k in 0..<c {
        let v = 0.5 + 0.3 * sin(0.37 * Double(x) + 0.23 * Double(y) + 1.1 * Double(k))
            + 0.2 * cos(1.3 * Double(x * y) / Double(w + h) + 0.5 * Double(k))
        img[x, y, k] = Float(v) * scale
    } } }
    return img
}

/// An image whose pixels are drawn from a known distribution: channel k ~ mean[k] + Σ mix[k][j]·N(0,1)_j.
func gaussianImage(width: Int, height: Int, mean: [Double], mix: [[Double]], seed: UInt64) -> FloatImage {
    let c = mean.count
    var rng = SeededGenerator(seed: seed)
    var img = FloatImage(width: width, height: height, channels: c)
    for i in 0..<(width * height) {
        let z = (0..<c).map { _ in rng.normal() }
        for k in 0..<c {
            var v = mean[k]
            for j in 0..<c { v += mix[k][j] * z[j] }
            img.data[i * c + k] = Float(v)
        }
    }
    return img
}

func stats(_ img: FloatImage) -> PixelStatistics { PixelStatistics(img) }
