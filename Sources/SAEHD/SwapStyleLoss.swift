import NeuralNet

/// The src-side terms of SAEHD on the swap prediction pred_src_dst (docs/saehd-model.md §3.4), off by default:
/// - face_style_power fs: `style_loss(P·stopgrad(Pm), stopgrad(Pdd·Pddm), σ = r//8, weight 10000·fs/100)`,
///   P = pred_src_dst from a decoder pass whose code has its gradient stopped (only decoder weights learn it);
/// - bg_style_power bs: `10·bs/100 · (dssim_k + mse)` between P·(1−S) and T_dst·(1−S), S the src side's
///   blurred-and-doubled target mask (`clip(target_srcm_blur, 0, 1)`, as DFL's code ends up using).
/// The gradients with respect to P are returned separately because the face-style one must not reach the code.
final class SwapStyleLoss {
    let resolution: Int
    let faceStyle: StyleLoss?
    let backgroundWeight: Float
    let softMask: SoftDilatedMask
    let dssim: DSSIM
    /// ∂(face-style term)/∂P of the last evaluation (nil when fs = 0).
    private(set) var faceGradient: Tensor?
    /// ∂(background term)/∂P of the last evaluation (nil when bs = 0).
    private(set) var backgroundGradient: Tensor?
    private var content: Tensor?
    private var style: Tensor?
    private var dContent: Tensor?
    private var antiMask: Tensor?
    private var maskedPrediction: Tensor?
    private var maskedTarget: Tensor?
    private var dMasked: Tensor?
    private var scratch: Tensor?

    /// The terms at `resolution` for powers in 0...100 (nil when both are 0: nothing to compute).
    init?(resolution: Int, faceStylePower: Float, backgroundStylePower: Float) {
        guard faceStylePower > 0 || backgroundStylePower > 0 else { return nil }
        self.resolution = resolution
        faceStyle = faceStylePower > 0
            ? StyleLoss(blurSigma: Float(resolution / 8), weight: 10000 * faceStylePower / 100) : nil
        backgroundWeight = 10 * backgroundStylePower / 100
        softMask = SoftDilatedMask(resolution: resolution)
        dssim = DSSIM(filterSize: DSSIM.filterSize(resolution: resolution))
    }

    /// Per-sample values (to add to L_src); fills `faceGradient` / `backgroundGradient` (B×r×r×C).
    /// - Parameters: `swapImage`/`swapMask` = pred_src_dst and its mask, `dstImage`/`dstMask` = pred_dst_dst and
    ///   its mask, `targetDst` = the dst targets, `srcMask` = the src side's raw target mask (B×r×r×1).
    func evaluate(swapImage p: Tensor, swapMask pm: Tensor, dstImage pdd: Tensor, dstMask pddm: Tensor,
                  targetDst t: Tensor, srcMask m: Tensor) -> [Double] {
        let ch = p.shape[3]
        var total = [Double](repeating: 0, count: p.shape[0])
        if let faceStyle {
            let cn = Tensor.reuse(content, shape: p.shape); content = cn
            let st = Tensor.reuse(style, shape: p.shape); style = st
            let dc = Tensor.reuse(dContent, shape: p.shape); dContent = dc
            let g = Tensor.reuse(faceGradient, shape: p.shape); faceGradient = g
            for i in 0..<p.count {
                cn.data[i] = p.data[i] * pm.data[i / ch]
                st.data[i] = pdd.data[i] * pddm.data[i / ch]
            }
            dc.zero()
            let v = faceStyle.evaluate(content: cn, style: st, gradient: dc)
            for i in total.indices { total[i] += v[i] }
            for i in 0..<p.count { g.data[i] = dc.data[i] * pm.data[i / ch] }
        }
        if backgroundWeight > 0 {
            // 1 − m_blur (m_blur is already in [0, 1])
            let anti = Tensor.reuse(antiMask, shape: m.shape); antiMask = anti
            let s = Tensor.reuse(scratch, shape: m.shape); scratch = s
            softMask.apply(m, into: anti, scratch: s)
            for i in 0..<m.count { anti.data[i] = 1 - anti.data[i] }
            let pp = Tensor.reuse(maskedPrediction, shape: p.shape); maskedPrediction = pp
            let tt = Tensor.reuse(maskedTarget, shape: p.shape); maskedTarget = tt
            let dpp = Tensor.reuse(dMasked, shape: p.shape); dMasked = dpp
            let g = Tensor.reuse(backgroundGradient, shape: p.shape); backgroundGradient = g
            for i in 0..<p.count {
                let w = anti.data[i / ch]
                pp.data[i] = p.data[i] * w; tt.data[i] = t.data[i] * w
            }
            dpp.zero()
            let w = backgroundWeight
            let d = dssim.evaluate(target: tt, prediction: pp, gradientScale: w, gradient: dpp)
            let e = ElementwiseLoss.meanSquaredError(target: tt, prediction: pp, weight: w, gradient: dpp)
            for i in total.indices { total[i] += d[i] * Double(w) + e[i] }
            for i in 0..<p.count { g.data[i] = dpp.data[i] * anti.data[i / ch] }
        }
        return total
    }
}
