// rct: Reinhard et al. colour transfer — per-channel mean/std matching in L*a*b*.
import Imaging

/// Matches each Lab channel's mean and standard deviation of `image` to `reference`'s (3-channel RGB only),
/// clips L to 0…100 and a, b to ±127, and converts back to RGB in [0, 1].
public func reinhardColorTransfer(_ image: FloatImage, toward reference: FloatImage) -> FloatImage {
    precondition(image.channels == 3 && reference.channels == 3, "rct needs RGB images")
    var lab = LabConversion.toLab(image.data)
    let refLab = LabConversion.toLab(reference.data)
    let (muA, sdA) = PixelStatistics.standardDeviations(lab, channels: 3)
    let (muB, sdB) = PixelStatistics.standardDeviations(refLab, channels: 3)
    let limits: [ClosedRange<Double>] = [0...100, -127...127, -127...127]
    // A flat source channel has no spread to rescale: it is only shifted.
    let gain = (0..<3).map { sdA[$0] > 1e-6 ? sdB[$0] / sdA[$0] : 1 }
    for i in 0..<lab.count {
        let k = i % 3
        let v = (Double(lab[i]) - muA[k]) * gain[k] + muB[k]
        lab[i] = Float(min(max(v, limits[k].lowerBound), limits[k].upperBound))
    }
    return FloatImage(width: image.width, height: image.height, channels: 3, data: LabConversion.toRGB(lab))
}
