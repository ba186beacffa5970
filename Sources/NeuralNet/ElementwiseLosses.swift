#if canImport(Glibc)
import Glibc
#endif

/// Per-sample elementwise losses (accumulated and returned in Double) with optional masks, as SAEHD uses them
/// (docs/saehd-model.md §3.4).
/// A mask has one channel and broadcasts over the image channels; gradients are *added* into `gradient`.
public enum ElementwiseLoss {
    /// weight · mean_{h,w,c} (m·t − m·p)² per sample; adds weight · ∂/∂p.
    public static func meanSquaredError(target t: Tensor, prediction p: Tensor, mask: Tensor? = nil,
                                        weight: Float = 1, gradient: Tensor? = nil) -> [Double] {
        reduce(t, p, mask, weight, gradient) { d in (d * d, 2 * d) }
    }

    /// weight · mean_{h,w,c} |m·t − m·p| per sample; adds weight · ∂/∂p (zero where equal).
    public static func meanAbsoluteError(target t: Tensor, prediction p: Tensor, mask: Tensor? = nil,
                                         weight: Float = 1, gradient: Tensor? = nil) -> [Double] {
        reduce(t, p, mask, weight, gradient) { d in (abs(d), d > 0 ? 1 : (d < 0 ? -1 : 0)) }
    }

    /// Shared loop: `f(d)` with d = m·p − m·t returns (value, ∂value/∂d).
    @inline(__always)
    private static func reduce(_ t: Tensor, _ p: Tensor, _ mask: Tensor?, _ weight: Float, _ gradient: Tensor?,
                               _ f: (Float) -> (Float, Float)) -> [Double] {
        precondition(t.shape == p.shape)
        let n = t.shape[0], per = t.count / max(1, n), ch = t.shape.count == 4 ? t.shape[3] : 1
        if let mask { precondition(mask.count == n * per / ch, "mask must be one channel of the image") }
        let scale = weight / Float(per)
        var out = [Double](repeating: 0, count: n)
        for s in 0..<n {
            var sum: Double = 0
            let tp = t.data + s * per, pp = p.data + s * per
            let gp = gradient.map { $0.data + s * per }
            let mp = mask.map { $0.data + s * per / ch }
            for i in 0..<per {
                let m: Float = mp.map { $0[i / ch] } ?? 1
                let (v, dv) = f(m * pp[i] - m * tp[i])
                sum += Double(v)
                if let gp { gp[i] += scale * dv * m }
            }
            out[s] = sum * Double(weight) / Double(per)
        }
        return out
    }
}

/// The discriminator losses of SAEHD's GAN and true-face terms (docs/dfl-model-folder.md §5).
public enum DiscriminatorLoss {
    /// DFL's `DLoss(label, x)` per sample: weight · mean_{h,w,c} of TF's sigmoid_cross_entropy_with_logits,
    /// `max(x, 0) − x·label + log(1 + e^−|x|)`; adds weight · ∂/∂x = weight · (σ(x) − label) / n into `gradient`.
    public static func sigmoidCrossEntropy(logits x: Tensor, label: Float, weight: Float = 1, gradient: Tensor? = nil) -> [Double] {
        let n = x.shape[0], per = x.count / max(1, n)
        if let gradient { precondition(gradient.count == x.count) }
        let scale = weight / Float(per)
        var out = [Double](repeating: 0, count: n)
        for s in 0..<n {
            let xp = x.data + s * per
            let gp = gradient.map { $0.data + s * per }
            var sum: Double = 0
            for i in 0..<per {
                let v = Double(xp[i])
                sum += max(v, 0) - v * Double(label) + log1p(exp(-abs(v)))
                if let gp {
                    let sigmoid = 1 / (1 + expf(-xp[i]))
                    gp[i] += scale * (sigmoid - label)
                }
            }
            out[s] = sum * Double(weight) / Double(per)
        }
        return out
    }

    /// weight · total variation per sample, `Σ (y[h+1,w] − y[h,w])² + Σ (y[h,w+1] − y[h,w])²` over all channels
    /// (the form of SAEHD's GAN term, docs/dfl-model-folder.md §5); adds weight · ∂/∂y into `gradient`.
    /// `y` is NHWC.
    public static func squaredTotalVariation(_ y: Tensor, weight: Float, gradient: Tensor? = nil) -> [Double] {
        precondition(y.shape.count == 4)
        let (n, h, w, c) = (y.shape[0], y.shape[1], y.shape[2], y.shape[3])
        let per = h * w * c
        var out = [Double](repeating: 0, count: n)
        for s in 0..<n {
            let p = y.data + s * per
            let g = gradient.map { $0.data + s * per }
            var sum: Double = 0
            for row in 0..<h {
                for col in 0..<w {
                    for ch in 0..<c {
                        let i = (row * w + col) * c + ch
                        if row + 1 < h {
                            let d = p[i + w * c] - p[i]
                            sum += Double(d * d)
                            if let g { g[i + w * c] += 2 * weight * d; g[i] -= 2 * weight * d }
                        }
                        if col + 1 < w {
                            let d = p[i + c] - p[i]
                            sum += Double(d * d)
                            if let g { g[i + c] += 2 * weight * d; g[i] -= 2 * weight * d }
                        }
                    }
                }
            }
            out[s] = sum * Double(weight)
        }
        return out
    }
}
