// One DeepFaceLab model in a folder (docs/dfl-model-folder.md §7): files `NAME_CLASS_<suffix>` with CLASS =
// SAEHD (3 channels) or SAEHDBW (1 channel): finding it, loading it into our model (the image channels
// turned from DFL's BGR to our RGB, SAEHD/ImageChannelOrder.swift) and writing ours as one.
import AtomicIO
import FaceSet
import Foundation
import NeuralNet
import SAEHD

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
        let root = try DFLFiles.readPickle(path, limit: DFLFiles.maxDataFileBytes)
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
            let dict = try DFLFiles.readArrays(path)
            for p in model.parameters where p.name.hasPrefix(network + ".") {
                let key = SAEHDModel.dflKey(for: p.name).key
                guard let a = dict[key] else { throw TrainerError.corruptModel("\(path): weight \(key) is missing") }
                try DFLFiles.copy(a, into: p.value, what: "weight \(key)", path: path)
            }
        }
        // A discriminator whose file is missing starts from its initial weights and zeroed slots, as in DFL
        // (which saves GAN.npy only once the GAN has been on).
        let discriminators = model.discriminators.filter { FileManager.default.fileExists(atPath: file($0.network + ".npy")) }
        model.freshDiscriminators = model.discriminators.map(\.network).filter { !FileManager.default.fileExists(atPath: file($0 + ".npy")) }
        for d in discriminators {
            let path = file(d.network + ".npy")
            let dict = try DFLFiles.readArrays(path)
            for p in d.parameters {
                let key = SAEHDModel.dflKey(for: p.name).key
                guard let a = dict[key] else { throw TrainerError.corruptModel("\(path): weight \(key) is missing") }
                try DFLFiles.copy(a, into: p.value, what: "weight \(key)", path: path)
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
                let dict = try DFLFiles.readArrays(path, allowIntegers: true)
                for p in parameters {
                    for (j, prefix) in optimizer.slotPrefixes.enumerated() {
                        let key = DFLFiles.slotKey(prefix, parameter: p.name)
                        guard let a = dict[key] else {
                            throw TrainerError.corruptModel("\(path): optimizer slot \(key) is missing (is the model's adabelief option right?)")
                        }
                        try DFLFiles.copy(a, into: optimizer.slots[index[p.name]!][j], what: "optimizer slot \(key)", path: path)
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
