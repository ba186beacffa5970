import Foundation

/// DFL's `style_loss` (docs/saehd-model.md §3.4, face_style_power): both images are first blurred with
/// `GaussianBlur(σ)` (σ = 0: no blur), then per sample
/// `(Σ_c (μ1 − μ2)² + Σ_c (σ1 − σ2)²) · weight / C` over the spatial moments of each channel, with
/// σ = sqrt(var + 1e-5) (population variance). The style image is a constant: only the content gets a gradient.
public final class StyleLoss {
    public static let varianceEpsilon: Double = 1e-5
    /// The pre-blur (nil when σ = 0).
    public let blur: GaussianBlur?
    public let weight: Float
    private var blurredContent: Tensor?
    private var blurredStyle: Tensor?
    private var dBlurred: Tensor?
    private var dContent: Tensor?
    private var scratch: Tensor?

    /// A style loss with pre-blur `blurSigma` (DFL's `gaussian_blur_radius`) and `weight`.
    public init(blurSigma: Float, weight: Float) {
        blur = blurSigma > 0 ? GaussianBlur(sigma: blurSigma) : nil
        self.weight = weight
    }

    /// Per-sample losses of `content` against `style` (NHWC, same shape). When `gradient` is given, adds
    /// ∂loss[n]/∂content into it (for every sample n).
    public func evaluate(content: Tensor, style: Tensor, gradient: Tensor? = nil) -> [Double] {
        precondition(content.shape == style.shape && content.shape.count == 4)
        let (n, h, w, ch) = (content.shape[0], content.shape[1], content.shape[2], content.shape[3])
        var u = content, s = style
        if let blur {
            let sc = Tensor.reuse(scratch, shape: content.shape); scratch = sc
            let bc = Tensor.reuse(blurredContent, shape: content.shape); blurredContent = bc
            let bs = Tensor.reuse(blurredStyle, shape: content.shape); blurredStyle = bs
            blur.apply(content, into: bc, scratch: sc.data)
            blur.apply(style, into: bs, scratch: sc.data)
            u = bc; s = bs
        }
        let du = gradient.map { _ in
            let t = Tensor.reuse(dBlurred, shape: content.shape); dBlurred = t; return t
        }
        let pixels = h * w
        var out = [Double](repeating: 0, count: n)
        for b in 0..<n {
            let up = u.data + b * pixels * ch, sp = s.data + b * pixels * ch
            var total = 0.0
            for c in 0..<ch {
                let (mu1, sd1) = moments(up + c, count: pixels, stride: ch)
                let (mu2, sd2) = moments(sp + c, count: pixels, stride: ch)
                total += (mu1 - mu2) * (mu1 - mu2) + (sd1 - sd2) * (sd1 - sd2)
                if let du {
                    // d/du_i of (μ1−μ2)² + (σ1−σ2)²: [2(μ1−μ2) + 2(σ1−σ2)(u_i − μ1)/σ1] / N.
                    let scale = Double(weight) / Double(ch * pixels)
                    let a = 2 * (mu1 - mu2) * scale, k = 2 * (sd1 - sd2) / sd1 * scale
                    let dp = du.data + b * pixels * ch + c
                    for i in 0..<pixels { dp[i * ch] = Float(a + k * (Double(up[c + i * ch]) - mu1)) }
                }
            }
            out[b] = total * Double(weight) / Double(ch)
        }
        if let gradient, let du {
            var d = du
            if let blur {
                let sc = scratch!, dc = Tensor.reuse(dContent, shape: content.shape); dContent = dc
                blur.backward(du, into: dc, scratch: sc.data)
                d = dc
            }
            for i in 0..<gradient.count { gradient.data[i] += d.data[i] }
        }
        return out
    }

    /// Mean and sqrt(population variance + ε) of `count` floats `stride` apart, in Double.
    private func moments(_ p: UnsafePointer<Float>, count: Int, stride: Int) -> (Double, Double) {
        var sum = 0.0
        for i in 0..<count { sum += Double(p[i * stride]) }
        let mean = sum / Double(count)
        var sq = 0.0
        for i in 0..<count { let d = Double(p[i * stride]) - mean; sq += d * d }
        return (mean, (sq / Double(count) + StyleLoss.varianceEpsilon).squareRoot())
    }
}
