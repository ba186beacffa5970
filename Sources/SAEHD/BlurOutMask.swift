import NeuralNet

/// DFL's `blur_out_mask` (docs/saehd-model.md §3.2): each target image outside its mask is replaced by a normalised blur of
/// what lies outside, so the background the loss sees carries no sharp mask edge. With σ = r/128:
/// `x = blur(t·(1−m))`, `y = 1 − blur(m)` (y == 0 → 1), `t' = t·m + (x/y)·(1−m)`. Targets are constants.
final class BlurOutMask {
    let blur: GaussianBlur
    private var outside: Tensor?
    private var blurredOutside: Tensor?
    private var blurredMask: Tensor?
    private var scratch: Tensor?

    /// The operation at model resolution `resolution`.
    init(resolution: Int) {
        blur = GaussianBlur(sigma: Float(resolution) / 128)
    }

    /// Writes the blurred-out `target` (N×H×W×C) for `mask` (N×H×W×1) into `out` (same shape as `target`).
    func apply(target t: Tensor, mask m: Tensor, into out: Tensor) {
        precondition(t.shape.count == 4 && m.shape == Array(t.shape.dropLast()) + [1] && out.shape == t.shape)
        let ch = t.shape[3], pixels = m.count
        let a = Tensor.reuse(outside, shape: t.shape); outside = a
        let x = Tensor.reuse(blurredOutside, shape: t.shape); blurredOutside = x
        let bm = Tensor.reuse(blurredMask, shape: m.shape); blurredMask = bm
        let s = Tensor.reuse(scratch, shape: t.shape); scratch = s
        for i in 0..<t.count { a.data[i] = t.data[i] * (1 - m.data[i / ch]) }
        blur.apply(a, into: x, scratch: s.data)
        blur.apply(m, into: bm, scratch: s.data)
        for p in 0..<pixels {
            let mv = m.data[p]
            var y = 1 - bm.data[p]
            if y == 0 { y = 1 }
            for c in 0..<ch {
                let i = p * ch + c
                out.data[i] = t.data[i] * mv + (x.data[i] / y) * (1 - mv)
            }
        }
    }
}
