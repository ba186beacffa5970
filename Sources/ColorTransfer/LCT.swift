// lct: linear colour transfer, PCA mode — match mean and covariance with symmetric matrix square roots.
import Imaging

/// `A' = Qs·Qt⁻¹·(A − μA) + μB` with Qt = sqrtm(cov(A) + εI), Qs = sqrtm(cov(B) + εI), ε = 1e-5; clipped to
/// [0, 1]. For one channel this is mean/std matching.
public func linearColorTransfer(_ image: FloatImage, toward reference: FloatImage) -> FloatImage {
    let c = image.channels
    precondition(reference.channels == c, "channel mismatch")
    let eps = 1e-5
    var a = PixelStatistics(image), b = PixelStatistics(reference)
    for k in 0..<c { a.covariance[k * c + k] += eps; b.covariance[k * c + k] += eps }
    let ea = SymmetricEigen(symmetric: a.covariance, n: c)
    let eb = SymmetricEigen(symmetric: b.covariance, n: c)
    let qtInv = ea.reconstruct { 1 / max($0, 1e-12).squareRoot() }
    let qs = eb.reconstruct { max($0, 0).squareRoot() }
    // Column-vector map T = Qs·Qt⁻¹; on row vectors x·Tᵀ.
    let t = SmallMatrix.multiply(qs, qtInv, n: c)
    let data = applyAffineColorMap(image.data, channels: c, sourceMean: a.mean,
                                   matrix: SmallMatrix.transpose(t, n: c), targetMean: b.mean, clipTo: 0...1)
    return FloatImage(width: image.width, height: image.height, channels: c, data: data)
}
