// DeepFaceLab's own model folder, read and written (spec saehd-gan-and-model-files.md §7,
// saehd-model-reference.md §6.1–6.2): files `NAME_CLASS_<suffix>` with CLASS = SAEHD (3 channels) or SAEHDBW
// (1 channel). Each `.npy` is a pickled dict {key: numpy array}: weights keyed by the TF variable name
// without its network scope (`down1/downs_0/conv1/weight:0`), optimizer slots by `ms_`/`vs_`/`acc_` + the
// full name with ':' → '_' + ':0', and `iters:0`. `data.dat` holds the iteration, the options under DFL's
// keys and the loss history.
//
// Our parameter names are DFL's (`encoder.down1.downs_0.conv1.weight`), in DFL's creation order, with the
// same layouts (conv HWIO, dense (in, out), (c, h, w) flatten), so the mapping is mechanical: network =
// first name component = file, the rest joined by '/' = key. Pickles go through FaceSet's whitelist reader
// (only numpy arrays, dtypes and scalars are interpreted; any other global is an error here) and writer.
import AtomicIO
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

/// Which files a DFL SAEHD model has. Our network names are DFL's scopes and file suffixes.
public enum DFLFiles {
    /// The autoencoder's network files (spec §7): df → encoder, inter, decoder_src, decoder_dst;
    /// liae → encoder, inter_AB, inter_B, decoder.
    public static func networks(_ archi: ModelConfig.Archi) -> [String] {
        archi == .df ? ["encoder", "inter", "decoder_src", "decoder_dst"] : ["encoder", "inter_AB", "inter_B", "decoder"]
    }

    /// Optimizer files and the networks whose weights each holds slots for.
    public static func optimizers(_ archi: ModelConfig.Archi) -> [(file: String, networks: [String])] {
        [("src_dst_opt", networks(archi))]
    }

    /// The discriminators' files: the GAN's `GAN.npy` with `GAN_opt.npy`, true face's
    /// `code_discriminator.npy` with `D_code_opt.npy` (spec §7).
    public static func optimizerFile(discriminator network: String) -> String {
        network == "GAN" ? "GAN_opt" : "D_code_opt"
    }

    /// The TF scope of a network's weights in optimizer keys: the file name, except `D_src` for GAN.npy
    /// and `dis` for code_discriminator.npy.
    public static func scope(of network: String) -> String {
        switch network {
        case "GAN": return "D_src"
        case "code_discriminator": return "dis"
        default: return network
        }
    }

    /// DFL's class name for a channel count (spec §6.2): SAEHDBW for 1-channel models.
    public static func className(channels: Int) -> String { channels == 1 ? "SAEHDBW" : "SAEHD" }
    public static let classNames = ["SAEHD", "SAEHDBW"]

    /// The optimizer-slot key of a weight: `ms_encoder/down1/conv1/weight_0:0` for slot `ms` of
    /// `encoder.down1.conv1.weight`.
    public static func slotKey(_ prefix: String, parameter name: String) -> String {
        var parts = name.split(separator: ".").map(String.init)
        parts[0] = scope(of: parts[0])
        return prefix + "_" + parts.joined(separator: "/") + "_0:0"
    }

    /// Largest weight file read (DFL models at 640 px with large dims stay well below).
    public static let maxWeightFileBytes = 8 << 30
    /// Largest data.dat read (it holds the loss history and the preview batch).
    public static let maxDataFileBytes = 2 << 30
}

/// One DFL model (`NAME_CLASS_*`) in a folder.
public struct DFLModelFolder: Sendable, Equatable {
    public let directory: String
    public let name: String
    public let className: String

    public init(directory: String, name: String, className: String) {
        self.directory = directory; self.name = name; self.className = className
    }

    /// The path of `NAME_CLASS_<suffix>`.
    public func file(_ suffix: String) -> String { directory + "/" + name + "_" + className + "_" + suffix }
    public var dataPath: String { file("data.dat") }
    public var channels: Int { className == "SAEHDBW" ? 1 : 3 }

    /// The DFL SAEHD/SAEHDBW models of `directory`, found by their data.dat files, sorted by name.
    public static func models(in directory: String) -> [DFLModelFolder] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var out: [DFLModelFolder] = []
        for file in names where file.hasSuffix("_data.dat") {
            for cls in DFLFiles.classNames where file.hasSuffix("_" + cls + "_data.dat") {
                let name = String(file.dropLast(("_" + cls + "_data.dat").count))
                if !name.isEmpty { out.append(DFLModelFolder(directory: directory, name: name, className: cls)) }
            }
        }
        return out.sorted { ($0.name, $0.className) < ($1.name, $1.className) }
    }

    /// The model called `name` in `directory`, or its only model when `name` is nil. The error lists the
    /// models there when the choice is missing or ambiguous.
    public static func open(_ directory: String, name: String?) throws -> DFLModelFolder {
        let all = models(in: directory)
        let list = all.map { $0.name + " (" + $0.className + ")" }.joined(separator: ", ")
        guard !all.isEmpty else {
            throw TrainerError.corruptModel("\(directory): no DeepFaceLab model (no NAME_SAEHD_data.dat or NAME_SAEHDBW_data.dat)")
        }
        if let name {
            let matching = all.filter { $0.name == name }
            guard let m = matching.first else { throw TrainerError.invalidOption("\(directory): no DeepFaceLab model named '\(name)'; it holds \(list)") }
            guard matching.count == 1 else { throw TrainerError.invalidOption("\(directory): '\(name)' is both an SAEHD and an SAEHDBW model") }
            return m
        }
        guard all.count == 1 else {
            throw TrainerError.invalidOption("\(directory) holds several DeepFaceLab models, pick one with --dfl-name: \(list)")
        }
        return all[0]
    }

    // MARK: Reading

    /// data.dat: the state (options mapped to ours, the iteration), the loss history as loss.csv rows and the
    /// raw options dict.
    public func readData() throws -> (state: ModelState, losses: [LossRecord], options: PickleValue) {
        let path = dataPath
        let root = try Self.readPickle(path, limit: DFLFiles.maxDataFileBytes)
        guard case .dict = root else { throw TrainerError.corruptModel("\(path): not a DeepFaceLab data.dat (the pickle is not a dict)") }
        guard let iteration = root["iter"]?.intValue, iteration >= 0 else {
            throw TrainerError.corruptModel("\(path): no iteration count ('iter')")
        }
        guard let options = root["options"], case let .dict(pairs) = options else {
            throw TrainerError.corruptModel("\(path): no options dict")
        }
        let mapped: TrainingOptions
        do { mapped = try DFLOptionMapping.trainingOptions(pairs, channels: channels) } catch let e as TrainerError {
            throw TrainerError.invalidOption("\(path): \(e)")
        } catch {
            throw TrainerError.invalidOption("\(path): \(error)")
        }
        var losses: [LossRecord] = []
        if let history = root["loss_history"], history != .none {
            guard let rows = history.sequence else { throw TrainerError.corruptModel("\(path): loss_history is not a list") }
            losses.reserveCapacity(rows.count)
            for (i, row) in rows.enumerated() {
                guard let v = row.sequence, v.count >= 2, let s = v[0].doubleValue, let d = v[1].doubleValue else {
                    throw TrainerError.corruptModel("\(path): loss_history row \(i) is not [src_loss, dst_loss]")
                }
                losses.append(LossRecord(iteration: i + 1, src: s, dst: d, seconds: 0))
            }
        }
        return (ModelState(iteration: iteration, trainingSeconds: 0, options: mapped), losses, options)
    }

    /// Builds the model data.dat describes and loads every network file (and, with `includeOptimizer`, the
    /// optimizer's slots and iteration count). Every weight must be present with its exact shape.
    public func loadModel(includeOptimizer: Bool) throws -> (model: SAEHDModel, state: ModelState, losses: [LossRecord]) {
        let (state, losses, _) = try readData()
        let model = try makeModel(state.options)
        let config = model.config
        for network in DFLFiles.networks(config.archi) {
            let path = file(network + ".npy")
            let dict = try Self.readArrays(path)
            for p in model.parameters where p.name.hasPrefix(network + ".") {
                let key = SAEHDModel.dflKey(for: p.name).key
                guard let a = dict[key] else { throw TrainerError.corruptModel("\(path): weight \(key) is missing") }
                try Self.copy(a, into: p.value, what: "weight \(key)", path: path)
            }
        }
        // A discriminator whose file is missing starts from its initial weights and zeroed slots, as in DFL
        // (which saves GAN.npy only once the GAN has been on).
        let discriminators = model.discriminators.filter { FileManager.default.fileExists(atPath: file($0.network + ".npy")) }
        model.freshDiscriminators = model.discriminators.map(\.network).filter { !FileManager.default.fileExists(atPath: file($0 + ".npy")) }
        for d in discriminators {
            let path = file(d.network + ".npy")
            let dict = try Self.readArrays(path)
            for p in d.parameters {
                let key = SAEHDModel.dflKey(for: p.name).key
                guard let a = dict[key] else { throw TrainerError.corruptModel("\(path): weight \(key) is missing") }
                try Self.copy(a, into: p.value, what: "weight \(key)", path: path)
            }
        }
        if includeOptimizer {
            var groups: [(file: String, parameters: [Parameter], optimizer: Optimizer)] = DFLFiles.optimizers(config.archi).map { f in
                (f.file, model.parameters.filter { f.networks.contains(String($0.name.prefix { $0 != "." })) }, model.optimizer)
            }
            for d in discriminators where FileManager.default.fileExists(atPath: file(DFLFiles.optimizerFile(discriminator: d.network) + ".npy")) {
                groups.append((DFLFiles.optimizerFile(discriminator: d.network), d.parameters, d.optimizer))
            }
            for (fileName, parameters, optimizer) in groups {
                let index = Dictionary(uniqueKeysWithValues: optimizer.parameters.enumerated().map { ($1.name, $0) })
                let path = file(fileName + ".npy")
                let dict = try Self.readArrays(path, allowIntegers: true)
                for p in parameters {
                    for (j, prefix) in optimizer.slotPrefixes.enumerated() {
                        let key = DFLFiles.slotKey(prefix, parameter: p.name)
                        guard let a = dict[key] else {
                            throw TrainerError.corruptModel("\(path): optimizer slot \(key) is missing (is the model's adabelief option right?)")
                        }
                        try Self.copy(a, into: optimizer.slots[index[p.name]!][j], what: "optimizer slot \(key)", path: path)
                    }
                }
                guard let iters = dict["iters:0"], let n = try? iters.ints(), n.count == 1, n[0] >= 0 else {
                    throw TrainerError.corruptModel("\(path): no iteration count ('iters:0')")
                }
                optimizer.iterations = n[0]
            }
        }
        // DFL's networks see BGR images, ours RGB: convert the image-facing weights once, here.
        model.reverseImageChannelOrder(includingOptimizerSlots: includeOptimizer)
        return (model, state, losses)
    }

    /// Reads a pickle file through the whitelist reader; limits grow with the file (a long loss history
    /// has millions of values) but stay bounded by its size.
    static func readPickle(_ path: String, limit: Int) throws -> PickleValue {
        guard FileManager.default.fileExists(atPath: path) else { throw TrainerError.corruptModel("\(path): file is missing") }
        let bytes: [UInt8]
        do { bytes = try FileBytes.read(path, limit: limit) } catch { throw TrainerError.corruptModel("\(path): \(error)") }
        var limits = PickleReader.Limits()
        limits.maxValues = max(limits.maxValues, 2 * bytes.count)
        limits.maxMemo = max(limits.maxMemo, bytes.count)
        limits.maxStack = max(limits.maxStack, bytes.count)
        let value: PickleValue
        do { value = try PickleReader.read(bytes, limits: limits) } catch let FaceSetError.pickle(m, offset) {
            throw TrainerError.corruptModel("\(path): not a readable pickle (byte \(offset): \(m))")
        } catch {
            throw TrainerError.corruptModel("\(path): not a readable pickle (\(error))")
        }
        if let g = firstOpaque(value) {
            throw TrainerError.corruptModel("\(path): the pickle calls the Python global \(g), which is not allowed (only numpy arrays are read)")
        }
        return value
    }

    /// The first global outside the reader's whitelist, as `module.name`.
    static func firstOpaque(_ v: PickleValue) -> String? {
        switch v {
        case let .opaque(o): return o.module + "." + o.name
        case let .list(a), let .tuple(a): return a.lazy.compactMap(firstOpaque).first
        case let .dict(p): return p.lazy.compactMap { firstOpaque($0.key) ?? firstOpaque($0.value) }.first
        default: return nil
        }
    }

    /// A weight or optimizer file: a dict of string keys to float32/float16 arrays (and integer scalars,
    /// `iters:0`, when `allowIntegers`), returned as arrays (scalars as 0-d int64 arrays).
    static func readArrays(_ path: String, allowIntegers: Bool = false) throws -> [String: NDArray] {
        guard case let .dict(pairs) = try readPickle(path, limit: DFLFiles.maxWeightFileBytes) else {
            throw TrainerError.corruptModel("\(path): not a DeepFaceLab weight file (the pickle is not a dict)")
        }
        var out: [String: NDArray] = [:]
        for pair in pairs {
            guard case let .string(key) = pair.key else { throw TrainerError.corruptModel("\(path): a key is not a string") }
            switch pair.value {
            case let .ndarray(a) where ["f4", "f2"].contains(a.typeString) && a.byteOrder != ">":
                out[key] = a
            case let .ndarray(a) where allowIntegers && a.typeString.hasPrefix("i") && a.count == 1:
                out[key] = a
            case let .int(i) where allowIntegers:
                out[key] = try NDArray(int64s: [i], shape: [])
            default:
                throw TrainerError.corruptModel("\(path): \(key) is not a float32 or float16 array")
            }
        }
        return out
    }

    /// Copies array `a` into `t` (float16 widened); the shapes must match exactly.
    static func copy(_ a: NDArray, into t: Tensor, what: String, path: String) throws {
        guard a.shape == t.shape else {
            throw TrainerError.corruptModel("\(path): \(what) has shape \(a.shape), the model needs \(t.shape)")
        }
        let values = try a.floats()
        values.withUnsafeBufferPointer { t.data.update(from: $0.baseAddress!, count: t.count) }
    }

    // MARK: Writing

    /// Writes `model` as DFL model `name` in `directory` (created if missing): every network file, the
    /// optimizer file with a slot for every weight and `iters:0`, and data.dat (written last, so an export
    /// cut short is no loadable model). Refuses to replace an existing model of that name unless `force`.
    /// Returns the written paths.
    @discardableResult
    public static func export(model: SAEHDModel, state: ModelState, losses: [LossRecord], to directory: String,
                              name: String, force: Bool) throws -> [String] {
        guard !name.isEmpty, !name.contains("/"), !name.hasPrefix("."), name.utf8.count <= 200 else {
            throw TrainerError.invalidOption("DFL model name '\(name)' must be a plain file-name part")
        }
        // DFL lists the models of a folder by the part of the file names before the first '_'.
        guard !name.contains("_") else {
            throw TrainerError.invalidOption("DFL model name '\(name)' has a '_': DeepFaceLab names a model by the part "
                                             + "before the first '_' and would list it as '\(name.prefix { $0 != "_" })' and start a new model; "
                                             + "use a name without '_' (say '\(name.replacingOccurrences(of: "_", with: "-"))')")
        }
        // DFL takes a model at iteration 0 for a new one: it asks for every option and initialises the weights.
        guard state.iteration > 0 else {
            throw TrainerError.invalidOption("the model is at iteration 0, which DeepFaceLab takes for a new model (it would "
                                             + "ask for its options and start from fresh weights); train it at least one iteration first")
        }
        let config = model.config
        let target = DFLModelFolder(directory: directory, name: name, className: DFLFiles.className(channels: config.channels))
        let existing = models(in: directory).filter { $0.name == name }
        let discriminators = model.discriminators
        let networkFiles = (DFLFiles.networks(config.archi) + discriminators.map(\.network)).map { $0 + ".npy" }
        let optimizerFiles = (DFLFiles.optimizers(config.archi).map(\.file)
                              + discriminators.map { DFLFiles.optimizerFile(discriminator: $0.network) }).map { $0 + ".npy" }
        let present = (networkFiles + optimizerFiles + ["data.dat"]).map(target.file).filter { FileManager.default.fileExists(atPath: $0) }
        if !force, let first = existing.first.map(\.dataPath) ?? present.first {
            throw TrainerError.invalidOption("\(first): a DeepFaceLab model '\(name)' is already there (give --force to replace it)")
        }
        let dfl = try DFLOptionMapping.dflOptions(state.options)
        do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
            throw TrainerError.io("\(directory): cannot create directory (\(error.localizedDescription))")
        }
        var written: [String] = []
        func write(_ value: PickleValue, _ suffix: String) throws {
            let path = target.file(suffix)
            do { try AtomicFile.write(try PickleWriter.write(value), to: path) } catch {
                throw TrainerError.io("\(path): \(error)")
            }
            written.append(path)
        }
        let allParameters = model.parameters + discriminators.flatMap(\.parameters)
        // Our weights are for RGB images; DFL's networks see BGR (docs/dfl-model-folder.md, "Channel order").
        let channelAxis = Dictionary(uniqueKeysWithValues: model.imageChannelAxes.map { ($0.parameter.name, $0.axis) })
        func dflArray(_ t: Tensor, of name: String) throws -> NDArray {
            guard let axis = channelAxis[name] else { return try NDArray(floats: t.array, shape: t.shape) }
            let reversed = Tensor(shape: t.shape, values: t.array)
            reversed.reverse(axis: axis)
            return try NDArray(floats: reversed.array, shape: t.shape)
        }
        for network in DFLFiles.networks(config.archi) + discriminators.map(\.network) {
            var pairs: [PicklePair] = []
            for p in allParameters where p.name.hasPrefix(network + ".") {
                pairs.append(PicklePair(.string(SAEHDModel.dflKey(for: p.name).key), .ndarray(try dflArray(p.value, of: p.name))))
            }
            try write(.dict(pairs), network + ".npy")
        }
        var groups = DFLFiles.optimizers(config.archi).map { ($0.file, $0.networks, model.optimizer) }
        for d in discriminators { groups.append((DFLFiles.optimizerFile(discriminator: d.network), [d.network], d.optimizer)) }
        for (fileName, networks, optimizer) in groups {
            // DFL's order: iters, then every weight's first slot, then every weight's second slot.
            var pairs = [PicklePair(.string("iters:0"), .ndarray(try NDArray(int64s: [optimizer.iterations], shape: [])))]
            for (j, prefix) in optimizer.slotPrefixes.enumerated() {
                for (i, p) in optimizer.parameters.enumerated() where networks.contains(String(p.name.prefix { $0 != "." })) {
                    pairs.append(PicklePair(.string(DFLFiles.slotKey(prefix, parameter: p.name)),
                                            .ndarray(try dflArray(optimizer.slots[i][j], of: p.name))))
                }
            }
            try write(.dict(pairs), fileName + ".npy")
        }
        let history = losses.filter { $0.iteration <= state.iteration }.map { PickleValue.list([.float($0.src), .float($0.dst)]) }
        try write(.dict([PicklePair(.string("iter"), .int(state.iteration)),
                         PicklePair(.string("options"), .dict(dfl)),
                         PicklePair(.string("loss_history"), .list(history)),
                         PicklePair(.string("sample_for_preview"), .none),
                         PicklePair(.string("choosed_gpu_indexes"), .none)]), "data.dat")
        return written
    }
}

/// DFL's option keys (spec §6.1) ↔ TrainingOptions.
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
        let archi = try string("archi", "liae-ud").lowercased()
        let parts = archi.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count <= 2, ["df", "liae"].contains(String(parts[0])) else {
            throw TrainerError.invalidOption("archi '\(archi)' is not supported (df or liae with options u, d, t)")
        }
        if parts.count == 2, parts[1].contains("c") {
            throw TrainerError.invalidOption("archi '\(archi)': the c option is not supported")
        }
        let d = try int("d_dims", 64)
        let sizes = [try int("resolution", 128), try int("ae_dims", 256), try int("e_dims", 64), d,
                     try int("d_mask_dims", d / 3 + (d / 3) % 2)]
        let config = archi + "-" + sizes.map(String.init).joined(separator: "-")
        let normalized: String
        do { normalized = try ModelConfig(config, channels: channels).description } catch {
            throw TrainerError.invalidOption("\(error)")
        }
        var o = TrainingOptions(config: normalized, channels: channels, faceType: try string("face_type", "f"))
        o.optimizer = try bool("adabelief", true) ? "adabelief" : "rmsprop"
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
        o.ctMode = try string("ct_mode", "none")
        o.blurOutMask = try bool("blur_out_mask", false)
        o.faceStylePower = try double("face_style_power", 0)
        o.bgStylePower = try double("bg_style_power", 0)
        o.pretrain = try bool("pretrain", false)
        o.ganPower = try double("gan_power", 0)
        o.ganPatchSize = try int("gan_patch_size", sizes[0] / 8)
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
        let c = try o.modelConfig()
        let opts = ["u", "d", "t"].filter { c.options.contains(Character($0)) }.joined()
        let faceType = try o.parsedFaceType().shortName
        let adabelief = try o.optimizerKind() == .adabelief
        let mappedValues: [String: PickleValue] = [
            "target_iter": .int(o.targetIteration), "random_src_flip": .bool(o.randomSrcFlip),
            "random_dst_flip": .bool(o.randomDstFlip), "batch_size": .int(o.batchSize), "resolution": .int(c.resolution),
            "face_type": .string(faceType), "archi": .string(c.archi.rawValue + (opts.isEmpty ? "" : "-" + opts)),
            "ae_dims": .int(c.aeDims), "e_dims": .int(c.eDims), "d_dims": .int(c.dDims), "d_mask_dims": .int(c.dMaskDims),
            "masked_training": .bool(o.maskedTraining), "eyes_mouth_prio": .bool(o.eyesMouthPriority),
            "uniform_yaw": .bool(o.uniformYaw), "blur_out_mask": .bool(o.blurOutMask ?? false),
            "adabelief": .bool(adabelief), "lr_dropout": lrDropoutValue(o),
            "random_warp": .bool(o.randomWarp), "random_hsv_power": .float(o.randomHSVPower),
            "face_style_power": .float(o.faceStylePower ?? 0), "bg_style_power": .float(o.bgStylePower ?? 0),
            "ct_mode": .string(o.ctMode), "clipgrad": .bool(o.clipGradient), "pretrain": .bool(o.isPretraining),
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

// MARK: Opening any model

/// A model opened from one of our model directories or a DFL model folder.
public struct OpenedModel {
    public let model: SAEHDModel
    public let state: ModelState
    /// The loss history (loss.csv rows, or DFL's loss_history).
    public let losses: [LossRecord]
    /// The DFL model it came from, nil for our model directories.
    public let dfl: DFLModelFolder?
}

/// Opens the model at `path`: our model directory (model.json …) or, when it holds none, a DeepFaceLab
/// model folder (`dflName` picks one of several). DFL folders are only read.
public func openModel(_ path: String, dflName: String? = nil, includeOptimizer: Bool = true) throws -> OpenedModel {
    let directory = ModelDirectory(path)
    if directory.hasModel {
        let (model, state) = try directory.loadModel()
        return OpenedModel(model: model, state: state, losses: LossLog.read(path: directory.lossLogPath, upTo: state.iteration), dfl: nil)
    }
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
        throw TrainerError.corruptModel("\(path): no such model directory")
    }
    guard !DFLModelFolder.models(in: path).isEmpty else {
        throw TrainerError.corruptModel("\(path): no model (neither dfl-train's model.json nor a DeepFaceLab NAME_SAEHD_data.dat)")
    }
    let folder = try DFLModelFolder.open(path, name: dflName)
    let (model, state, losses) = try folder.loadModel(includeOptimizer: includeOptimizer)
    return OpenedModel(model: model, state: state, losses: losses, dfl: folder)
}

/// `dfl-train --import-dfl`: makes `modelDirectory` (which must hold no model yet) from DFL model folder
/// `dflDirectory`: weights, optimizer slots and iteration, options, loss history (loss.csv).
@discardableResult
public func importDFLModel(from dflDirectory: String, name: String?, into modelDirectory: String) throws -> ModelState {
    let directory = ModelDirectory(modelDirectory)
    guard !directory.hasModel else {
        throw TrainerError.invalidOption("\(modelDirectory): already holds a model; import into a new directory")
    }
    let folder = try DFLModelFolder.open(dflDirectory, name: name)
    let (model, state, losses) = try folder.loadModel(includeOptimizer: true)
    try directory.save(model: model, state: state)
    try LossLog.write(losses.filter { $0.iteration <= state.iteration }, to: directory.lossLogPath)
    return state
}

extension DFLModelFolder {
    /// The options dict DFL's data.dat would hold for `options` (what --export-dfl writes).
    public static func dflOptions(for options: TrainingOptions) throws -> PickleValue {
        .dict(try DFLOptionMapping.dflOptions(options))
    }
}
