import Foundation
import Imaging
@testable import ColorTransfer
import TestSupport

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
