// mkl: the Monge–Kantorovich linear colour transfer (Pitié & Kokaram 2007), the closed-form optimal linear
// map between two Gaussians.
import Imaging

/// `A' = (A − μA)·T + μB` with T = Ua·Da⁻¹·Uc·Dc·Ucᵀ·Da⁻¹·Uaᵀ, where Ca = Ua·Da²·Uaᵀ and
/// C = Da·Uaᵀ·Cb·Ua·Da = Uc·Dc²·Ucᵀ (eigenvalues clipped below at machine ε); clipped to [0, 1].
/// 3-channel images only.
public func mongeKantorovichColorTransfer(_ image: FloatImage, toward reference: FloatImage) -> FloatImage {
    let c = image.channels
    precondition(c == 3 && reference.channels == 3, "mkl needs 3-channel images")
    let eps = 2.220446049250313e-16
    let a = PixelStatistics(image), b = PixelStatistics(reference)
    let ea = SymmetricEigen(symmetric: a.covariance, n: c)
    let da = ea.values.map { max($0, eps).squareRoot() }
    let ua = ea.vectors
    let daM = SmallMatrix.diagonal(da)
    let inner = SmallMatrix.multiply(SmallMatrix.multiply(daM, SmallMatrix.transpose(ua, n: c), n: c),
                                     SmallMatrix.multiply(b.covariance, SmallMatrix.multiply(ua, daM, n: c), n: c),
                                     n: c)
    let sym = (0..<(c * c)).map { 0.5 * (inner[$0] + inner[($0 % c) * c + $0 / c]) }
    let ec = SymmetricEigen(symmetric: sym, n: c)
    let dcMid = ec.reconstruct { max($0, eps).squareRoot() }   // Uc·Dc·Ucᵀ
    let daInv = SmallMatrix.diagonal(da.map { 1 / $0 })
    let left = SmallMatrix.multiply(ua, daInv, n: c)
    let t = SmallMatrix.multiply(SmallMatrix.multiply(left, dcMid, n: c), SmallMatrix.transpose(left, n: c), n: c)
    let data = applyAffineColorMap(image.data, channels: c, sourceMean: a.mean, matrix: t,
                                   targetMean: b.mean, clipTo: 0...1)
    return FloatImage(width: image.width, height: image.height, channels: c, data: data)
}
