// dfl-xseg's model directory (docs/xseg.md, "Our model directory"): the same crash-safe generations as
// dfl-train's (GenerationStore.swift), holding
//
//   model.json             XSegModelState: "kind": "xseg", iteration, training time, resolution, base
//                          channels, face type, batch size, target iteration, seed
//   weights.safetensors    the network's weights by parameter name (`XSeg.conv01.conv.weight`, …), RGB
//   optimizer.safetensors  the RMSprop slots (`acc.<name>`), the step count in the metadata
//   dfl-state.pickle       only for a model imported from DeepFaceLab: data.dat's other options, preview batch
//                          and GPU choice, written back unchanged on export
//
// beside loss.csv (`iteration,loss,seconds`), quality.csv (`iteration,seconds,iou`, --holdout) and preview/.
import AtomicIO
import FaceSet
import Foundation
import NeuralNet
import XSeg

/// What model.json of an XSeg model holds besides the weights.
public struct XSegModelState: Codable, Equatable, Sendable {
    public static let currentFormatVersion = 1
    /// model.json's `kind`: what tells an XSeg model directory from dfl-train's.
    public static let kindName = "xseg"
    public var formatVersion = XSegModelState.currentFormatVersion
    /// Completed training iterations.
    public var iteration: Int
    /// Seconds spent training (all sessions together).
    public var trainingSeconds: Double
    // Fixed at creation.
    /// Input side (a multiple of 64; DFL: 256).
    public var resolution: Int
    /// Base channel width (DFL: 32).
    public var baseChannels: Int
    /// The face type of the crops the model learns (DFL's default: wf).
    public var faceType: FaceType
    /// Seed of the weights, sample order, augmentation and lr-dropout masks.
    public var seed: UInt64
    // May change on resume.
    public var batchSize: Int
    /// Stop at this iteration (0: no limit).
    public var targetIteration: Int
    /// DFL's pretrain flag of an imported model (we do not pretrain; training ends it, as DFL does).
    public var pretrain: Bool

    public init(iteration: Int = 0, trainingSeconds: Double = 0, resolution: Int = XSegNetwork.dflResolution,
                baseChannels: Int = XSegNetwork.dflBaseChannels, faceType: FaceType = .wholeFace, seed: UInt64 = 0,
                batchSize: Int = 4, targetIteration: Int = 0, pretrain: Bool = false) {
        self.iteration = iteration; self.trainingSeconds = trainingSeconds; self.resolution = resolution
        self.baseChannels = baseChannels; self.faceType = faceType; self.seed = seed; self.batchSize = batchSize
        self.targetIteration = targetIteration; self.pretrain = pretrain
    }

    /// Throws for values no XSeg model can have.
    public func validate() throws {
        guard resolution >= 64, resolution % 64 == 0, resolution <= 1024 else {
            throw TrainerError.invalidOption("XSeg resolution \(resolution) is not a multiple of 64 in 64…1024")
        }
        guard baseChannels >= 1, baseChannels <= 256 else { throw TrainerError.invalidOption("XSeg base channels \(baseChannels) is not in 1…256") }
        guard TrainingOptions.trainableFaceTypes.contains(faceType) else {
            throw TrainerError.invalidOption("face type \(faceType.shortName) is not one a model is trained on (h, mf, f, wf, head)")
        }
        guard batchSize >= 1, batchSize <= 256 else { throw TrainerError.invalidOption("batch size \(batchSize) is not in 1…256") }
        guard iteration >= 0, targetIteration >= 0, trainingSeconds >= 0 else { throw TrainerError.invalidOption("negative iteration or time") }
    }

    enum CodingKeys: String, CodingKey {
        case formatVersion, kind, iteration, trainingSeconds, resolution, baseChannels, faceType, seed, batchSize,
             targetIteration, pretrain
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        guard try c.decode(String.self, forKey: .kind) == Self.kindName else {
            throw DecodingError.dataCorruptedError(forKey: .kind, in: c, debugDescription: "not an XSeg model")
        }
        formatVersion = try c.decode(Int.self, forKey: .formatVersion)
        iteration = try c.decode(Int.self, forKey: .iteration)
        trainingSeconds = try c.decode(Double.self, forKey: .trainingSeconds)
        resolution = try c.decode(Int.self, forKey: .resolution)
        baseChannels = try c.decode(Int.self, forKey: .baseChannels)
        let ft = try c.decode(String.self, forKey: .faceType)
        guard let t = FaceType(argument: ft) else {
            throw DecodingError.dataCorruptedError(forKey: .faceType, in: c, debugDescription: "unknown face type \(ft)")
        }
        faceType = t
        seed = try c.decode(UInt64.self, forKey: .seed)
        batchSize = try c.decode(Int.self, forKey: .batchSize)
        targetIteration = try c.decode(Int.self, forKey: .targetIteration)
        pretrain = try c.decodeIfPresent(Bool.self, forKey: .pretrain) ?? false
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(formatVersion, forKey: .formatVersion)
        try c.encode(Self.kindName, forKey: .kind)
        try c.encode(iteration, forKey: .iteration)
        try c.encode(trainingSeconds, forKey: .trainingSeconds)
        try c.encode(resolution, forKey: .resolution)
        try c.encode(baseChannels, forKey: .baseChannels)
        try c.encode(faceType.shortName, forKey: .faceType)
        try c.encode(seed, forKey: .seed)
        try c.encode(batchSize, forKey: .batchSize)
        try c.encode(targetIteration, forKey: .targetIteration)
        if pretrain { try c.encode(pretrain, forKey: .pretrain) }
    }

    /// Whether a model.json's bytes describe an XSeg model (dfl-train uses it to name what it was given).
    public static func describesXSeg(_ json: Data) -> Bool {
        ((try? JSONSerialization.jsonObject(with: json)) as? [String: Any])?["kind"] as? String == kindName
    }
}

/// DeepFaceLab's parts of `XSeg_data.dat` that an imported model keeps for its export (XSegState's).
public struct XSegDFLExtras: Equatable, Sendable {
    public var otherOptions: [PicklePair] = []
    public var previewSamples: PickleValue = .none
    public var gpuIndexes: PickleValue = .none

    public init(otherOptions: [PicklePair] = [], previewSamples: PickleValue = .none, gpuIndexes: PickleValue = .none) {
        self.otherOptions = otherOptions; self.previewSamples = previewSamples; self.gpuIndexes = gpuIndexes
    }

    public var isEmpty: Bool { otherOptions.isEmpty && previewSamples == .none && gpuIndexes == .none }
}

/// One row of an XSeg model's loss.csv.
public struct XSegLossRecord: LogRow {
    public var iteration: Int
    public var loss: Double
    public var seconds: Double

    public init(iteration: Int, loss: Double, seconds: Double) {
        self.iteration = iteration; self.loss = loss; self.seconds = seconds
    }

    public static func header(wide: Bool) -> String { "iteration,loss,seconds" }
    public static let maxFileBytes = 1 << 30
    public var needsWideColumns: Bool { false }
    public func line(wide: Bool) -> String { String(format: "%d,%.6f,%.3f", iteration, loss, seconds) }
    public func exactLine(wide: Bool) -> String { "\(iteration),\(loss)," + String(format: "%.3f", seconds) }
    public init?(fields f: [Substring]) {
        guard f.count == 3, let it = Int(f[0]), let l = Double(f[1]), let s = Double(f[2]) else { return nil }
        self.init(iteration: it, loss: l, seconds: s)
    }
}

/// One row of an XSeg model's quality.csv: the held-out faces' mean mask IoU.
public struct XSegQualityRecord: LogRow {
    public var iteration: Int
    public var seconds: Double
    public var iou: Double

    public init(iteration: Int, seconds: Double, iou: Double) {
        self.iteration = iteration; self.seconds = seconds; self.iou = iou
    }

    public static func header(wide: Bool) -> String { "iteration,seconds,iou" }
    public static let maxFileBytes = 16 << 20
    public var needsWideColumns: Bool { false }
    public func line(wide: Bool) -> String { String(format: "%d,%.3f,%.6f", iteration, seconds, iou) }
    public func exactLine(wide: Bool) -> String { line(wide: wide) }
    public init?(fields f: [Substring]) {
        guard f.count == 3, let it = Int(f[0]), let s = Double(f[1]), let q = Double(f[2]) else { return nil }
        self.init(iteration: it, seconds: s, iou: q)
    }
}

public typealias XSegLossLog = RowLog<XSegLossRecord>
public typealias XSegQualityLog = RowLog<XSegQualityRecord>

/// An XSeg model directory on disk (see the file comment).
public struct XSegModelDirectory: Sendable {
    public let path: String
    public static let fileNames = ["model.json", "weights.safetensors", "optimizer.safetensors"]
    public static let dflStateFile = "dfl-state.pickle"
    static let maxStateBytes = 1 << 20
    static let maxDFLStateBytes = 1 << 30

    public init(_ path: String) { self.path = path }

    public var generations: GenerationStore {
        GenerationStore(path: path, markerFile: "model.json", linkedFiles: Self.fileNames)
    }
    public var lossLogPath: String { path + "/loss.csv" }
    public var qualityLogPath: String { path + "/quality.csv" }
    public var previewDirectory: String { path + "/preview" }

    /// Whether the folder holds a saved model (ours: XSeg or not; `loadState` tells).
    public var hasModel: Bool { !generations.loadableGenerations.isEmpty }
    public var isSingleSave: Bool { generations.isSingleSave }

    /// Throws unless the folder is missing, empty or holds only what a first save killed half-way leaves.
    public func checkUsableForNewModel() throws {
        try generations.checkUsableForNew(ours: ["saves", "loss.csv", "quality.csv", "preview", "backups"],
                                          message: "\(path) is not empty and holds no model; use an empty or new directory")
    }

    private func withLoadableGeneration<T>(_ body: (String) throws -> T) throws -> T {
        try generations.withLoadableGeneration(none: TrainerError.corruptModel("\(path): no saved XSeg model"), body)
    }

    /// model.json of the newest loadable save.
    public func loadState() throws -> XSegModelState { try withLoadableGeneration(Self.readState) }

    static func readState(_ gen: String) throws -> XSegModelState {
        let file = gen + "/model.json"
        guard let data = FileManager.default.contents(atPath: file) else { throw TrainerError.corruptModel("\(file): cannot read") }
        guard data.count <= maxStateBytes else { throw TrainerError.corruptModel("\(file): too large") }
        guard XSegModelState.describesXSeg(data) else {
            throw TrainerError.incompatibleModel("\(file): a dfl-train (SAEHD) model, not an XSeg model")
        }
        let state: XSegModelState
        do { state = try JSONDecoder().decode(XSegModelState.self, from: data) } catch {
            throw TrainerError.corruptModel("\(file): not an XSeg model description (\(error))")
        }
        guard state.formatVersion == XSegModelState.currentFormatVersion else {
            throw TrainerError.corruptModel("\(file): format version \(state.formatVersion) is not supported")
        }
        do { try state.validate() } catch { throw TrainerError.corruptModel("\(file): \(error)") }
        return state
    }

    /// The network (and, with `includeOptimizer`, its RMSprop state: what training and export need), the
    /// state and the DFL extras of the newest loadable save.
    public func load(includeOptimizer: Bool) throws -> (network: XSegNetwork, optimizer: Optimizer, state: XSegModelState,
                                                        extras: XSegDFLExtras) {
        try withLoadableGeneration { gen in
            let state = try Self.readState(gen)
            let network = XSegNetwork(resolution: state.resolution, baseChannels: state.baseChannels, seed: state.seed)
            let optimizer = XSegNetwork.dflOptimizer(for: network, seed: state.seed)
            let weights = try SafeTensors.read(path: gen + "/weights.safetensors")
            func copy(_ entry: SafeTensors.Entry?, _ name: String, into t: Tensor) throws {
                guard let e = entry, e.shape == t.shape, e.values.count == t.count else {
                    throw TrainerError.corruptModel("\(gen): tensor \(name) missing or of the wrong shape")
                }
                e.values.withUnsafeBufferPointer { t.data.update(from: $0.baseAddress!, count: t.count) }
            }
            for p in network.parameters { try copy(weights.tensors[p.name], p.name, into: p.value) }
            if includeOptimizer {
                let opt = try SafeTensors.read(path: gen + "/optimizer.safetensors")
                guard opt.metadata["optimizer"] == optimizer.kind.rawValue,
                      let it = opt.metadata["iterations"].flatMap(Int.init), it >= 0 else {
                    throw TrainerError.corruptModel("\(gen): optimizer.safetensors is not the XSeg RMSprop state")
                }
                for (i, p) in network.parameters.enumerated() {
                    let name = optimizer.slotPrefixes[0] + "." + p.name
                    try copy(opt.tensors[name], name, into: optimizer.slots[i][0])
                }
                optimizer.iterations = it
            }
            return (network, optimizer, state, try Self.readExtras(gen))
        }
    }

    static func readExtras(_ gen: String) throws -> XSegDFLExtras {
        let file = gen + "/" + dflStateFile
        guard FileManager.default.fileExists(atPath: file) else { return XSegDFLExtras() }
        let value: PickleValue
        do {
            var limits = PickleReader.Limits()
            let bytes = try FileBytes.read(file, limit: maxDFLStateBytes)
            limits.maxValues = max(limits.maxValues, 2 * bytes.count)
            limits.maxMemo = max(limits.maxMemo, bytes.count)
            limits.maxStack = max(limits.maxStack, bytes.count)
            value = try PickleReader.read(bytes, limits: limits)
        } catch {
            throw TrainerError.corruptModel("\(file): \(error)")
        }
        guard case let .dict(options)? = value["other_options"] else { throw TrainerError.corruptModel("\(file): no other_options dict") }
        return XSegDFLExtras(otherOptions: options, previewSamples: value["sample_for_preview"] ?? .none,
                             gpuIndexes: value["choosed_gpu_indexes"] ?? .none)
    }

    /// Saves a new generation (see the file comment) and makes it current.
    public func save(network: XSegNetwork, optimizer: Optimizer, state: XSegModelState, extras: XSegDFLExtras = XSegDFLExtras()) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let json = [UInt8](try encoder.encode(state)) + [10]
        let weights = network.parameters.map { (name: $0.name, tensor: $0.value) }
        var slots: [(name: String, tensor: Tensor)] = []
        for (i, p) in optimizer.parameters.enumerated() {
            for (j, prefix) in optimizer.slotPrefixes.enumerated() { slots.append((prefix + "." + p.name, optimizer.slots[i][j])) }
        }
        let weightInfo = ["model": "XSeg", "resolution": "\(state.resolution)", "base_channels": "\(state.baseChannels)"]
        let optimizerInfo = ["optimizer": optimizer.kind.rawValue, "iterations": "\(optimizer.iterations)"]
        var files: [GenerationStore.File] = [
            .init("model.json", bytes: json),
            .init("weights.safetensors") { try SafeTensors.encode(weights, metadata: weightInfo, into: $0) },
            .init("optimizer.safetensors") { try SafeTensors.encode(slots, metadata: optimizerInfo, into: $0) },
        ]
        if !extras.isEmpty {
            let value = PickleValue.dict([PicklePair(.string("other_options"), .dict(extras.otherOptions)),
                                          PicklePair(.string("sample_for_preview"), extras.previewSamples),
                                          PicklePair(.string("choosed_gpu_indexes"), extras.gpuIndexes)])
            do { files.append(.init(Self.dflStateFile, bytes: try PickleWriter.write(value))) } catch {
                throw TrainerError.io("cannot write \(Self.dflStateFile): \(error)")
            }
        }
        try generations.save(files, label: String(format: "%09d", state.iteration))
    }

    /// Keeps a dated copy of the current save under `backups/`.
    @discardableResult
    public func backupCurrent(date: Date = Date()) throws -> String { try generations.backupCurrent(date: date) }
}
