import NeuralNet

/// Which reconstruction a forward pass decodes (docs/saehd-model.md §1.5).
public enum PredictionPath: String, Sendable, CaseIterable {
    /// src face through the src path (src→src).
    case src
    /// dst face through the dst path (dst→dst).
    case dst
    /// dst face through the src path (dst→src): the swap, DFL's pred_src_dst.
    case swap
}

/// The middle of an SAEHD model, between the encoder and the decoder(s): encoder features → the decoder's
/// input codes, and the codes' gradient → the features' gradient. df and liae differ only here
/// (docs/saehd-model.md §1.3, §1.5).
protocol Coder: AnyObject {
    /// Parameters in DFL's order (df: inter; liae: inter_AB, inter_B).
    var parameters: [Parameter] { get }
    /// Which decoder of the model decodes `path` (df: 0 = decoder_src, 1 = decoder_dst; liae: always 0).
    func decoderIndex(for path: PredictionPath) -> Int
    /// Inference: the codes of `features` ([n, E]) for `path`, [n, lowest², C] NHWC.
    func codes(_ features: Tensor, path: PredictionPath) -> Tensor
}

/// df: one inter; the code is the same on every path, and the path picks the decoder.
final class DFCoder: Coder {
    let inter: Inter
    var parameters: [Parameter] { inter.parameters }

    init(_ c: ModelConfig, workspace ws: Workspace, rng: inout SeededRNG) {
        inter = Inter(c, name: "inter", workspace: ws, rng: &rng)
    }

    func decoderIndex(for path: PredictionPath) -> Int { path == .dst ? 1 : 0 }
    func codes(_ features: Tensor, path: PredictionPath) -> Tensor { inter.forward(features) }

    /// Training: the code of every sample, [2B, low, low, ae].
    func forward(_ features: Tensor) -> Tensor { inter.forward(features) }
    /// dObjective/dFeatures for the code gradient `dCode` (same shape as `forward`'s output).
    func backward(_ dCode: Tensor) -> Tensor { inter.backward(dCode) }
}

/// liae: inter_AB and inter_B and one decoder; the path picks the code, two inter outputs side by side
/// along channels: src and swap → [AB(x), AB(x)], dst → [B(x), AB(x)].
final class LIAECoder: Coder {
    let interAB: Inter
    let interB: Inter
    var parameters: [Parameter] { interAB.parameters + interB.parameters }

    // Buffers kept from step to step.
    private var code: Tensor?       // [2B or 3B, h, w, 2c]: the decoder input of a training pass
    private var dAB: Tensor?        // [2B, h, w, c]: inter_AB's output gradient
    private var dB: Tensor?         // [B, h, w, c]: inter_B's output gradient

    init(_ c: ModelConfig, workspace ws: Workspace, rng: inout SeededRNG) {
        interAB = Inter(c, name: "inter_AB", workspace: ws, rng: &rng)
        interB = Inter(c, name: "inter_B", workspace: ws, rng: &rng)
    }

    func decoderIndex(for path: PredictionPath) -> Int { 0 }

    func codes(_ features: Tensor, path: PredictionPath) -> Tensor {
        let ab = interAB.forward(features)
        let first = path == .dst ? interB.forward(features) : ab
        let (n, h, w, c) = (ab.shape[0], ab.shape[1], ab.shape[2], ab.shape[3])
        let z = Tensor(shape: [n, h, w, 2 * c])   // n × h × w × [first | AB]
        for p in 0..<(n * h * w) {
            (z.data + p * 2 * c).update(from: first.data + p * c, count: c)
            (z.data + p * 2 * c + c).update(from: ab.data + p * c, count: c)
        }
        return z
    }

    /// Training: from the features of [src; dst] (2B samples), the decoder input [src_code; dst_code] and,
    /// with `swap`, src_dst_code after them: src_code = [AB(src), AB(src)], dst_code = [B(dst), AB(dst)],
    /// src_dst_code = [AB(dst), AB(dst)].
    func forward(_ features: Tensor, b: Int, swap: Bool) -> Tensor {
        let ab = interAB.forward(features)                                    // [2B, h, w, c]
        let bOut = interB.forward(Tensor(viewOf: features, batch: b..<(2 * b)))  // [B, h, w, c]
        let (h, w, c) = (ab.shape[1], ab.shape[2], ab.shape[3])
        let z = Tensor.reuse(code, shape: [(swap ? 3 : 2) * b, h, w, 2 * c]); code = z
        let pixels = b * h * w
        for p in 0..<pixels {
            let src = ab.data + p * c, dst = z.data + p * 2 * c
            dst.update(from: src, count: c); (dst + c).update(from: src, count: c)
            let dz = z.data + (pixels + p) * 2 * c
            dz.update(from: bOut.data + p * c, count: c); (dz + c).update(from: ab.data + (pixels + p) * c, count: c)
            if swap {
                let ds = z.data + (2 * pixels + p) * 2 * c
                ds.update(from: ab.data + (pixels + p) * c, count: c); (ds + c).update(from: ab.data + (pixels + p) * c, count: c)
            }
        }
        return z
    }

    /// src_code = [AB(src), AB(src)] of the src `features` alone (B samples; no backward), in the training
    /// pass's buffer.
    func forwardSource(_ features: Tensor) -> Tensor {
        let ab = interAB.forward(features)                                    // [B, h, w, c]
        let (n, h, w, c) = (ab.shape[0], ab.shape[1], ab.shape[2], ab.shape[3])
        let z = Tensor.reuse(code, shape: [n, h, w, 2 * c]); code = z
        for p in 0..<(n * h * w) {
            let src = ab.data + p * c, dst = z.data + p * 2 * c
            dst.update(from: src, count: c); (dst + c).update(from: src, count: c)
        }
        return z
    }

    /// The features' gradient [2B, E] for the decoder input's gradient `dz` ([src; dst] or [src; dst; src_dst]
    /// codes); `swapCodeGradient`: whether the src_dst segment's gradient flows (into AB(dst), both halves).
    /// Takes ownership of `dz` (given back to the pool).
    func backward(_ dz: Tensor, b: Int, swapCodeGradient: Bool) -> Tensor {
        let (h, w, c2) = (dz.shape[1], dz.shape[2], dz.shape[3]), c = c2 / 2
        let dab = Tensor.reuse(dAB, shape: [2 * b, h, w, c]); dAB = dab
        let db = Tensor.reuse(dB, shape: [b, h, w, c]); dB = db
        let pixels = b * h * w
        for p in 0..<pixels {
            let s = dz.data + p * c2, d = dz.data + (pixels + p) * c2
            for j in 0..<c {
                dab.data[p * c + j] = s[j] + s[c + j]
                db.data[p * c + j] = d[j]
                dab.data[(pixels + p) * c + j] = d[c + j]
            }
            if swapCodeGradient {
                let x = dz.data + (2 * pixels + p) * c2
                for j in 0..<c { dab.data[(pixels + p) * c + j] += x[j] + x[c + j] }
            }
        }
        GradientPool.give(dz)
        let de = interAB.backward(dab)
        let deB = interB.backward(db)
        let off = de.count / 2
        for j in 0..<deB.count { de.data[off + j] += deB.data[j] }
        GradientPool.give(deB)
        return de
    }
}
