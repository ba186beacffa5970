import NeuralNet

/// One training batch: src samples first, then dst samples, in tensors of 2·batch (NHWC, values in [0, 1]).
/// A data loader writes straight into these buffers (`src`/`dst` views give the halves).
public final class TrainingBatch {
    public let batch: Int
    /// Network inputs (warped faces), 2B × r × r × C.
    public let warped: Tensor
    /// Targets (unwarped faces), 2B × r × r × C.
    public let target: Tensor
    /// Full-face masks, 2B × r × r × 1.
    public let targetMask: Tensor
    /// Eyes+mouth masks, 2B × r × r × 1.
    public let targetEyesMouth: Tensor

    /// Zero-filled buffers for `batch` samples per side.
    public init(batch: Int, resolution r: Int, channels: Int) {
        self.batch = batch
        warped = Tensor(shape: [2 * batch, r, r, channels])
        target = Tensor(shape: [2 * batch, r, r, channels])
        targetMask = Tensor(shape: [2 * batch, r, r, 1])
        targetEyesMouth = Tensor(shape: [2 * batch, r, r, 1])
    }

    /// The src half (0) or dst half (1) of `t`.
    public func half(_ t: Tensor, _ side: Int) -> Tensor { Tensor(viewOf: t, batch: (side * batch)..<((side + 1) * batch)) }

    /// Fills every tensor with seeded uniform values (images) and 0/1 values (masks), for benchmarks and tests.
    public func fillRandom(seed: UInt64) {
        var rng = SeededRNG(seed: seed)
        for t in [warped, target] { for i in 0..<t.count { t.data[i] = rng.nextUnitFloat() } }
        for t in [targetMask, targetEyesMouth] { for i in 0..<t.count { t.data[i] = rng.nextUnitFloat() < 0.5 ? 0 : 1 } }
    }
}

/// Per-sample losses of one step (printed figures are their means).
public struct StepLosses: Sendable {
    /// The src loss as DeepFaceLab records it: the reconstruction terms and the style terms, without the
    /// GAN and true-face terms (those go into the generator's objective only, `generatorSrc`).
    public var src: [Double]
    public var dst: [Double]
    /// The GAN and true-face terms the generator step adds on the src side, by name (`gan`, `tv`,
    /// `antimask`, `true_face`).
    public var adversarialTerms: [String: [Double]] = [:]
    /// What the generator step minimises on the src side: `src` plus every adversarial term.
    public var generatorSrc: [Double] {
        var out = src
        for v in adversarialTerms.values { for i in out.indices { out[i] += v[i] } }
        return out
    }
    /// The GAN discriminator's and the true-face discriminator's own losses (`trainStep`, when on).
    public var ganDiscriminator: [Double]?
    public var trueFaceDiscriminator: [Double]?
    public init(src: [Double], dst: [Double]) { self.src = src; self.dst = dst }
    static func mean(_ v: [Double]) -> Double { v.reduce(0, +) / Double(max(1, v.count)) }
    public var ganDiscriminatorMean: Double? { ganDiscriminator.map(Self.mean) }
    public var trueFaceDiscriminatorMean: Double? { trueFaceDiscriminator.map(Self.mean) }
    public var srcMean: Double { src.reduce(0, +) / Double(max(1, src.count)) }
    public var dstMean: Double { dst.reduce(0, +) / Double(max(1, dst.count)) }
}

/// The SAEHD model (df or liae), its parameters and one training step (docs/saehd-model.md §1.5, §3.4, §4).
///
/// A step evaluates what the loss needs: the encoder on src and dst together (2B samples), the inter(s),
/// and the src→src and dst→dst decoder passes; the swap pass is computed only when a style power is on
/// (docs/saehd-model.md §1.5, §2).
public final class SAEHDModel {
    public let config: ModelConfig
    public let lossOptions: LossOptions
    public let workspace = Workspace()
    let encoder: Encoder
    /// df's or liae's middle part (features → codes); `dfCoder` / `liaeCoder` give the one this model has.
    let coder: Coder
    let decoders: [Decoder]      // df: [src, dst]; liae: [decoder]
    var dfCoder: DFCoder? { coder as? DFCoder }
    var liaeCoder: LIAECoder? { coder as? LIAECoder }
    let srcLoss: SideLoss
    let dstLoss: SideLoss
    /// The style terms on the swap prediction (nil unless a style power is on).
    let swapStyle: SwapStyleLoss?
    /// blur_out_mask (nil when off).
    let blurOutMask: BlurOutMask?
    /// GAN and true-face power (nil when both are off: no discriminator is built or run).
    let adversarial: AdversarialTerms?
    /// The true-face term's src-code gradient, added into the code gradient during the backward pass.
    private var pendingCodeGradient: Tensor?
    /// Every parameter, by network in DFL's order (encoder, inter / inter_AB, inter_B, decoders).
    public let parameters: [Parameter]
    public private(set) var optimizer: Optimizer

    // Buffers reused from step to step (B = batch per side, r = resolution, C = image channels).
    private var dCode: Tensor?             // df: [2B, low, low, ae] code gradient (both decoders' halves)
    private var dImage: Tensor?            // [2B, r, r, C] image loss gradient ([3B, …] for liae with a swap pass)
    private var dMask: Tensor?             // [2B, r, r, 1] mask loss gradient ([3B, …] likewise)
    private var dSwapImage: Tensor?        // df with a swap pass: [2B, r, r, C] decoder_src's [src; swap] gradient
    private var dSwapMask: Tensor?         // df with a swap pass: [2B, r, r, 1]
    private var blurredOutTarget: Tensor?  // blur_out_mask: [2B, r, r, C] targets blurred outside their masks
    /// Predictions of the last training pass (2B: src→src then dst→dst).
    public private(set) var predictedImage: Tensor?
    public private(set) var predictedMask: Tensor?

    /// Builds the networks with Glorot-uniform weights from `seed`.
    public init(config: ModelConfig, seed: UInt64 = 0, lossOptions: LossOptions = LossOptions(),
                optimizer kind: Optimizer.Kind = .adabelief, settings: Optimizer.Settings = Optimizer.Settings()) {
        self.config = config
        self.lossOptions = lossOptions
        var rng = SeededRNG(seed: seed)
        encoder = Encoder(config, workspace: workspace, rng: &rng)
        if config.archi == .df {
            coder = DFCoder(config, workspace: workspace, rng: &rng)
            decoders = [Decoder(config, name: "decoder_src", workspace: workspace, rng: &rng),
                        Decoder(config, name: "decoder_dst", workspace: workspace, rng: &rng)]
        } else {
            coder = LIAECoder(config, workspace: workspace, rng: &rng)
            decoders = [Decoder(config, name: "decoder", workspace: workspace, rng: &rng)]
        }
        srcLoss = SideLoss(resolution: config.resolution, options: lossOptions, workspace: workspace)
        dstLoss = SideLoss(resolution: config.resolution, options: lossOptions, workspace: workspace)
        swapStyle = SwapStyleLoss(resolution: config.resolution, faceStylePower: lossOptions.faceStylePower,
                                  backgroundStylePower: lossOptions.backgroundStylePower)
        blurOutMask = lossOptions.blurOutMask ? BlurOutMask(resolution: config.resolution) : nil
        parameters = encoder.parameters + coder.parameters + decoders.flatMap(\.parameters)
        optimizer = Optimizer(kind: kind, parameters: parameters, settings: settings)
        adversarial = AdversarialTerms(config: config, options: lossOptions, seed: seed, kind: kind, settings: settings,
                                       workspace: workspace)
    }

    /// The discriminators that are on (GAN, then true face's code discriminator), each with its optimizer.
    public var discriminators: [DiscriminatorNetwork] { adversarial?.networks ?? [] }
    /// The discriminators a load left at their initial weights (not in the save, or saved with another
    /// patch size or dims); the trainer says so.
    public var freshDiscriminators: [String] = []

    /// Parameter count per network, by name prefix.
    public var parameterCounts: [String: Int] {
        var out: [String: Int] = [:]
        for p in parameters { out[String(p.name.prefix { $0 != "." }), default: 0] += p.value.count }
        return out
    }

    /// liae only: whether inter_AB is trained (DFL freezes it when random_warp is off; docs/saehd-model.md §1.5).
    public var trainsInterAB: Bool {
        get { !optimizer.frozen.contains { $0.hasPrefix("inter_AB.") } }
        set {
            let names = parameters.map(\.name).filter { $0.hasPrefix("inter_AB.") }
            if newValue { optimizer.frozen.subtract(names) } else { optimizer.frozen.formUnion(names) }
        }
    }

    /// Total trainable parameter count.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.value.count } }

    /// Forward and backward for `batch`: returns the per-sample losses and accumulates every parameter's
    /// gradient of Σ_batch (L_src + L_dst) (TF semantics: the gradient of the sum).
    ///
    /// With a style power on, the swap pass pred_src_dst is evaluated in the same decoder call as the others
    /// (df: decoder_src on [src_code; dst_code]; liae: the decoder on [src; dst; src_dst] codes), so each layer's
    /// stored forward state covers it. The face-style gradient must reach the decoder weights but not the code:
    /// its decoder backward runs on its own and its code gradient is dropped.
    public func computeGradients(_ batch: TrainingBatch) -> StepLosses {
        let b = batch.batch
        let target = lossTarget(batch)
        let swap = swapStyle != nil
        let features = encoder.forward(batch.warped)
        let image: Tensor, mask: Tensor
        var swapImage: Tensor?, swapMask: Tensor?
        var codeOut: Tensor
        if let df = dfCoder {
            codeOut = df.forward(features)
            if swap {
                let s = decoders[0].forward(codeOut)
                let d = decoders[1].forward(Tensor(viewOf: codeOut, batch: b..<(2 * b)))
                image = joined(&predictedImage, Tensor(viewOf: s.image, batch: 0..<b), d.image)
                mask = joined(&predictedMask, Tensor(viewOf: s.mask, batch: 0..<b), d.mask)
                swapImage = Tensor(viewOf: s.image, batch: b..<(2 * b))
                swapMask = Tensor(viewOf: s.mask, batch: b..<(2 * b))
            } else {
                let s = decoders[0].forward(Tensor(viewOf: codeOut, batch: 0..<b))
                let d = decoders[1].forward(Tensor(viewOf: codeOut, batch: b..<(2 * b)))
                image = joined(&predictedImage, s.image, d.image)
                mask = joined(&predictedMask, s.mask, d.mask)
            }
        } else {
            // src_code = [AB(src), AB(src)], dst_code = [B(dst), AB(dst)] along channels
            // (and with a style power, src_dst_code = [AB(dst), AB(dst)]).
            let z = liaeCoder!.forward(features, b: b, swap: swap)
            codeOut = z
            let out = decoders[0].forward(z)
            if swap {
                image = Tensor(viewOf: out.image, batch: 0..<(2 * b)); mask = Tensor(viewOf: out.mask, batch: 0..<(2 * b))
                swapImage = Tensor(viewOf: out.image, batch: (2 * b)..<(3 * b))
                swapMask = Tensor(viewOf: out.mask, batch: (2 * b)..<(3 * b))
            } else {
                image = out.image; mask = out.mask
            }
            predictedImage = image; predictedMask = mask
        }
        // liae with a swap pass: the loss gradients live in the first 2B samples of the 3B decoder gradient.
        let liaeSwap = swap && liaeCoder != nil
        let di = Tensor.reuse(dImage, shape: liaeSwap ? [3 * b] + image.shape.dropFirst() : image.shape); dImage = di
        let dm = Tensor.reuse(dMask, shape: liaeSwap ? [3 * b] + mask.shape.dropFirst() : mask.shape); dMask = dm
        let diLoss = liaeSwap ? Tensor(viewOf: di, batch: 0..<(2 * b)) : di
        let dmLoss = liaeSwap ? Tensor(viewOf: dm, batch: 0..<(2 * b)) : dm
        var losses = StepLosses(src: [], dst: [])
        for side in 0..<2 {
            let loss = side == 0 ? srcLoss : dstLoss
            let v = loss.evaluate(target: batch.half(target, side), mask: batch.half(batch.targetMask, side),
                                  eyesMouth: batch.half(batch.targetEyesMouth, side),
                                  prediction: batch.half(image, side), predictedMask: batch.half(mask, side),
                                  dImage: batch.half(diLoss, side), dMask: batch.half(dmLoss, side))
            if side == 0 { losses.src = v } else { losses.dst = v }
        }
        if let swapStyle, let swapImage, let swapMask {
            let v = swapStyle.evaluate(swapImage: swapImage, swapMask: swapMask, dstImage: batch.half(image, 1),
                                       dstMask: batch.half(mask, 1), targetDst: batch.half(target, 1),
                                       srcMask: batch.half(batch.targetMask, 0))
            for i in losses.src.indices { losses.src[i] += v[i] }
        }
        if let adversarial {
            var terms: [String: [Double]] = [:]
            pendingCodeGradient = adversarial.addGeneratorTerms(
                prediction: batch.half(image, 0), target: batch.half(target, 0),
                mask: lossOptions.maskedTraining ? srcLoss.blurredMask : nil, dPrediction: batch.half(diLoss, 0),
                srcCode: Tensor(viewOf: codeOut, batch: 0..<b), into: &terms)
            losses.adversarialTerms = terms
        }
        if !swap {
            backwardWithoutSwap(b: b, codeOut: codeOut, di: di, dm: dm)
        } else {
            backwardWithSwap(b: b, codeOut: codeOut, di: di, dm: dm)
        }
        return losses
    }

    /// The default step's backward (no swap pass).
    private func backwardWithoutSwap(b: Int, codeOut: Tensor, di: Tensor, dm: Tensor) {
        if let df = dfCoder {
            let dz = Tensor.reuse(dCode, shape: codeOut.shape); dCode = dz
            let half = dz.count / 2
            let gs = decoders[0].backward(image: Tensor(viewOf: di, batch: 0..<b), mask: Tensor(viewOf: dm, batch: 0..<b))
            dz.data.update(from: gs.data, count: half)
            GradientPool.give(gs)
            let gd = decoders[1].backward(image: Tensor(viewOf: di, batch: b..<(2 * b)), mask: Tensor(viewOf: dm, batch: b..<(2 * b)))
            (dz.data + half).update(from: gd.data, count: half)
            GradientPool.give(gd)
            addPendingCodeGradient(into: dz)
            let de = df.backward(dz)
            encoder.backward(de)
            GradientPool.give(de)
        } else {
            let dz = decoders[0].backward(image: di, mask: dm)
            let de = liaeCoder!.backward(dz, b: b, swapCodeGradient: false)
            encoder.backward(de)
            GradientPool.give(de)
        }
    }

    /// Backward with the swap pass. The first decoder backward carries the background-style gradient (which
    /// reaches the code) or, alone, the face-style one (whose code gradient is dropped); with both on, a second
    /// backward of the same stored forward pass adds the face-style weight gradients and drops its code gradient.
    private func backwardWithSwap(b: Int, codeOut: Tensor, di: Tensor, dm: Tensor) {
        let face = swapStyle!.faceGradient, background = swapStyle!.backgroundGradient
        let first = (background ?? face)!
        let keepSwapCode = background != nil
        let second = background != nil ? face : nil
        if let df = dfCoder {
            // decoder_src ran on [src_code; dst_code]: its gradient is [dL_src/dP_src; swap gradient].
            let ds = Tensor.reuse(dSwapImage, shape: [2 * b] + di.shape.dropFirst()); dSwapImage = ds
            let dsm = Tensor.reuse(dSwapMask, shape: [2 * b] + dm.shape.dropFirst()); dSwapMask = dsm
            let half = ds.count / 2, halfMask = dsm.count / 2
            ds.data.update(from: di.data, count: half)
            (ds.data + half).update(from: first.data, count: half)
            dsm.zero()
            dsm.data.update(from: dm.data, count: halfMask)
            let dz = Tensor.reuse(dCode, shape: codeOut.shape); dCode = dz
            let codeHalf = dz.count / 2
            let gs = decoders[0].backward(image: ds, mask: dsm)
            dz.data.update(from: gs.data, count: codeHalf)
            let gd = decoders[1].backward(image: Tensor(viewOf: di, batch: b..<(2 * b)), mask: Tensor(viewOf: dm, batch: b..<(2 * b)))
            (dz.data + codeHalf).update(from: gd.data, count: codeHalf)
            if keepSwapCode { for j in 0..<codeHalf { dz.data[codeHalf + j] += gs.data[codeHalf + j] } }
            GradientPool.give(gs)
            GradientPool.give(gd)
            if let second {
                ds.data.update(repeating: 0, count: half)
                (ds.data + half).update(from: second.data, count: half)
                dsm.zero()
                GradientPool.give(decoders[0].backward(image: ds, mask: dsm))
            }
            addPendingCodeGradient(into: dz)
            let de = df.backward(dz)
            encoder.backward(de)
            GradientPool.give(de)
        } else {
            // The decoder ran on [src; dst; src_dst] codes: di/dm hold the loss gradients in their first 2B.
            let twoB = di.count / 3 * 2, twoBMask = dm.count / 3 * 2
            (di.data + twoB).update(from: first.data, count: first.count)
            (dm.data + twoBMask).update(repeating: 0, count: dm.count - twoBMask)
            let dz = decoders[0].backward(image: di, mask: dm)
            let de = liaeCoder!.backward(dz, b: b, swapCodeGradient: keepSwapCode)
            encoder.backward(de)
            GradientPool.give(de)
            if let second {
                di.data.update(repeating: 0, count: twoB)
                (di.data + twoB).update(from: second.data, count: second.count)
                dm.zero()
                GradientPool.give(decoders[0].backward(image: di, mask: dm))
            }
        }
    }

    /// Adds the true-face term's src-code gradient (if any) into the first half of df's code gradient `dz`.
    private func addPendingCodeGradient(into dz: Tensor) {
        guard let g = pendingCodeGradient else { return }
        add(g, into: Tensor(viewOf: dz, batch: 0..<g.shape[0]))
        GradientPool.give(g)
        pendingCodeGradient = nil
    }

    /// One full training step: forward, backward and the optimizer update; with GAN or true-face power, then
    /// one step of each discriminator on the same batch (docs/dfl-model-folder.md §6).
    @discardableResult
    public func trainStep(_ batch: TrainingBatch) -> StepLosses {
        var losses = computeGradients(batch)
        optimizer.step()
        if let adversarial {
            (losses.trueFaceDiscriminator, losses.ganDiscriminator) = computeDiscriminatorGradients(batch)
            adversarial.step()
        }
        return losses
    }

    /// The discriminators' gradients and per-sample losses for `batch` (nil for one that is off): the
    /// generator runs forward again with its current weights (DFL's D steps evaluate the graph after the
    /// generator's update), only as far as they need: the codes of both halves for true face, pred_src_src
    /// for GAN. Without true face only the src half goes through the encoder (and liae's inter_AB), as in
    /// DFL's graph; the layers' buffers stay those of the full batch (`Tensor.reuse` hands out views).
    public func computeDiscriminatorGradients(_ batch: TrainingBatch) -> (trueFace: [Double]?, gan: [Double]?) {
        guard let adversarial else { return (nil, nil) }
        let b = batch.batch
        let target = lossTarget(batch)
        let bothHalves = adversarial.code != nil
        let features = encoder.forward(bothHalves ? batch.warped : batch.half(batch.warped, 0))
        var prediction: Tensor?
        var codes: Tensor?
        if let df = dfCoder {
            let z = df.forward(features)
            if bothHalves { codes = z }
            if adversarial.patch != nil { prediction = decoders[0].forwardImage(Tensor(viewOf: z, batch: 0..<b)) }
        } else if adversarial.patch != nil {
            prediction = decoders[0].forwardImage(liaeCoder!.forwardSource(features))
        }
        return adversarial.discriminatorGradients(
            prediction: prediction, target: batch.half(target, 0), targetMask: batch.half(batch.targetMask, 0),
            srcCode: codes.map { Tensor(viewOf: $0, batch: 0..<b) }, dstCode: codes.map { Tensor(viewOf: $0, batch: b..<(2 * b)) })
    }

    /// The targets the losses compare with: the batch's, or with blur_out_mask its blurred-out copy.
    private func lossTarget(_ batch: TrainingBatch) -> Tensor {
        guard let blurOutMask else { return batch.target }
        let t = Tensor.reuse(blurredOutTarget, shape: batch.target.shape); blurredOutTarget = t
        blurOutMask.apply(target: batch.target, mask: batch.targetMask, into: t)
        return t
    }

    /// src→src and dst→dst predictions joined into one 2B tensor (df runs two decoders).
    private func joined(_ store: inout Tensor?, _ a: Tensor, _ b: Tensor) -> Tensor {
        let t = Tensor.reuse(store, shape: [a.shape[0] + b.shape[0]] + a.shape.dropFirst())
        store = t
        t.data.update(from: a.data, count: a.count)
        (t.data + a.count).update(from: b.data, count: b.count)
        return t
    }
}
