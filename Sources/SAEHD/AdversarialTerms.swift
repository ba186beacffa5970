import NeuralNet

/// One discriminator as the model files see it: its network name (DFL's file, `GAN` or
/// `code_discriminator`), its parameters and optimizer, and the options that shape it (a save made with
/// other values is not loaded into it: DFL re-initialises the discriminator then).
public struct DiscriminatorNetwork {
    public let network: String
    public let parameters: [Parameter]
    public let optimizer: Optimizer
    /// `gan_patch_size` and `gan_dims` for the GAN discriminator; empty for the code discriminator.
    public let shapeOptions: [String: Int]
}

/// GAN power and true-face power (docs/dfl-model-folder.md §1, §5, §6): the two discriminators,
/// their optimizers, the terms they add to the generator's src loss, and their own steps.
final class AdversarialTerms {
    let ganPower: Float
    let trueFacePower: Float
    let masked: Bool
    let patch: UNetPatchDiscriminator?
    let code: CodeDiscriminator?
    let networks: [DiscriminatorNetwork]
    let softMask: SoftDilatedMask

    private var maskedPrediction: Tensor?
    private var maskedTarget: Tensor?
    private var antiMask: Tensor?
    private var blurredMask: Tensor?
    private var blurScratch: Tensor?
    private var dCenter: Tensor?
    private var dFull: Tensor?
    private var dLogits: Tensor?

    /// The discriminators `options` turns on (nil when neither is: nothing is built or computed).
    /// Their weights come from their own stream of `seed`, so the generator's initial weights do not
    /// depend on them; their optimizers are `kind` with the generator's `settings` (DFL: same class, lr,
    /// lr dropout and clipnorm) and their own lr-dropout masks.
    init?(config: ModelConfig, options: LossOptions, seed: UInt64, kind: Optimizer.Kind, settings: Optimizer.Settings,
          workspace: Workspace) {
        let wantsCode = options.trueFacePower > 0 && config.archi == .df
        guard options.ganPower > 0 || wantsCode else { return nil }
        ganPower = options.ganPower
        trueFacePower = wantsCode ? options.trueFacePower : 0
        masked = options.maskedTraining
        softMask = SoftDilatedMask(resolution: config.resolution)
        var list: [DiscriminatorNetwork] = []
        if options.ganPower > 0 {
            var rng = SeededRNG(seed: seed ^ 0x4741_4E5F_4430_0001)
            let patchSize = options.ganPatchSize(resolution: config.resolution)
            let d = UNetPatchDiscriminator(name: "GAN", inChannels: config.channels, patchSize: patchSize,
                                           baseChannels: options.ganDims, workspace: workspace, rng: &rng)
            var s = settings
            s.seed = settings.seed ^ 0x4741_4E5F_4F50_5431
            list.append(DiscriminatorNetwork(network: "GAN", parameters: d.parameters,
                                             optimizer: Optimizer(kind: kind, parameters: d.parameters, settings: s),
                                             shapeOptions: ["gan_patch_size": patchSize, "gan_dims": options.ganDims]))
            patch = d
        } else {
            patch = nil
        }
        if wantsCode {
            var rng = SeededRNG(seed: seed ^ 0x434F_4445_5F44_0001)
            let codeResolution = config.deep ? config.lowest : 2 * config.lowest
            let d = CodeDiscriminator(name: "code_discriminator", inChannels: config.aeDims, codeResolution: codeResolution,
                                      workspace: workspace, rng: &rng)
            var s = settings
            s.seed = settings.seed ^ 0x434F_4445_5F4F_5054
            list.append(DiscriminatorNetwork(network: "code_discriminator", parameters: d.parameters,
                                             optimizer: Optimizer(kind: kind, parameters: d.parameters, settings: s),
                                             shapeOptions: [:]))
            code = d
        } else {
            code = nil
        }
        networks = list
    }

    /// The extra generator terms for the src half (docs/dfl-model-folder.md §5), per sample, by name (`gan`, `tv`, `antimask`,
    /// `true_face`), with their gradients added into `dPrediction` (dL/d pred_src_src). `mask` is m_blur of
    /// the src target mask (nil without masked training). Returns the code gradient of the true-face term
    /// (a pooled tensor the caller adds to dL/d src_code and gives back), or nil.
    func addGeneratorTerms(prediction: Tensor, target: Tensor, mask: Tensor?, dPrediction: Tensor, srcCode: Tensor,
                           into terms: inout [String: [Double]]) -> Tensor? {
        if let patch {
            let p = masked ? product(prediction, mask!, into: &maskedPrediction) : prediction
            patch.needsInputGradient = true
            patch.needsWeightGradient = false
            let (center, full) = patch.forward(p)
            let dc = Tensor.reuse(dCenter, shape: center.shape); dCenter = dc; dc.zero()
            let df = Tensor.reuse(dFull, shape: full.shape); dFull = df; df.zero()
            let a = DiscriminatorLoss.sigmoidCrossEntropy(logits: center, label: 1, weight: ganPower, gradient: dc)
            let b = DiscriminatorLoss.sigmoidCrossEntropy(logits: full, label: 1, weight: ganPower, gradient: df)
            terms["gan"] = zip(a, b).map { $0 + $1 }
            let dp = patch.backward(center: dc, full: df)
            addProduct(dp, masked ? mask : nil, into: dPrediction)
            GradientPool.give(dp)
            if let mask {
                terms["tv"] = DiscriminatorLoss.squaredTotalVariation(prediction, weight: 1e-6, gradient: dPrediction)
                let anti = Tensor.reuse(antiMask, shape: mask.shape); antiMask = anti
                for i in 0..<mask.count { anti.data[i] = 1 - mask.data[i] }
                terms["antimask"] = ElementwiseLoss.meanSquaredError(target: target, prediction: prediction, mask: anti,
                                                                     weight: 0.02, gradient: dPrediction)
            }
        }
        guard let code else { return nil }
        code.needsInputGradient = true
        code.needsWeightGradient = false
        let logits = code.forward(srcCode)
        let dl = Tensor.reuse(dLogits, shape: logits.shape); dLogits = dl; dl.zero()
        terms["true_face"] = DiscriminatorLoss.sigmoidCrossEntropy(logits: logits, label: 1, weight: trueFacePower, gradient: dl)
        return code.backward(dl)
    }

    /// The discriminators' gradients for one step (docs/dfl-model-folder.md §5–6) from the generator's outputs after its update:
    /// the per-sample losses of the true-face (`code`) and GAN (`patch`) discriminators, whichever is on.
    func discriminatorGradients(prediction: Tensor?, target: Tensor, targetMask: Tensor, srcCode: Tensor?,
                                dstCode: Tensor?) -> (trueFace: [Double]?, gan: [Double]?) {
        var result: (trueFace: [Double]?, gan: [Double]?) = (nil, nil)
        if let code, let srcCode, let dstCode {
            code.needsInputGradient = false
            code.needsWeightGradient = true
            var total = [Double](repeating: 0, count: srcCode.shape[0])
            for (c, label) in [(dstCode, Float(1)), (srcCode, Float(0))] {
                let logits = code.forward(c)
                let dl = Tensor.reuse(dLogits, shape: logits.shape); dLogits = dl; dl.zero()
                let v = DiscriminatorLoss.sigmoidCrossEntropy(logits: logits, label: label, weight: 0.5, gradient: dl)
                for i in total.indices { total[i] += v[i] }
                GradientPool.give(code.backward(dl))
            }
            result.trueFace = total
        }
        if let patch, let prediction {
            patch.needsInputGradient = false
            patch.needsWeightGradient = true
            // D(T) and D(P) one after the other at the batch size of the generator step's D pass, so the
            // discriminator's buffers stay that size (one pass over [T; P] measured no faster and held
            // about 150 MB more on liae-ud-96 b8).
            var p = prediction, t = target
            if masked {
                let m = Tensor.reuse(blurredMask, shape: targetMask.shape); blurredMask = m
                let s = Tensor.reuse(blurScratch, shape: targetMask.shape); blurScratch = s
                softMask.apply(targetMask, into: m, scratch: s)
                p = product(prediction, m, into: &maskedPrediction)
                t = product(target, m, into: &maskedTarget)
            }
            var total = [Double](repeating: 0, count: p.shape[0])
            for (x, label) in [(t, Float(1)), (p, Float(0))] {
                let (center, full) = patch.forward(x)
                let dc = Tensor.reuse(dCenter, shape: center.shape); dCenter = dc; dc.zero()
                let df = Tensor.reuse(dFull, shape: full.shape); dFull = df; df.zero()
                let a = DiscriminatorLoss.sigmoidCrossEntropy(logits: center, label: label, weight: 0.5, gradient: dc)
                let b = DiscriminatorLoss.sigmoidCrossEntropy(logits: full, label: label, weight: 0.5, gradient: df)
                for i in total.indices { total[i] += a[i] + b[i] }
                GradientPool.give(patch.backward(center: dc, full: df))
            }
            result.gan = total
        }
        return result
    }

    /// Updates each discriminator from its accumulated gradients.
    func step() { for n in networks { n.optimizer.step() } }

    /// `x · m` with a one-channel `m` broadcast over x's channels, into a reused buffer.
    private func product(_ x: Tensor, _ m: Tensor, into store: inout Tensor?) -> Tensor {
        let out = Tensor.reuse(store, shape: x.shape); store = out
        multiply(x, m, into: out)
        return out
    }

    /// `out = x · m` with a one-channel `m` broadcast over x's channels.
    private func multiply(_ x: Tensor, _ m: Tensor, into out: Tensor) {
        precondition(out.count == x.count && m.count * x.shape[3] == x.count)
        let ch = x.shape[3], xs = x.data, ms = m.data, os = out.data
        parallelRanges(m.count, costPerItem: ch) { r in
            for j in r { for c in 0..<ch { os[j * ch + c] = xs[j * ch + c] * ms[j] } }
        }
    }

    /// `sum += g · m` (m one channel, broadcast; nil = 1).
    private func addProduct(_ g: Tensor, _ m: Tensor?, into sum: Tensor) {
        let ch = g.shape[3]
        if let m {
            let gs = g.data, ms = m.data, ss = sum.data
            parallelRanges(m.count, costPerItem: ch) { r in
                for j in r { for c in 0..<ch { ss[j * ch + c] += gs[j * ch + c] * ms[j] } }
            }
        } else {
            add(g, into: sum)
        }
    }
}
