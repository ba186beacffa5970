import NeuralNet

#if canImport(Glibc)
import Glibc
#endif

/// XSeg's training loss (docs/xseg.md, "Loss"): per sample, the mean over H, W, C of TF's
/// `sigmoid_cross_entropy_with_logits`, `max(z, 0) − z·t + log(1 + e^−|z|)`, computed from the logits.
public enum XSegLoss {
    /// The per-sample losses (their mean is the loss DFL logs) and the gradient of their **sum** with respect
    /// to the logits, `(sigmoid(z) − t) / (H·W·C)`, which is what DFL's step differentiates.
    ///
    /// Shapes: logits and target (N, H, W, C) → losses [N], gradient (N, H, W, C).
    public static func sigmoidCrossEntropy(logits: Tensor, target: Tensor) -> (losses: [Double], gradient: Tensor) {
        precondition(logits.shape == target.shape, "logits \(logits.shape) and target \(target.shape) differ")
        let n = logits.shape[0], per = logits.count / max(1, n)
        let gradient = Tensor(shape: logits.shape)
        var losses = [Double](repeating: 0, count: n)
        let z = logits.data, t = target.data, g = gradient.data
        let scale = 1 / Float(per)
        for b in 0..<n {
            var sum: Double = 0
            for i in (b * per)..<((b + 1) * per) {
                let zi = z[i], ti = t[i]
                sum += Double(max(zi, 0) - zi * ti) + Double(log1pf(expf(-abs(zi))))
                g[i] = (1 / (1 + expf(-zi)) - ti) * scale
            }
            losses[b] = sum / Double(per)
        }
        return (losses, gradient)
    }
}
