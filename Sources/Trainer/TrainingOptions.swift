// The options of a training run as stored in model.json. The architecture part (config, channels, face
// type, optimizer, seed) is fixed when the model is created; the rest may change on resume.
import FaceSet
import Foundation
import NeuralNet
import SAEHD

/// Options of a model, saved in `model.json` (spec §6.1 with DFL's defaults).
public struct TrainingOptions: Codable, Equatable, Sendable {
    // Fixed at creation.
    /// Compact config `archi[-opts]-res-ae-e-d-dm`, e.g. `liae-ud-96-32-32-32-16`.
    public var config: String
    /// Image channels: 3 (SAEHD) or 1 (SAEHDBW).
    public var channels: Int
    /// Face type short name (`h`, `mf`, `f`, `wf`, `head`).
    public var faceType: String
    /// `adabelief` or `rmsprop` (their slots differ, so fixed).
    public var optimizer: String = "adabelief"
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
    /// `none`, `rct`, `lct`, `mkl`, `idt` or `sot`.
    public var ctMode: String = "none"
    // Added later: optional so that a model.json without them decodes (absent = DFL's default).
    /// blur_out_mask (nil: off).
    public var blurOutMask: Bool? = nil
    /// face_style_power, 0...100 (nil: 0).
    public var faceStylePower: Double? = nil
    /// bg_style_power, 0...100 (nil: 0).
    public var bgStylePower: Double? = nil
    /// Pretraining on one faceset that is both src and dst (spec §3.4); nil (older model.json files) is off.
    public var pretrain: Bool? = nil
    /// gan_power, 0...5 (nil: 0): the UNet patch discriminator's term.
    public var ganPower: Double? = nil
    /// gan_patch_size, 3...640 (nil: resolution / 8).
    public var ganPatchSize: Int? = nil
    /// gan_dims, 4...512 (nil: 16).
    public var ganDims: Int? = nil
    /// true_face_power, 0...1 (nil: 0; df archis only).
    public var trueFacePower: Double? = nil
    /// DeepFaceLab options this engine does not use (autobackup_hour, gan_dims, …), kept from an imported
    /// DFL model so that exporting it gives them back unchanged (DFLModelFolder.swift); nil for our models.
    public var dflExtras: [String: DFLOptionValue]? = nil

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
        o.ctMode = "none"
        o.faceStylePower = nil
        o.bgStylePower = nil
        o.ganPower = nil
        o.trueFacePower = nil
        return o
    }

    public init(config: String, channels: Int, faceType: String) {
        self.config = config
        self.channels = channels
        self.faceType = faceType
    }

    /// The names of options that are fixed once a model exists.
    public static let fixedOnResume = ["config (archi, resolution, dims)", "channels", "face-type", "optimizer", "seed"]

    /// The loss options of the SAEHD objective (spec §3.2–3.4).
    public var lossOptions: LossOptions {
        LossOptions(maskedTraining: maskedTraining, eyesMouthPriority: eyesMouthPriority,
                    blurOutMask: blurOutMask ?? false, faceStylePower: Float(faceStylePower ?? 0),
                    backgroundStylePower: Float(bgStylePower ?? 0), ganPower: Float(ganPower ?? 0),
                    ganPatchSize: ganPatchSize ?? 0, ganDims: ganDims ?? 16, trueFacePower: Float(trueFacePower ?? 0))
    }

    /// The parsed model configuration.
    public func modelConfig() throws -> ModelConfig { try ModelConfig(config, channels: channels) }

    /// The parsed face type.
    public func parsedFaceType() throws -> FaceType {
        guard let t = FaceType(argument: faceType), [.half, .midFull, .full, .wholeFace, .head].contains(t) else {
            throw TrainerError.invalidOption("face type '\(faceType)' is not one of h, mf, f, wf, head")
        }
        return t
    }

    public func optimizerKind() throws -> Optimizer.Kind {
        guard let k = Optimizer.Kind(rawValue: optimizer) else {
            throw TrainerError.invalidOption("optimizer '\(optimizer)' is not rmsprop or adabelief")
        }
        return k
    }

    /// Checks every option's range; throws a clear error for the first bad one.
    public func validate() throws {
        _ = try modelConfig()
        _ = try parsedFaceType()
        _ = try optimizerKind()
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
        let config = try modelConfig()
        if (trueFacePower ?? 0) > 0 && config.archi != .df {
            throw TrainerError.invalidOption("true-face power needs a df archi (\(config.archi.rawValue) has no code to judge; DeepFaceLab builds it for df only)")
        }
        if (ganPower ?? 0) > 0,
           let reason = UNetPatchDiscriminator.unsupportedReason(resolution: config.resolution,
                                                                 patchSize: lossOptions.ganPatchSize(resolution: config.resolution)) {
            throw TrainerError.invalidOption(reason)
        }
        guard ["none", "rct", "lct", "mkl", "idt", "sot"].contains(ctMode) else {
            throw TrainerError.invalidOption("ct-mode '\(ctMode)' is not none, rct, lct, mkl, idt or sot")
        }
    }

    /// The options that differ between `self` (saved) and `other` among those fixed on resume.
    public func fixedDifferences(from other: TrainingOptions) -> [String] {
        var out: [String] = []
        if config != other.config { out.append("config \(config) (asked: \(other.config))") }
        if channels != other.channels { out.append("channels \(channels) (asked: \(other.channels))") }
        if faceType != other.faceType { out.append("face type \(faceType) (asked: \(other.faceType))") }
        if optimizer != other.optimizer { out.append("optimizer \(optimizer) (asked: \(other.optimizer))") }
        if seed != other.seed { out.append("seed \(seed) (asked: \(other.seed))") }
        return out
    }
}

/// Errors of the trainer, with messages meant for the user.
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
