// Umeyama (1991) least-squares similarity estimation in 2-D, as DFL's `core/mathlib/umeyama.py`
// computes it (docs/dfl-faceset.md §3.3).

/// The similarity (rotation, uniform scale, translation) that best maps `source` onto `destination` in
/// the least-squares sense, with reflections excluded as Umeyama prescribes. Returns nil when the point
/// sets differ in length, are empty, or the covariance has rank 0 (DFL returns all-NaN then).
public func umeyama(source: [Point2D], destination: [Point2D]) -> Affine2D? {
    let n = source.count
    guard n > 0, destination.count == n else { return nil }
    let count = Double(n)
    var meanS = Point2D(0, 0), meanD = Point2D(0, 0)
    for i in 0..<n { meanS += source[i]; meanD += destination[i] }
    meanS = meanS / count
    meanD = meanD / count

    // A = (1/n)·Σ (d−μd)(s−μs)ᵀ, and the summed population variance of the source columns.
    var a = Matrix2x2(0, 0, 0, 0)
    var varianceS = 0.0
    for i in 0..<n {
        let s = source[i] - meanS, d = destination[i] - meanD
        a.a += d.x * s.x; a.b += d.x * s.y
        a.c += d.y * s.x; a.d += d.y * s.y
        varianceS += s.x * s.x + s.y * s.y
    }
    a = Matrix2x2(a.a / count, a.b / count, a.c / count, a.d / count)
    varianceS /= count

    var sign = (1.0, 1.0)
    if a.determinant < 0 { sign.1 = -1 }

    let svd = SVD2x2(a)
    let (s0, s1) = svd.singularValues
    // numpy's matrix_rank: singular values above max(S)·max(M, N)·eps.
    let tolerance = s0 * 2 * Double.ulpOfOne
    let rank = (s0 > tolerance ? 1 : 0) + (s1 > tolerance ? 1 : 0)
    guard rank > 0 else { return nil }

    let rotation: Matrix2x2
    if rank == 1 {
        rotation = svd.u.determinant * svd.vt.determinant > 0
            ? svd.u * svd.vt
            : svd.u * .diagonal(1, -1) * svd.vt
    } else {
        rotation = svd.u * .diagonal(sign.0, sign.1) * svd.vt
    }
    guard varianceS > 0 else { return nil }
    let scale = (s0 * sign.0 + s1 * sign.1) / varianceS
    let t = meanD - Point2D(scale * (rotation.a * meanS.x + rotation.b * meanS.y),
                            scale * (rotation.c * meanS.x + rotation.d * meanS.y))
    return Affine2D(scale * rotation.a, scale * rotation.b, t.x, scale * rotation.c, scale * rotation.d, t.y)
}
