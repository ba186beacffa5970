// sot: sliced optimal transport. Project both pixel clouds on random directions, pair the sorted
// projections, move the image's pixels along each direction by the difference, and average; the change is
// then smoothed with a bilateral filter so neighbouring pixels move alike.
import Imaging

/// 10 steps × 5 random unit directions (averaged per step), then `A' = A + bilateral(A' − A,
/// σcolour 5, σspace 16)` when `regularize`; clipped to [0, 1]. Sorted projections are paired one to one,
/// so a reference with another pixel count is first resampled (nearest) to the image's size (DFL requires
/// equal sizes). For one channel this is exact histogram (sorted-value) matching, done in one pass.
public func slicedOptimalTransfer(_ image: FloatImage, toward reference: FloatImage, seed: UInt64,
                                  steps: Int = 10, directionsPerStep: Int = 5,
                                  regularize: Bool = true) -> FloatImage {
    let c = image.channels
    precondition(reference.channels == c, "channel mismatch")
    let n = image.width * image.height
    let ref = reference.width * reference.height == n ? reference : resizeNearestForSOT(reference, image)
    var rng = SeededGenerator(seed: seed)
    var current = planes(image.data, channels: c)
    let target = planes(ref.data, channels: c)
    if c == 1 {
        // Every direction is ±1 and one step already pairs the sorted values exactly; later steps move
        // nothing, so one sorted-value matching gives the same result without 100 sorts.
        let src = sortedOrder(current[0]), dst = sortedOrder(target[0])
        for r in 0..<n { current[0][src[r].index] = dst[r].value }
    } else {
        var projSource = [Double](repeating: 0, count: n), projTarget = projSource
        var advect = [[Double]](repeating: [Double](repeating: 0, count: n), count: c)
        for _ in 0..<steps {
            for k in 0..<c { for i in 0..<n { advect[k][i] = 0 } }
            for _ in 0..<directionsPerStep {
                var dir = (0..<c).map { _ in rng.normal() }
                let norm = dir.reduce(0) { $0 + $1 * $1 }.squareRoot()
                dir = dir.map { $0 / max(norm, 1e-12) }
                for i in 0..<n {
                    var s = 0.0, t = 0.0
                    for k in 0..<c { s += current[k][i] * dir[k]; t += target[k][i] * dir[k] }
                    projSource[i] = s; projTarget[i] = t
                }
                let src = sortedOrder(projSource), dst = sortedOrder(projTarget)
                for r in 0..<n {
                    let a = dst[r].value - src[r].value
                    for k in 0..<c { advect[k][src[r].index] += a * dir[k] }
                }
            }
            let inv = 1 / Double(directionsPerStep)
            for k in 0..<c { for i in 0..<n { current[k][i] += advect[k][i] * inv } }
        }
    }
    var diff = [Float](repeating: 0, count: n * c)
    for i in 0..<n { for k in 0..<c { diff[i * c + k] = Float(current[k][i]) - image.data[i * c + k] } }
    if regularize {
        diff = bilateralFilter(FloatImage(width: image.width, height: image.height, channels: c, data: diff),
                               sigmaColor: 5, sigmaSpace: 16).data
    }
    var out = image.data
    for i in 0..<out.count { out[i] = min(max(out[i] + diff[i], 0), 1) }
    return FloatImage(width: image.width, height: image.height, channels: c, data: out)
}

/// Values with their positions, sorted by value (numpy's argsort paired with the sorted values).
private func sortedOrder(_ values: [Double]) -> [(value: Double, index: Int)] {
    var pairs = [(value: Double, index: Int)]()
    pairs.reserveCapacity(values.count)
    for (i, v) in values.enumerated() { pairs.append((v, i)) }
    pairs.sort { $0.value < $1.value || ($0.value == $1.value && $0.index < $1.index) }
    return pairs
}

/// Nearest-neighbour resample of `reference` to the size of `like` (sot pairs pixels one to one).
private func resizeNearestForSOT(_ reference: FloatImage, _ like: FloatImage) -> FloatImage {
    let c = reference.channels
    var out = FloatImage(width: like.width, height: like.height, channels: c)
    for y in 0..<like.height {
        let sy = min(reference.height - 1, y * reference.height / max(like.height, 1))
        for x in 0..<like.width {
            let sx = min(reference.width - 1, x * reference.width / max(like.width, 1))
            for k in 0..<c { out.data[(y * like.width + x) * c + k] = reference.data[(sy * reference.width + sx) * c + k] }
        }
    }
    return out
}
