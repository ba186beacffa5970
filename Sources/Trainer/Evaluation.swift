// Objective reconstruction quality: masked luma SSIM (11×11 Gaussian window, σ 1.5, as Wang et al. and
// skimage's gaussian_weights) and PSNR, both averaged over the pixels inside the face mask.
import Foundation
import Imaging
import SAEHD
import Samples

/// Quality of one reconstruction.
public struct ReconstructionQuality: Sendable, Equatable {
    /// Mean SSIM of the luma over the window centres inside the mask.
    public var ssim: Double
    /// PSNR in dB of all channels over the pixels inside the mask (∞ for identical images).
    public var psnr: Double
}

public enum Quality {
    /// BT.601 luma of a [0, 1] image (the image itself when it has one channel).
    public static func luma(_ image: FloatImage) -> [Float] { image.toGray().data }

    /// Masked SSIM and PSNR of `prediction` against `reference` (same size and channels, values in [0, 1]);
    /// `mask` (1 channel, same size) selects the pixels with value ≥ 0.5. Window centres closer than 5 px to
    /// the border are left out (valid windows only).
    public static func measure(reference: FloatImage, prediction: FloatImage, mask: FloatImage) -> ReconstructionQuality {
        precondition(reference.width == prediction.width && reference.height == prediction.height
                     && reference.channels == prediction.channels, "images differ in size")
        precondition(mask.width == reference.width && mask.height == reference.height && mask.channels == 1, "mask size")
        let w = reference.width, h = reference.height, c = reference.channels
        // PSNR inside the mask.
        var sq: Double = 0
        var n = 0
        for p in 0..<(w * h) where mask.data[p] >= 0.5 {
            for k in 0..<c {
                let d = Double(reference.data[p * c + k] - prediction.data[p * c + k])
                sq += d * d
            }
            n += c
        }
        let mse = n > 0 ? sq / Double(n) : 0
        let psnr = mse > 0 ? 10 * log10(1 / mse) : .infinity

        // SSIM map over valid 11×11 windows.
        let a = luma(reference).map(Double.init), b = luma(prediction).map(Double.init)
        let k = 11, half = 5, sigma = 1.5
        var g = (0..<k).map { exp(-Double(($0 - half) * ($0 - half)) / (2 * sigma * sigma)) }
        let s = g.reduce(0, +)
        g = g.map { $0 / s }
        let c1 = 0.01 * 0.01, c2 = 0.03 * 0.03
        var total: Double = 0
        var count = 0
        if w >= k && h >= k {
            for y in half..<(h - half) {
                for x in half..<(w - half) where mask.data[y * w + x] >= 0.5 {
                    var ma = 0.0, mb = 0.0, saa = 0.0, sbb = 0.0, sab = 0.0
                    for dy in 0..<k {
                        let row = (y + dy - half) * w
                        for dx in 0..<k {
                            let wt = g[dy] * g[dx], i = row + x + dx - half
                            let va = a[i], vb = b[i]
                            ma += wt * va; mb += wt * vb
                            saa += wt * va * va; sbb += wt * vb * vb; sab += wt * va * vb
                        }
                    }
                    let va = saa - ma * ma, vb = sbb - mb * mb, cov = sab - ma * mb
                    total += ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2))
                    count += 1
                }
            }
        }
        return ReconstructionQuality(ssim: count > 0 ? total / Double(count) : .nan, psnr: psnr)
    }
}

/// Reconstructions of a set of faces and their quality: what `dfl-train --reconstruct` prints and what
/// quality.csv records during training (one code path, so the two agree exactly on the same weights).
public struct ReconstructionResult {
    public var predictions: [FloatImage]
    /// One per face, in the faceset's order.
    public var qualities: [ReconstructionQuality]
    /// The mean of the per-face SSIM and PSNR.
    public var mean: ReconstructionQuality

    /// Reconstructs every face of `faces` through `path` with `predictor` and measures each inside its mask.
    public init(predictor: Predictor, faces: FaceStore, path: PredictionPath) {
        let c = predictor.model.config.channels
        let inputs = faces.faces.map { $0.networkInput(channels: c) }
        let predicted = predictor.predict(inputs, path: path)
        let measured = (0..<inputs.count).map {
            Quality.measure(reference: inputs[$0], prediction: predicted[$0], mask: faces.faces[$0].maskFloat)
        }
        var ssim = 0.0, psnr = 0.0
        for q in measured { ssim += q.ssim; psnr += q.psnr }
        let n = Double(max(1, measured.count))
        predictions = predicted
        qualities = measured
        mean = ReconstructionQuality(ssim: ssim / n, psnr: psnr / n)
    }
}
