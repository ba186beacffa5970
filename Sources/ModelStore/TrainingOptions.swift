// The options of a model as stored in model.json. The architecture part (config, channels, face type,
// optimizer, seed) is fixed when the model is created; the rest may change on resume.
//
// The options are typed (ModelConfig, FaceType, Optimizer.Kind, ColorTransferMode); strings exist only in
// model.json (this file's Codable conformance, whose keys and values are those model.json has always had)
// and in DeepFaceLab's data.dat (DFLOptions.swift).
import ColorTransfer
import FaceSet
import Foundation
import NeuralNet
import SAEHD

/// Options of a model, saved in `model.json` (DFL's option table with its defaults: docs/saehd-model.md §6.1).
public struct TrainingOptions: Equatable, Sendable {
    // Fixed at creation.
    /// The architecture (`archi[-opts]-res-ae-e-d-dm`) and the image channels: 3 (SAEHD) or 1 (SAEHDBW).
    public var architecture: ModelConfig
    /// One of the face types a model can be trained on (`h`, `mf`, `f`, `wf`, `head`).
    public var faceType: FaceType
    /// AdaBelief or RMSprop (their slots differ, so fixed).
    public var optimizer: Optimizer.Kind = .adabelief
    /// Seed of the weight initialisation, sample order, augmentation and lr-dropout masks.
    public var seed: UInt64 = 0

    // May change on resume.
    public var batchSize: Int = 8
    public var targetIteration: Int = 0
    public var lrDropout: Bool = false
    /// The optimizer's learning rate; nil is DeepFaceLab's fixed 5e-5 (and keeps older model.json files
    /// readable, since an absent key decodes as nil).
    public var learningRate: Double? = nil
    public var clipGradient: Bool = false
    public var randomWarp: Bool = true
    public var randomSrcFlip: Bool = false
    public var randomDstFlip: Bool = true
    public var maskedTraining: Bool = true
    public var eyesMouthPriority: Bool = false
    public var uniformYaw: Bool = false
    public var randomHSVPower: Double = 0
    /// Colour transfer of src samples toward dst (DFL's ct_mode); nil is `none`.
    public var ctMode: ColorTransferMode? = nil
    // Added later: optional so that a model.json without them decodes (absent = DFL's default).
    /// blur_out_mask (nil: off).
    public var blurOutMask: Bool? = nil
    /// face_style_power, 0...100 (nil: 0).
    public var faceStylePower: Double? = nil
    /// bg_style_power, 0...100 (nil: 0).
    public var bgStylePower: Double? = nil
    /// Pretraining on one faceset that is both src and dst (docs/saehd-model.md §3.4); nil (older model.json
    /// files) is off.
    public var pretrain: Bool? = nil
    /// gan_power, 0...5 (nil: 0): the UNet patch discriminator's term.
    public var ganPower: Double? = nil
    /// gan_patch_size, 3...640 (nil: resolution / 8).
    public var ganPatchSize: Int? = nil
    /// gan_dims, 4...512 (nil: 16).
    public var ganDims: Int? = nil
    /// true_face_power, 0...1 (nil: 0; df archis only).
    public var trueFacePower: Double? = nil
    /// DeepFaceLab options this engine does not use (autobackup_hour, …) and DFL's own spelling of some that
    /// it does (lr_dropout 'cpu'), kept from an imported DFL model so that exporting it gives them back
    /// unchanged (DFLOptions.swift); nil for our models.
    public var dflExtras: [String: DFLOptionValue]? = nil

    /// The face types a model can be trained on.
    public static let trainableFaceTypes: [FaceType] = [.half, .midFull, .full, .wholeFace, .head]

    public init(architecture: ModelConfig, faceType: FaceType) {
        self.architecture = architecture
        self.faceType = faceType
    }

    /// The architecture as its compact string, e.g. `liae-ud-96-32-32-32-16`.
    public var config: String { architecture.description }
    /// Image channels: 3 (SAEHD) or 1 (SAEHDBW).
    public var channels: Int { architecture.channels }

    /// Whether the model is in pretraining mode.
    public var isPretraining: Bool { pretrain ?? false }

    /// The options the trainer runs with: the saved ones, except that pretraining forces DeepFaceLab's
    /// pretraining settings (random warp off, both flips on, uniform yaw on, no lr dropout, no HSV shift,
    /// no colour transfer, no style powers) without changing what is saved.
    public var effective: TrainingOptions {
        guard isPretraining else { return self }
        var o = self
        o.randomWarp = false
        o.randomSrcFlip = true
        o.randomDstFlip = true
        o.uniformYaw = true
        o.lrDropout = false
        o.randomHSVPower = 0
        o.ctMode = nil
        o.faceStylePower = nil
        o.bgStylePower = nil
        o.ganPower = nil
        o.trueFacePower = nil
        return o
    }

    /// The loss options of the SAEHD objective (docs/saehd-model.md §3.2–3.4).
    public var lossOptions: LossOptions {
        LossOptions(maskedTraining: maskedTraining, eyesMouthPriority: eyesMouthPriority,
                    blurOutMask: blurOutMask ?? false, faceStylePower: Float(faceStylePower ?? 0),
                    backgroundStylePower: Float(bgStylePower ?? 0), ganPower: Float(ganPower ?? 0),
                    ganPatchSize: ganPatchSize ?? 0, ganDims: ganDims ?? 16, trueFacePower: Float(trueFacePower ?? 0))
    }

    /// Checks every option's range; throws a clear error for the first bad one.
    public func validate() throws {
        guard Self.trainableFaceTypes.contains(faceType) else {
            throw TrainerError.invalidOption("face type '\(faceType.shortName)' is not one of h, mf, f, wf, head")
        }
        guard (1...256).contains(batchSize) else { throw TrainerError.invalidOption("batch size \(batchSize) is not in 1...256") }
        if let lr = learningRate, !(lr > 0 && lr <= 1e-2) {
            throw TrainerError.invalidOption("learning rate \(lr) is not in (0, 0.01]")
        }
        guard targetIteration >= 0 else { throw TrainerError.invalidOption("target iteration must be ≥ 0") }
        guard (0...0.3).contains(randomHSVPower) else { throw TrainerError.invalidOption("random HSV power must be in 0...0.3") }
        for (name, v) in [("face style power", faceStylePower), ("background style power", bgStylePower)] {
            if let v, !(0...100).contains(v) { throw TrainerError.invalidOption("\(name) \(v) is not in 0...100") }
        }
        if let v = ganPower, !(0...5).contains(v) { throw TrainerError.invalidOption("GAN power \(v) is not in 0...5") }
        if let v = ganPatchSize, !(3...640).contains(v) { throw TrainerError.invalidOption("GAN patch size \(v) is not in 3...640") }
        if let v = ganDims, !(4...512).contains(v) { throw TrainerError.invalidOption("GAN dims \(v) is not in 4...512") }
        if let v = trueFacePower, !(0...1).contains(v) { throw TrainerError.invalidOption("true-face power \(v) is not in 0...1") }
        if (trueFacePower ?? 0) > 0 && architecture.archi != .df {
            throw TrainerError.invalidOption("true-face power needs a df archi (\(architecture.archi.rawValue) has no code to judge; DeepFaceLab builds it for df only)")
        }
        if (ganPower ?? 0) > 0,
           let reason = UNetPatchDiscriminator.unsupportedReason(resolution: architecture.resolution,
                                                                 patchSize: lossOptions.ganPatchSize(resolution: architecture.resolution)) {
            throw TrainerError.invalidOption(reason)
        }
    }

    /// The options that differ between `self` (saved) and `other` among those fixed on resume.
    public func fixedDifferences(from other: TrainingOptions) -> [String] {
        var out: [String] = []
        if architecture.withChannels(3) != other.architecture.withChannels(3) { out.append("config \(config) (asked: \(other.config))") }
        if channels != other.channels { out.append("channels \(channels) (asked: \(other.channels))") }
        if faceType != other.faceType { out.append("face type \(faceType.shortName) (asked: \(other.faceType.shortName))") }
        if optimizer != other.optimizer { out.append("optimizer \(optimizer.rawValue) (asked: \(other.optimizer.rawValue))") }
        if seed != other.seed { out.append("seed \(seed) (asked: \(other.seed))") }
        return out
    }
}

// MARK: model.json

extension TrainingOptions: Codable {
    // The keys model.json has always had; `config`, `faceType`, `optimizer` and `ctMode` are strings there.
    private enum Key: String, CodingKey {
        case config, channels, faceType, optimizer, seed, batchSize, targetIteration, lrDropout, learningRate,
             clipGradient, randomWarp, randomSrcFlip, randomDstFlip, maskedTraining, eyesMouthPriority, uniformYaw,
             randomHSVPower, ctMode, blurOutMask, faceStylePower, bgStylePower, pretrain, ganPower, ganPatchSize,
             ganDims, trueFacePower, dflExtras
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        func fail(_ key: Key, _ what: String) -> DecodingError {
            DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: what)
        }
        let configString = try c.decode(String.self, forKey: .config)
        let channels = try c.decode(Int.self, forKey: .channels)
        do { architecture = try ModelConfig(configString, channels: channels) } catch {
            throw fail(.config, "\(error)")
        }
        let faceName = try c.decode(String.self, forKey: .faceType)
        guard let face = FaceType(argument: faceName) else { throw fail(.faceType, "face type '\(faceName)' is unknown") }
        faceType = face
        let optimizerName = try c.decodeIfPresent(String.self, forKey: .optimizer) ?? Optimizer.Kind.adabelief.rawValue
        guard let kind = Optimizer.Kind(rawValue: optimizerName) else {
            throw fail(.optimizer, "optimizer '\(optimizerName)' is not rmsprop or adabelief")
        }
        optimizer = kind
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? 0
        batchSize = try c.decodeIfPresent(Int.self, forKey: .batchSize) ?? 8
        targetIteration = try c.decodeIfPresent(Int.self, forKey: .targetIteration) ?? 0
        lrDropout = try c.decodeIfPresent(Bool.self, forKey: .lrDropout) ?? false
        learningRate = try c.decodeIfPresent(Double.self, forKey: .learningRate)
        clipGradient = try c.decodeIfPresent(Bool.self, forKey: .clipGradient) ?? false
        randomWarp = try c.decodeIfPresent(Bool.self, forKey: .randomWarp) ?? true
        randomSrcFlip = try c.decodeIfPresent(Bool.self, forKey: .randomSrcFlip) ?? false
        randomDstFlip = try c.decodeIfPresent(Bool.self, forKey: .randomDstFlip) ?? true
        maskedTraining = try c.decodeIfPresent(Bool.self, forKey: .maskedTraining) ?? true
        eyesMouthPriority = try c.decodeIfPresent(Bool.self, forKey: .eyesMouthPriority) ?? false
        uniformYaw = try c.decodeIfPresent(Bool.self, forKey: .uniformYaw) ?? false
        randomHSVPower = try c.decodeIfPresent(Double.self, forKey: .randomHSVPower) ?? 0
        let ct = try c.decodeIfPresent(String.self, forKey: .ctMode) ?? "none"
        if ct == "none" { ctMode = nil } else {
            guard let mode = ColorTransferMode(rawValue: ct) else { throw fail(.ctMode, "ct-mode '\(ct)' is not none, rct, lct, mkl, idt or sot") }
            ctMode = mode
        }
        blurOutMask = try c.decodeIfPresent(Bool.self, forKey: .blurOutMask)
        faceStylePower = try c.decodeIfPresent(Double.self, forKey: .faceStylePower)
        bgStylePower = try c.decodeIfPresent(Double.self, forKey: .bgStylePower)
        pretrain = try c.decodeIfPresent(Bool.self, forKey: .pretrain)
        ganPower = try c.decodeIfPresent(Double.self, forKey: .ganPower)
        ganPatchSize = try c.decodeIfPresent(Int.self, forKey: .ganPatchSize)
        ganDims = try c.decodeIfPresent(Int.self, forKey: .ganDims)
        trueFacePower = try c.decodeIfPresent(Double.self, forKey: .trueFacePower)
        dflExtras = try c.decodeIfPresent([String: DFLOptionValue].self, forKey: .dflExtras)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(config, forKey: .config)
        try c.encode(channels, forKey: .channels)
        try c.encode(faceType.shortName, forKey: .faceType)
        try c.encode(optimizer.rawValue, forKey: .optimizer)
        try c.encode(seed, forKey: .seed)
        try c.encode(batchSize, forKey: .batchSize)
        try c.encode(targetIteration, forKey: .targetIteration)
        try c.encode(lrDropout, forKey: .lrDropout)
        try c.encodeIfPresent(learningRate, forKey: .learningRate)
        try c.encode(clipGradient, forKey: .clipGradient)
        try c.encode(randomWarp, forKey: .randomWarp)
        try c.encode(randomSrcFlip, forKey: .randomSrcFlip)
        try c.encode(randomDstFlip, forKey: .randomDstFlip)
        try c.encode(maskedTraining, forKey: .maskedTraining)
        try c.encode(eyesMouthPriority, forKey: .eyesMouthPriority)
        try c.encode(uniformYaw, forKey: .uniformYaw)
        try c.encode(randomHSVPower, forKey: .randomHSVPower)
        try c.encode(ctMode?.rawValue ?? "none", forKey: .ctMode)
        try c.encodeIfPresent(blurOutMask, forKey: .blurOutMask)
        try c.encodeIfPresent(faceStylePower, forKey: .faceStylePower)
        try c.encodeIfPresent(bgStylePower, forKey: .bgStylePower)
        try c.encodeIfPresent(pretrain, forKey: .pretrain)
        try c.encodeIfPresent(ganPower, forKey: .ganPower)
        try c.encodeIfPresent(ganPatchSize, forKey: .ganPatchSize)
        try c.encodeIfPresent(ganDims, forKey: .ganDims)
        try c.encodeIfPresent(trueFacePower, forKey: .trueFacePower)
        try c.encodeIfPresent(dflExtras, forKey: .dflExtras)
    }
}

/// Errors of opening, saving and training models, with messages meant for the user.
public enum TrainerError: Error, CustomStringConvertible, Equatable {
    case invalidOption(String)
    case incompatibleModel(String)
    case badFaceSet(String)
    case corruptModel(String)
    case io(String)

    public var description: String {
        switch self {
        case let .invalidOption(s): return s
        case let .incompatibleModel(s): return s
        case let .badFaceSet(s): return s
        case let .corruptModel(s): return s
        case let .io(s): return s
        }
    }
}
