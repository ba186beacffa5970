// Per-channel means and the channel covariance of an interleaved float image, accumulated in Double.
import Imaging

/// Mean vector and covariance matrix (row-major c×c) of the pixels of an image, one sample per pixel.
struct PixelStatistics {
    let channels: Int
    var mean: [Double]
    /// Covariance with the unbiased (N−1) normalisation, as numpy's `np.cov`.
    var covariance: [Double]

    init(_ data: [Float], channels c: Int) {
        channels = c
        let count = data.count / c
        var sum = [Double](repeating: 0, count: c)
        data.withUnsafeBufferPointer { p in
            for i in 0..<count { for k in 0..<c { sum[k] += Double(p[i * c + k]) } }
        }
        mean = sum.map { $0 / Double(max(count, 1)) }
        var cov = [Double](repeating: 0, count: c * c)
        let mu = mean
        data.withUnsafeBufferPointer { p in
            var d = [Double](repeating: 0, count: c)
            for i in 0..<count {
                for k in 0..<c { d[k] = Double(p[i * c + k]) - mu[k] }
                for a in 0..<c { for b in a..<c { cov[a * c + b] += d[a] * d[b] } }
            }
        }
        let norm = 1 / Double(max(count - 1, 1))
        for a in 0..<c { for b in a..<c { cov[a * c + b] *= norm; cov[b * c + a] = cov[a * c + b] } }
        covariance = cov
    }

    init(_ image: FloatImage) { self.init(image.data, channels: image.channels) }

    /// Standard deviations (population normalisation, as numpy's `std`).
    static func standardDeviations(_ data: [Float], channels c: Int) -> (mean: [Double], std: [Double]) {
        let count = Double(data.count / c)
        var sum = [Double](repeating: 0, count: c), sq = [Double](repeating: 0, count: c)
        for (i, v) in data.enumerated() { sum[i % c] += Double(v) }
        let mean = sum.map { $0 / count }
        for (i, v) in data.enumerated() { let d = Double(v) - mean[i % c]; sq[i % c] += d * d }
        return (mean, sq.map { ($0 / count).squareRoot() })
    }
}

/// Applies `out = (x − μA)·M + μB` per pixel, with M row-major c×c acting on the row vector x, then clips.
func applyAffineColorMap(_ data: [Float], channels c: Int, sourceMean: [Double], matrix m: [Double],
                         targetMean: [Double], clipTo range: ClosedRange<Float>?) -> [Float] {
    var out = [Float](repeating: 0, count: data.count)
    let count = data.count / c
    data.withUnsafeBufferPointer { src in
        out.withUnsafeMutableBufferPointer { dst in
            var d = [Double](repeating: 0, count: c)
            for i in 0..<count {
                for k in 0..<c { d[k] = Double(src[i * c + k]) - sourceMean[k] }
                for j in 0..<c {
                    var v = targetMean[j]
                    for k in 0..<c { v += d[k] * m[k * c + j] }
                    var f = Float(v)
                    if let r = range { f = min(max(f, r.lowerBound), r.upperBound) }
                    dst[i * c + j] = f
                }
            }
        }
    }
    return out
}
