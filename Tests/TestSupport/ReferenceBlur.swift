// The Gaussian blur of docs/saehd-model.md §3.2, written straight from its rule in Double, as the
// independent reference the blur-using losses are checked against.
import Foundation

/// `values` (NHWC, `shape` = [n, h, w, c]) blurred with σ `sigma`: kernel size k = max(3, int(4σ)), +1 if
/// even, weights exp(−(i − k/2)²/(2σ²)) normalised, the 2-D outer-product kernel, zero padding of k/2.
public func referenceGaussianBlur(_ values: [Float], shape: [Int], sigma: Double) -> [Double] {
    precondition(shape.count == 4 && shape.reduce(1, *) == values.count, "NHWC shape of the values")
    let (n, h, w, ch) = (shape[0], shape[1], shape[2], shape[3])
    var k = max(3, Int(4 * sigma)); if k % 2 == 0 { k += 1 }
    let r = k / 2
    var g = (0..<k).map { exp(-Double(($0 - r) * ($0 - r)) / (2 * sigma * sigma)) }
    let s = g.reduce(0, +); g = g.map { $0 / s }
    var out = [Double](repeating: 0, count: values.count)
    for b in 0..<n { for y in 0..<h { for x in 0..<w { for c in 0..<ch {
        var v = 0.0
        for i in 0..<k { for j in 0..<k {
            let yy = y + i - r, xx = x + j - r
            if yy >= 0 && yy < h && xx >= 0 && xx < w { v += g[i] * g[j] * Double(values[((b * h + yy) * w + xx) * ch + c]) }
        }}
        out[((b * h + y) * w + x) * ch + c] = v
    }}}}
    return out
}
