// DeepFaceLab's options (data.dat's `options` dict, docs/saehd-model.md §6.1) ↔ TrainingOptions. Keys we
// do not use keep their stored value; DFL's own spelling of a value we map (lr_dropout 'cpu') is kept too.
import ColorTransfer
import FaceSet
import Foundation
import NeuralNet
import SAEHD

/// A scalar DeepFaceLab option kept as it was stored (bool, int, float, str or None), so it round-trips.
public enum DFLOptionValue: Codable, Equatable, Sendable {
    case bool(Bool), int(Int), float(Double), string(String), none

    init?(_ v: PickleValue) {
        switch v {
        case let .bool(b): self = .bool(b)
        case let .int(i): self = .int(i)
        case let .float(d): self = .float(d)
        case let .string(s): self = .string(s)
        case .none: self = .none
        default: return nil
        }
    }

    var pickle: PickleValue {
        switch self {
        case let .bool(b): return .bool(b)
        case let .int(i): return .int(i)
        case let .float(d): return .float(d)
        case let .string(s): return .string(s)
        case .none: return .none
        }
    }

    // JSON: {"bool": true}, {"int": 0}, {"float": 0.0}, {"string": "n"} or {"none": true}, so a float
    // stays a float.
    private enum Key: String, CodingKey { case bool, int, float, string, none }
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        if let b = try c.decodeIfPresent(Bool.self, forKey: .bool) { self = .bool(b) }
        else if let i = try c.decodeIfPresent(Int.self, forKey: .int) { self = .int(i) }
        else if let d = try c.decodeIfPresent(Double.self, forKey: .float) { self = .float(d) }
        else if let s = try c.decodeIfPresent(String.self, forKey: .string) { self = .string(s) }
        else if c.contains(.none) { self = .none }
        else { throw DecodingError.dataCorrupted(.init(codingPath: c.codingPath, debugDescription: "not a DFL option value")) }
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        switch self {
        case let .bool(b): try c.encode(b, forKey: .bool)
        case let .int(i): try c.encode(i, forKey: .int)
        case let .float(d): try c.encode(d, forKey: .float)
        case let .string(s): try c.encode(s, forKey: .string)
        case .none: try c.encode(true, forKey: .none)
        }
    }
}

/// DFL's option keys (docs/saehd-model.md §6.1) ↔ TrainingOptions.
enum DFLOptionMapping {
    /// The keys DFL's SAEHD stores, in its order. Keys we do not use keep their stored value (dflExtras) or
    /// get DFL's default on export.
    static let keyOrder = ["autobackup_hour", "write_preview_history", "target_iter", "random_src_flip", "random_dst_flip",
                           "batch_size", "resolution", "face_type", "models_opt_on_gpu", "archi", "ae_dims", "e_dims",
                           "d_dims", "d_mask_dims", "masked_training", "eyes_mouth_prio", "uniform_yaw", "blur_out_mask",
                           "adabelief", "lr_dropout", "random_warp", "random_hsv_power", "true_face_power",
                           "face_style_power", "bg_style_power", "ct_mode", "clipgrad", "pretrain", "gan_power",
                           "gan_patch_size", "gan_dims"]
    /// The keys that map onto TrainingOptions (the rest are extras).
    static let mapped: Set<String> = ["target_iter", "random_src_flip", "random_dst_flip", "batch_size", "resolution",
                                      "face_type", "archi", "ae_dims", "e_dims", "d_dims", "d_mask_dims", "masked_training",
                                      "eyes_mouth_prio", "uniform_yaw", "blur_out_mask", "adabelief", "lr_dropout",
                                      "random_warp", "random_hsv_power", "face_style_power", "bg_style_power", "ct_mode",
                                      "clipgrad", "pretrain", "gan_power", "gan_patch_size", "gan_dims", "true_face_power"]

    /// DFL's defaults of the extras, for models that never came from DFL.
    static func defaultExtra(_ key: String, resolution: Int) -> DFLOptionValue? {
        switch key {
        case "autobackup_hour": return .int(0)
        case "write_preview_history": return .bool(false)
        case "models_opt_on_gpu": return .bool(true)
        default: return nil
        }
    }

    static func trainingOptions(_ pairs: [PicklePair], channels: Int) throws -> TrainingOptions {
        var dict: [String: PickleValue] = [:]
        var extras: [String: DFLOptionValue] = [:]
        for p in pairs {
            guard case let .string(k) = p.key else { throw TrainerError.corruptModel("an option key is not a string") }
            dict[k] = p.value
            if !mapped.contains(k) {
                guard let v = DFLOptionValue(p.value) else { throw TrainerError.invalidOption("option \(k) is not a plain value") }
                extras[k] = v
            }
        }
        func bool(_ k: String, _ d: Bool) throws -> Bool {
            guard let v = dict[k] else { return d }
            switch v {
            case let .bool(b): return b
            case let .int(i) where i == 0 || i == 1: return i == 1
            default: throw TrainerError.invalidOption("option \(k) is not a bool")
            }
        }
        func int(_ k: String, _ d: Int) throws -> Int {
            guard let v = dict[k] else { return d }
            guard case let .int(i) = v else { throw TrainerError.invalidOption("option \(k) is not an integer") }
            return i
        }
        func double(_ k: String, _ d: Double) throws -> Double {
            guard let v = dict[k] else { return d }
            guard let x = v.doubleValue, x.isFinite else { throw TrainerError.invalidOption("option \(k) is not a number") }
            return x
        }
        func string(_ k: String, _ d: String) throws -> String {
            guard let v = dict[k] else { return d }
            guard let s = v.stringValue else { throw TrainerError.invalidOption("option \(k) is not a string") }
            return s
        }
        let archi = try string("archi", "liae-ud")
        let d = try int("d_dims", 64)
        let architecture: ModelConfig
        do {
            let (kind, archiOptions) = try ModelConfig.parseArchi(archi)
            architecture = try ModelConfig(archi: kind, options: archiOptions, resolution: try int("resolution", 128),
                                           aeDims: try int("ae_dims", 256), eDims: try int("e_dims", 64), dDims: d,
                                           dMaskDims: try int("d_mask_dims", ModelConfig.defaultMaskDims(decoderDims: d)),
                                           channels: channels)
        } catch let e as ModelConfig.ParseError {
            throw TrainerError.invalidOption(e.description)
        }
        let faceName = try string("face_type", "f")
        guard let faceType = FaceType(argument: faceName) else {
            throw TrainerError.invalidOption("face type '\(faceName)' is not one of h, mf, f, wf, head")
        }
        var o = TrainingOptions(architecture: architecture, faceType: faceType)
        o.optimizer = try bool("adabelief", true) ? .adabelief : .rmsprop
        o.batchSize = try int("batch_size", 8)
        o.targetIteration = try int("target_iter", 0)
        // DFL's stored value is kept (extras) so that 'cpu' (or SAEHDBW's '1'/'0') is written back as it was.
        if let v = dict["lr_dropout"], let kept = DFLOptionValue(v) { extras["lr_dropout"] = kept }
        o.lrDropout = try lrDropoutIsOn(dict["lr_dropout"] ?? .string("n"))
        o.clipGradient = try bool("clipgrad", false)
        o.randomWarp = try bool("random_warp", true)
        o.randomSrcFlip = try bool("random_src_flip", false)
        o.randomDstFlip = try bool("random_dst_flip", true)
        o.maskedTraining = try bool("masked_training", true)
        o.eyesMouthPriority = try bool("eyes_mouth_prio", false)
        o.uniformYaw = try bool("uniform_yaw", false)
        o.randomHSVPower = try double("random_hsv_power", 0)
        let ct = try string("ct_mode", "none")
        if ct != "none" {
            guard let mode = ColorTransferMode(rawValue: ct) else {
                throw TrainerError.invalidOption("ct-mode '\(ct)' is not none, rct, lct, mkl, idt or sot")
            }
            o.ctMode = mode
        }
        o.blurOutMask = try bool("blur_out_mask", false)
        o.faceStylePower = try double("face_style_power", 0)
        o.bgStylePower = try double("bg_style_power", 0)
        o.pretrain = try bool("pretrain", false)
        o.ganPower = try double("gan_power", 0)
        o.ganPatchSize = try int("gan_patch_size", architecture.resolution / 8)
        o.ganDims = try int("gan_dims", 16)
        o.trueFacePower = try double("true_face_power", 0)
        o.dflExtras = extras
        try o.validate()
        return o
    }

    /// DFL's `lr_dropout`: the value the model was imported with while it still means what the option says
    /// ('cpu' is on, placed on the CPU by DFL), else 'y' or 'n'.
    static func lrDropoutValue(_ o: TrainingOptions) -> PickleValue {
        if let kept = o.dflExtras?["lr_dropout"], (try? lrDropoutIsOn(kept.pickle)) == o.lrDropout { return kept.pickle }
        return .string(o.lrDropout ? "y" : "n")
    }

    /// Whether a stored `lr_dropout` value turns lr_dropout on: 'y'/'cpu' (or true) on; 'n', SAEHDBW's
    /// '1'/'0' (or false) off.
    static func lrDropoutIsOn(_ v: PickleValue) throws -> Bool {
        switch v {
        case let .string(s) where ["y", "cpu"].contains(s.lowercased()): return true
        case let .string(s) where ["n", "0", "1"].contains(s.lowercased()): return false
        case let .bool(b): return b
        default: throw TrainerError.invalidOption("lr_dropout \(v) is not n, y or cpu")
        }
    }

    /// TrainingOptions as DFL's options dict, in DFL's key order (extras after, sorted).
    static func dflOptions(_ o: TrainingOptions) throws -> [PicklePair] {
        let c = o.architecture
        let faceType = o.faceType.shortName
        let adabelief = o.optimizer == .adabelief
        let mappedValues: [String: PickleValue] = [
            "target_iter": .int(o.targetIteration), "random_src_flip": .bool(o.randomSrcFlip),
            "random_dst_flip": .bool(o.randomDstFlip), "batch_size": .int(o.batchSize), "resolution": .int(c.resolution),
            "face_type": .string(faceType), "archi": .string(c.archiName),
            "ae_dims": .int(c.aeDims), "e_dims": .int(c.eDims), "d_dims": .int(c.dDims), "d_mask_dims": .int(c.dMaskDims),
            "masked_training": .bool(o.maskedTraining), "eyes_mouth_prio": .bool(o.eyesMouthPriority),
            "uniform_yaw": .bool(o.uniformYaw), "blur_out_mask": .bool(o.blurOutMask ?? false),
            "adabelief": .bool(adabelief), "lr_dropout": lrDropoutValue(o),
            "random_warp": .bool(o.randomWarp), "random_hsv_power": .float(o.randomHSVPower),
            "face_style_power": .float(o.faceStylePower ?? 0), "bg_style_power": .float(o.bgStylePower ?? 0),
            "ct_mode": .string(o.ctMode?.rawValue ?? "none"), "clipgrad": .bool(o.clipGradient), "pretrain": .bool(o.isPretraining),
            "gan_power": .float(o.ganPower ?? 0), "gan_patch_size": .int(o.ganPatchSize ?? c.resolution / 8),
            "gan_dims": .int(o.ganDims ?? 16), "true_face_power": .float(o.trueFacePower ?? 0),
        ]
        let extras = o.dflExtras ?? [:]
        var out: [PicklePair] = []
        for key in keyOrder {
            if let v = mappedValues[key] { out.append(PicklePair(.string(key), v)) }
            else if let v = extras[key] ?? defaultExtra(key, resolution: c.resolution) { out.append(PicklePair(.string(key), v.pickle)) }
        }
        for key in extras.keys.sorted() where !keyOrder.contains(key) { out.append(PicklePair(.string(key), extras[key]!.pickle)) }
        return out
    }
}

extension DFLModelFolder {
    /// The options dict DFL's data.dat would hold for `options` (what --export-dfl writes).
    public static func dflOptions(for options: TrainingOptions) throws -> PickleValue {
        .dict(try DFLOptionMapping.dflOptions(options))
    }
}
