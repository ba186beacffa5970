import NeuralNet

/// Loss options of SAEHD that change the objective (docs/saehd-model.md §3.2–3.4). The defaults are DFL's.
public struct LossOptions: Sendable {
    /// Mask the image losses with the blurred-and-doubled target mask (DFL default true).
    public var maskedTraining = true
    /// Add 300 · mean |T·em − P·em| (DFL default false).
    public var eyesMouthPriority = false
    /// Replace each target outside its mask by a normalised blur before anything else (DFL default false).
    public var blurOutMask = false
    /// face_style_power in 0...100 (DFL default 0): style loss of the swap face against the dst face.
    public var faceStylePower: Float = 0
    /// bg_style_power in 0...100 (DFL default 0): DSSIM + MSE of the swap's background against the dst target.
    public var backgroundStylePower: Float = 0
    /// gan_power in 0...5 (DFL default 0): the UNet patch discriminator's term on the src→src prediction.
    public var ganPower: Float = 0
    /// gan_patch_size in 3...640; 0 means DFL's default, resolution / 8.
    public var ganPatchSize = 0
    /// gan_dims in 4...512 (DFL default 16): the discriminator's top-level channels.
    public var ganDims = 16
    /// true_face_power in 0...1 (DFL default 0; df only): the code discriminator's term on the src code.
    public var trueFacePower: Float = 0

    public init(maskedTraining: Bool = true, eyesMouthPriority: Bool = false, blurOutMask: Bool = false,
                faceStylePower: Float = 0, backgroundStylePower: Float = 0, ganPower: Float = 0, ganPatchSize: Int = 0,
                ganDims: Int = 16, trueFacePower: Float = 0) {
        self.maskedTraining = maskedTraining
        self.eyesMouthPriority = eyesMouthPriority
        self.blurOutMask = blurOutMask
        self.faceStylePower = faceStylePower
        self.backgroundStylePower = backgroundStylePower
        self.ganPower = ganPower
        self.ganPatchSize = ganPatchSize
        self.ganDims = ganDims
        self.trueFacePower = trueFacePower
    }

    /// The GAN patch size for a model of `resolution` (the default is resolution / 8).
    public func ganPatchSize(resolution: Int) -> Int { ganPatchSize > 0 ? ganPatchSize : resolution / 8 }

    /// Whether a step must evaluate the swap prediction pred_src_dst (either style power is on).
    public var needsSwapPrediction: Bool { faceStylePower > 0 || backgroundStylePower > 0 }
}

/// The per-sample SAEHD loss of one side (src or dst) with its gradients (docs/saehd-model.md §3.4):
/// r < 256: 10·dssim_k; else 5·dssim_k + 5·dssim_k2; + 10·mse on the masked images;
/// + 300·L1 on eyes/mouth (optional); + 10·mse of the mask head against the unblurred target mask.
final class SideLoss {
    let resolution: Int
    let options: LossOptions
    let softMask: SoftDilatedMask
    let dssims: [(DSSIM, Float)]
    /// m_blur of the last `evaluate` (masked training only): the GAN terms weight by it too.
    private(set) var blurredMask: Tensor?
    private var maskedTarget: Tensor?
    private var maskedPrediction: Tensor?
    private var dMasked: Tensor?
    private var scratch: Tensor?

    /// With a `workspace`, the DSSIMs keep their scratch there (one buffer for all of a model's DSSIMs).
    init(resolution: Int, options: LossOptions, workspace: Workspace? = nil) {
        self.resolution = resolution
        self.options = options
        softMask = SoftDilatedMask(resolution: resolution)
        if resolution < 256 {
            dssims = [(DSSIM(filterSize: DSSIM.filterSize(resolution: resolution), workspace: workspace), 10)]
        } else {
            dssims = [(DSSIM(filterSize: DSSIM.filterSize(resolution: resolution), workspace: workspace), 5),
                      (DSSIM(filterSize: DSSIM.filterSize(resolution: resolution, second: true), workspace: workspace), 5)]
        }
    }

    /// Per-sample losses; writes dL/dPrediction into `dImage` and dL/dPredictedMask into `dMask`.
    func evaluate(target t: Tensor, mask m: Tensor, eyesMouth em: Tensor, prediction p: Tensor, predictedMask pm: Tensor,
                  dImage: Tensor, dMask: Tensor) -> [Double] {
        let ch = t.shape[3]
        dImage.zero(); dMask.zero()
        var total = [Double](repeating: 0, count: t.shape[0])
        func add(_ v: [Double]) { for i in total.indices { total[i] += v[i] } }
        if options.maskedTraining {
            let mb = Tensor.reuse(blurredMask, shape: m.shape); blurredMask = mb
            let s = Tensor.reuse(scratch, shape: m.shape); scratch = s
            softMask.apply(m, into: mb, scratch: s)
            let tt = Tensor.reuse(maskedTarget, shape: t.shape); maskedTarget = tt
            let pp = Tensor.reuse(maskedPrediction, shape: t.shape); maskedPrediction = pp
            let dpp = Tensor.reuse(dMasked, shape: t.shape); dMasked = dpp
            for i in 0..<t.count {
                let w = mb.data[i / ch]
                tt.data[i] = t.data[i] * w; pp.data[i] = p.data[i] * w
            }
            dpp.zero()
            for (d, w) in dssims { add(d.evaluate(target: tt, prediction: pp, gradientScale: w, gradient: dpp).map { $0 * Double(w) }) }
            add(ElementwiseLoss.meanSquaredError(target: tt, prediction: pp, weight: 10, gradient: dpp))
            for i in 0..<t.count { dImage.data[i] = dpp.data[i] * mb.data[i / ch] }
        } else {
            for (d, w) in dssims { add(d.evaluate(target: t, prediction: p, gradientScale: w, gradient: dImage).map { $0 * Double(w) }) }
            add(ElementwiseLoss.meanSquaredError(target: t, prediction: p, weight: 10, gradient: dImage))
        }
        if options.eyesMouthPriority {
            add(ElementwiseLoss.meanAbsoluteError(target: t, prediction: p, mask: em, weight: 300, gradient: dImage))
        }
        add(ElementwiseLoss.meanSquaredError(target: m, prediction: pm, weight: 10, gradient: dMask))
        return total
    }
}

/// The m_blur of docs/saehd-model.md §3.2: clip(gaussian_blur(m, σ = max(1, r//32)), 0, 0.5) · 2, a soft dilation of the
/// target mask (what masked training weights by, and what background style power leaves out).
struct SoftDilatedMask {
    let blur: GaussianBlur

    init(resolution: Int) { blur = GaussianBlur(sigma: Float(max(1, resolution / 32))) }

    /// m_blur of `mask` into `out` (same shape); `scratch` is a buffer of that shape.
    func apply(_ mask: Tensor, into out: Tensor, scratch: Tensor) {
        blur.apply(mask, into: out, scratch: scratch.data)
        for i in 0..<out.count { out.data[i] = min(max(out.data[i], 0), 0.5) * 2 }
    }
}
