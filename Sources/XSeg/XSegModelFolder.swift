// DeepFaceLab's XSeg model folder, read and written (docs/xseg.md, "Model folder"): `XSeg_<res>.npy` (pickled
// dict of weights, keys `conv01/conv/weight:0` …), `XSeg_<res>_opt.npy` (RMSprop `acc_XSeg/…_0:0` slots and
// `iters:0`), `XSeg_data.dat` (iteration, options, loss history, preview batch), `XSeg_default_options.dat`
// and `XSeg_summary.txt`. Pickles go through FaceSet's whitelist reader: only numpy arrays and plain Python
// values are interpreted, any other global is refused, nothing is executed.
//
// DFL's network sees BGR, ours RGB: the first convolution's input-channel axis (and its RMSprop slot) is
// reversed here, at the boundary, so everything inside the project is RGB (docs/xseg.md, "Input"; the same
// design as docs/dfl-model-folder.md, "Channel order").
import AtomicIO
import FaceSet
import Foundation
import NeuralNet

/// What `XSeg_data.dat` holds besides the weights.
public struct XSegState: Equatable, Sendable {
    /// Training iterations done (`iter`).
    public var iteration: Int
    /// DFL's face type short name (`h`, `mf`, `f`, `wf`, `head`): the crops the model was trained on.
    public var faceType: String
    public var pretrain: Bool
    public var batchSize: Int
    /// One loss per iteration (`loss_history`, each stored as a one-element list).
    public var lossHistory: [Double]
    /// Options other than the three above, kept in their order and written back.
    public var otherOptions: [PicklePair]
    /// DFL's preview batch (`sample_for_preview`, DFL's BGR arrays) as read, written back unchanged;
    /// `.none` when there is none (DFL then draws a new one).
    public var previewSamples: PickleValue
    /// `choosed_gpu_indexes` as read (`.none` normally).
    public var gpuIndexes: PickleValue

    /// A state with DFL's XSeg defaults (face type wf, batch 4, not pretraining).
    public init(iteration: Int = 0, faceType: String = "wf", pretrain: Bool = false, batchSize: Int = 4,
                lossHistory: [Double] = [], otherOptions: [PicklePair] = [], previewSamples: PickleValue = .none,
                gpuIndexes: PickleValue = .none) {
        self.iteration = iteration; self.faceType = faceType; self.pretrain = pretrain; self.batchSize = batchSize
        self.lossHistory = lossHistory; self.otherOptions = otherOptions; self.previewSamples = previewSamples
        self.gpuIndexes = gpuIndexes
    }

    /// The options dict in DFL's key order.
    var options: [PicklePair] {
        [PicklePair(.string("face_type"), .string(faceType)), PicklePair(.string("pretrain"), .bool(pretrain)),
         PicklePair(.string("batch_size"), .int(batchSize))] + otherOptions
    }
}

/// An XSeg model: the network (RGB), its RMSprop optimizer, and `XSeg_data.dat`'s state (nil when the
/// folder has no data.dat, e.g. an SAEHD folder holding only `XSeg_256.npy` for the merger).
public struct XSegModel {
    public let network: XSegNetwork
    public let optimizer: Optimizer
    public var state: XSegState?

    public init(network: XSegNetwork, optimizer: Optimizer, state: XSegState?) {
        self.network = network; self.optimizer = optimizer; self.state = state
    }
}

/// Reading and writing DFL's XSeg model files (docs/xseg.md, "Model folder").
public enum XSegModelFolder {
    /// DFL's model name for XSeg; every file starts with it.
    public static let modelName = "XSeg"
    /// Largest weight or optimizer file read (DFL's 256 px base-32 model is 70 MB).
    public static let maxWeightFileBytes = 4 << 30
    /// Largest data.dat read (it holds the loss history and the preview batch).
    public static let maxDataFileBytes = 2 << 30

    public static func weightsFile(resolution: Int) -> String { "\(modelName)_\(resolution).npy" }
    public static func optimizerFile(resolution: Int) -> String { "\(modelName)_\(resolution)_opt.npy" }
    public static let dataFile = "\(modelName)_data.dat"
    public static let defaultOptionsFile = "\(modelName)_default_options.dat"
    public static let summaryFile = "\(modelName)_summary.txt"

    /// The resolutions of the XSeg weight files (`XSeg_<res>.npy`) in `directory`, ascending.
    public static func resolutions(in directory: String) -> [Int] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.compactMap { name -> Int? in
            guard name.hasPrefix(modelName + "_"), name.hasSuffix(".npy") else { return nil }
            let middle = name.dropFirst(modelName.count + 1).dropLast(4)
            guard !middle.isEmpty, middle.allSatisfy(\.isASCII), middle.allSatisfy(\.isNumber), let r = Int(middle),
                  String(r) == middle else { return nil }
            return r
        }.sorted()
    }

    // MARK: Reading

    /// Reads the XSeg model in `directory` (the resolution from the weight file's name; pass `resolution`
    /// when there are several). Every weight must be present with its exact shape, and no other key may be
    /// there (an XSeg model from before DFL's May 2021 layer change is refused). With `includeOptimizer`,
    /// the RMSprop slots and step count come from `XSeg_<res>_opt.npy` when it exists, and start at zero
    /// when it does not (as DFL). `state` is nil when there is no `XSeg_data.dat`.
    public static func read(_ directory: String, resolution: Int? = nil, includeOptimizer: Bool = true) throws -> XSegModel {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw XSegError("\(directory): no such directory")
        }
        let found = resolutions(in: directory)
        let res: Int
        if let resolution {
            guard found.contains(resolution) else {
                throw XSegError("\(directory): no \(weightsFile(resolution: resolution))"
                                + (found.isEmpty ? "" : " (it has \(found.map { weightsFile(resolution: $0) }.joined(separator: ", ")))"))
            }
            res = resolution
        } else {
            guard let only = found.first else { throw notXSeg(directory) }
            guard found.count == 1 else {
                throw XSegError("\(directory): several XSeg models (\(found.map { weightsFile(resolution: $0) }.joined(separator: ", "))); pick a resolution")
            }
            res = only
        }
        guard res >= 64, res % 64 == 0 else {
            throw XSegError("\(directory)/\(weightsFile(resolution: res)): resolution \(res) is not a multiple of 64 (DFL's XSeg is 256)")
        }
        let weightsPath = directory + "/" + weightsFile(resolution: res)
        let weights = try readArrays(weightsPath, allowIntegers: false)
        let network = try makeNetwork(resolution: res, weights: weights, path: weightsPath)
        for p in network.parameters {
            try copy(weights[XSegNetwork.dflKey(p.name)]!, into: p.value, what: "weight \(XSegNetwork.dflKey(p.name))", path: weightsPath)
        }
        let optimizer = XSegNetwork.dflOptimizer(for: network)
        let optimizerPath = directory + "/" + optimizerFile(resolution: res)
        let optimizerLoaded = includeOptimizer && FileManager.default.fileExists(atPath: optimizerPath)
        if optimizerLoaded {
            let slots = try readArrays(optimizerPath, allowIntegers: true)
            let expected = Set(network.parameters.map { XSegNetwork.dflSlotKey($0.name) } + ["iters:0"])
            if let extra = slots.keys.sorted().first(where: { !expected.contains($0) }) {
                throw XSegError("\(optimizerPath): unexpected key \(extra) (not an RMSprop slot of this XSeg network)")
            }
            for (i, p) in network.parameters.enumerated() {
                let key = XSegNetwork.dflSlotKey(p.name)
                guard let a = slots[key] else { throw XSegError("\(optimizerPath): optimizer slot \(key) is missing") }
                try copy(a, into: optimizer.slots[i][0], what: "optimizer slot \(key)", path: optimizerPath)
            }
            guard let iters = slots["iters:0"], let n = try? iters.ints(), n.count == 1, n[0] >= 0 else {
                throw XSegError("\(optimizerPath): no step count ('iters:0')")
            }
            optimizer.iterations = n[0]
        }
        let dataPath = directory + "/" + dataFile
        let state = FileManager.default.fileExists(atPath: dataPath) ? try readState(dataPath) : nil
        // DFL's first convolution reads BGR; ours reads RGB.
        network.inputConvWeight.value.reverse(axis: 2)
        if optimizerLoaded { optimizer.slots[0][0].reverse(axis: 2) }
        return XSegModel(network: network, optimizer: optimizer, state: state)
    }

    /// The error for a folder without `XSeg_<res>.npy`, naming what it holds instead when it is another
    /// DeepFaceLab model.
    static func notXSeg(_ directory: String) -> XSegError {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
        if let data = names.first(where: { $0.hasSuffix("_data.dat") && !$0.hasPrefix(modelName + "_") }) {
            let stem = data.dropLast("_data.dat".count)
            let kind = stem.split(separator: "_").last.map(String.init) ?? "other"
            return XSegError("\(directory): a DeepFaceLab \(kind) model folder (\(data)), not an XSeg model: it has no XSeg_<res>.npy")
        }
        if names.contains(dataFile) {
            return XSegError("\(directory): \(dataFile) but no XSeg_<res>.npy weight file")
        }
        return XSegError("\(directory): no XSeg model (no XSeg_<res>.npy)")
    }

    /// Checks the weight file's keys against the network its first convolution and resolution describe.
    static func makeNetwork(resolution: Int, weights: [String: NDArray], path: String) throws -> XSegNetwork {
        guard let first = weights["conv01/conv/weight:0"] else {
            throw XSegError("\(path): not an XSeg weight file (no conv01/conv/weight:0)")
        }
        // Before DFL's commit 66bb72f (May 2021) XSeg had conv23/uconv23/conv_center and no dense layers.
        if weights["conv_center/conv/weight:0"] != nil || weights["dense1/weight:0"] == nil {
            throw XSegError("\(path): an XSeg model from before DeepFaceLab's May 2021 change (no dense1, or conv_center); "
                            + "DeepFaceLab cannot load it either: retrain it")
        }
        guard first.shape.count == 4, first.shape[0] == 3, first.shape[1] == 3, first.shape[2] == XSegNetwork.inputChannels,
              first.shape[3] >= 1, first.shape[3] <= 4096 else {
            throw XSegError("\(path): conv01/conv/weight:0 has shape \(first.shape), want (3, 3, 3, base channels)")
        }
        let network = XSegNetwork(resolution: resolution, baseChannels: first.shape[3])
        let expected = Set(network.parameters.map { XSegNetwork.dflKey($0.name) })
        if let extra = weights.keys.sorted().first(where: { !expected.contains($0) }) {
            throw XSegError("\(path): unexpected key \(extra) (not a layer of DFL's XSeg network)")
        }
        for p in network.parameters where weights[XSegNetwork.dflKey(p.name)] == nil {
            throw XSegError("\(path): weight \(XSegNetwork.dflKey(p.name)) is missing")
        }
        return network
    }

    /// `XSeg_data.dat`: iteration, options (face_type, pretrain, batch_size, others kept), loss history,
    /// preview batch.
    static func readState(_ path: String) throws -> XSegState {
        guard case let .dict(pairs) = try readPickle(path, limit: maxDataFileBytes) else {
            throw XSegError("\(path): not a DeepFaceLab data.dat (the pickle is not a dict)")
        }
        let root = PickleValue.dict(pairs)
        guard let iteration = root["iter"]?.intValue, iteration >= 0 else {
            throw XSegError("\(path): no iteration count ('iter')")
        }
        guard case let .dict(options)? = root["options"] else { throw XSegError("\(path): no options dict") }
        var state = XSegState(iteration: iteration)
        for pair in options {
            guard case let .string(key) = pair.key else { throw XSegError("\(path): an option key is not a string") }
            switch (key, pair.value) {
            case let ("face_type", .string(s)):
                guard FaceType(argument: s) != nil else { throw XSegError("\(path): face_type '\(s)' is not a DFL face type") }
                state.faceType = s
            case let ("pretrain", .bool(b)): state.pretrain = b
            case let ("batch_size", .int(b)) where b >= 1: state.batchSize = b
            case ("face_type", _), ("pretrain", _), ("batch_size", _):
                throw XSegError("\(path): option \(key) has an unexpected value \(pair.value)")
            default: state.otherOptions.append(pair)
            }
        }
        if let history = root["loss_history"], history != .none {
            guard let rows = history.sequence else { throw XSegError("\(path): loss_history is not a list") }
            state.lossHistory.reserveCapacity(rows.count)
            for (i, row) in rows.enumerated() {
                guard let v = row.sequence, v.count == 1, let loss = v[0].doubleValue else {
                    throw XSegError("\(path): loss_history row \(i) is not [loss]")
                }
                state.lossHistory.append(loss)
            }
        }
        state.previewSamples = root["sample_for_preview"] ?? .none
        state.gpuIndexes = root["choosed_gpu_indexes"] ?? .none
        return state
    }

    /// A pickle file through the whitelist reader (`DFLPickleFile.read`).
    static func readPickle(_ path: String, limit: Int) throws -> PickleValue {
        do { return try DFLPickleFile.read(path, limit: limit) } catch let e as DFLPickleFile.ReadError { throw XSegError(e.description) }
    }

    /// A weight or optimizer file (`DFLPickleFile.arrays`).
    static func readArrays(_ path: String, allowIntegers: Bool) throws -> [String: NDArray] {
        do { return try DFLPickleFile.arrays(path, limit: maxWeightFileBytes, allowIntegers: allowIntegers) }
        catch let e as DFLPickleFile.ReadError { throw XSegError(e.description) }
    }

    /// Copies array `a` into `t` (float16 widened); the shapes must match exactly.
    static func copy(_ a: NDArray, into t: Tensor, what: String, path: String) throws {
        guard a.shape == t.shape else {
            throw XSegError("\(path): \(what) has shape \(a.shape), the network needs \(t.shape)")
        }
        let values: [Float]
        do { values = try a.floats() } catch { throw XSegError("\(path): \(what): \(error)") }
        values.withUnsafeBufferPointer { t.data.update(from: $0.baseAddress!, count: t.count) }
    }

    // MARK: Writing

    /// Writes `model` as DFL's XSeg model into `directory` (created if missing), in DFL's save order:
    /// `XSeg_summary.txt`, `XSeg_<res>_opt.npy`, `XSeg_<res>.npy`, `XSeg_data.dat` (last, so a write cut short
    /// leaves no loadable model), and `XSeg_default_options.dat` when the folder has none. The weights are
    /// turned back to BGR. Refuses to replace an XSeg model of that resolution unless `force`. Returns the
    /// written paths.
    @discardableResult
    public static func write(_ model: XSegModel, to directory: String, force: Bool = false) throws -> [String] {
        guard let state = model.state else {
            throw XSegError("the XSeg model has no XSeg_data.dat state (iteration, options) to write")
        }
        let network = model.network, res = network.resolution
        guard model.optimizer.parameters.map(\.name) == network.parameters.map(\.name), model.optimizer.kind == .rmsprop else {
            throw XSegError("the optimizer is not the XSeg network's RMSprop")
        }
        let weightsPath = directory + "/" + weightsFile(resolution: res)
        if !force, FileManager.default.fileExists(atPath: weightsPath) {
            throw XSegError("\(weightsPath): an XSeg model is already there (force to replace it)")
        }
        do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
            throw XSegError("\(directory): cannot create directory (\(error.localizedDescription))")
        }
        var written: [String] = []
        func write(_ bytes: [UInt8], _ name: String) throws {
            let path = directory + "/" + name
            do { try AtomicFile.write(bytes, to: path) } catch { throw XSegError("\(path): \(error)") }
            written.append(path)
        }
        func pickle(_ value: PickleValue) throws -> [UInt8] {
            do { return try PickleWriter.write(value) } catch { throw XSegError("cannot write the pickle: \(error)") }
        }
        // Our first convolution reads RGB, DFL's BGR.
        let inputWeight = network.inputConvWeight.name
        func dflArray(_ t: Tensor, of name: String) throws -> NDArray {
            guard name == inputWeight else { return try NDArray(floats: t.array, shape: t.shape) }
            let reversed = Tensor(shape: t.shape, values: t.array)
            reversed.reverse(axis: 2)
            return try NDArray(floats: reversed.array, shape: t.shape)
        }
        try write(Array(summary(state).utf8), summaryFile)
        var slots = [PicklePair(.string("iters:0"), .ndarray(try NDArray(int64s: [model.optimizer.iterations], shape: [])))]
        for (i, p) in network.parameters.enumerated() {
            slots.append(PicklePair(.string(XSegNetwork.dflSlotKey(p.name)), .ndarray(try dflArray(model.optimizer.slots[i][0], of: p.name))))
        }
        try write(try pickle(.dict(slots)), optimizerFile(resolution: res))
        let weights = try network.parameters.map { p in
            PicklePair(.string(XSegNetwork.dflKey(p.name)), .ndarray(try dflArray(p.value, of: p.name)))
        }
        try write(try pickle(.dict(weights)), weightsFile(resolution: res))
        let history = state.lossHistory.map { PickleValue.list([.float($0)]) }
        try write(try pickle(.dict([PicklePair(.string("iter"), .int(state.iteration)),
                                    PicklePair(.string("options"), .dict(state.options)),
                                    PicklePair(.string("loss_history"), .list(history)),
                                    PicklePair(.string("sample_for_preview"), state.previewSamples),
                                    PicklePair(.string("choosed_gpu_indexes"), state.gpuIndexes)])), dataFile)
        if !FileManager.default.fileExists(atPath: directory + "/" + defaultOptionsFile) {
            try write(try pickle(.dict(state.options)), defaultOptionsFile)
        }
        return written
    }

    /// DFL's `XSeg_summary.txt`: the model name, iteration and options as a boxed table (keys right-aligned,
    /// values left-aligned), then the device.
    static func summary(_ state: XSegState) -> String {
        func text(_ v: PickleValue) -> String {
            switch v {
            case let .bool(b): return b ? "True" : "False"
            case let .int(i): return String(i)
            case let .float(d): return String(d)
            case let .string(s): return s
            case .none: return "None"
            default: return "…"
            }
        }
        let options = state.options.map { (text($0.key), text($0.value)) }
        let rows = [("Model name", modelName), ("Current iteration", String(state.iteration))] + options
            + [("Using device", "CPU")]
        let keyWidth = rows.map(\.0.count).max()!, valueWidth = rows.map(\.1.count).max()!
        let width = 3 + keyWidth + 2 + valueWidth + 3
        // Python's str.center: the odd space goes left when both the padding and the width are odd.
        func center(_ s: String, _ w: Int, _ fill: Character) -> String {
            let pad = max(0, w - s.count), left = pad / 2 + (pad & w & 1)
            return String(repeating: fill, count: left) + s + String(repeating: fill, count: pad - left)
        }
        func row(_ k: String, _ v: String) -> String {
            "== " + String(repeating: " ", count: keyWidth - k.count) + k + ": " + v
                + String(repeating: " ", count: valueWidth - v.count) + " =="
        }
        let blank = "==" + String(repeating: " ", count: width - 4) + "=="
        func section(_ title: String) -> String { "==" + center(" \(title) ", width - 4, "-") + "==" }
        var lines = [center(" Model Summary ", width, "="), blank, row(rows[0].0, rows[0].1), blank, row(rows[1].0, rows[1].1),
                     blank, section("Model Options"), blank]
        lines += options.map { row($0.0, $0.1) }
        lines += [blank, section("Running On"), blank, row("Using device", "CPU"), blank, String(repeating: "=", count: width)]
        return lines.joined(separator: "\n")   // DFL writes no final newline
    }
}
