/// Per-sample elementwise losses (accumulated and returned in Double) with optional masks, as SAEHD uses them (spec §3.4).
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
