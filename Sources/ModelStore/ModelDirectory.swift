// The model directory (docs/ARCHITECTURE.md, "The model directory"): model.json, weights.safetensors,
// optimizer.safetensors, loss.csv and preview/. Saves are crash-safe generations (GenerationStore.swift):
//
//   DIR/saves/<generation>/{model.json, weights.safetensors, optimizer.safetensors}   (never modified)
//   DIR/current, DIR/previous   symlinks to the newest save and the one before it
//   DIR/model.json -> current/model.json, DIR/weights.safetensors, DIR/optimizer.safetensors (fixed links)
import Foundation
import NeuralNet
import SAEHD

/// What model.json holds besides the weights.
public struct ModelState: Codable, Equatable, Sendable {
    public static let currentFormatVersion = 1
    public var formatVersion = ModelState.currentFormatVersion
    /// Completed training iterations.
    public var iteration: Int
    /// Seconds spent training (all sessions together).
    public var trainingSeconds: Double
    public var options: TrainingOptions

    public init(iteration: Int, trainingSeconds: Double, options: TrainingOptions) {
        self.iteration = iteration
        self.trainingSeconds = trainingSeconds
        self.options = options
    }
}

/// A model directory on disk.
public struct ModelDirectory: Sendable {
    public let path: String
    public static let fileNames = ["model.json", "weights.safetensors", "optimizer.safetensors"]
    /// Largest model.json accepted.
    static let maxStateBytes = 1 << 20

    public init(_ path: String) { self.path = path }

    public var lossLogPath: String { path + "/loss.csv" }
    public var qualityLogPath: String { path + "/quality.csv" }
    public var previewDirectory: String { path + "/preview" }
    /// The crash-safe generations of the three files.
    public var generations: GenerationStore {
        GenerationStore(path: path, markerFile: "model.json", linkedFiles: Self.fileNames)
    }

    /// Whether the folder holds a saved model (a `current` or `previous` generation, or is one save itself).
    public var hasModel: Bool { !loadableGenerations.isEmpty }

    /// Throws unless the folder is missing, empty or holds only what a first save killed half-way leaves
    /// (no `current` yet): the only places a new model is created.
    public func checkUsableForNewModel() throws {
        try generations.checkUsableForNew(ours: ["saves", "loss.csv", "quality.csv", "preview", "backups"],
                                          message: "\(path) is not empty and holds no dfl-train model; use an empty or new directory")
    }

    /// The generation directory a link points to, if the link exists.
    func generationPath(_ link: String) -> String? { generations.generationPath(link) }

    // MARK: Loading

    /// Reads the saved state (model.json) of the newest loadable generation.
    public func loadState() throws -> ModelState {
        try withLoadableGeneration { try Self.readState($0) }
    }

    /// Builds the model of the saved options (or of `options`, the saved ones with changes allowed on
    /// resume) and loads its weights and, with `includeOptimizer`, its optimizer state (inference needs none).
    public func loadModel(options: TrainingOptions? = nil, includeOptimizer: Bool = true) throws -> (SAEHDModel, ModelState) {
        try withLoadableGeneration { gen in
            let state = try Self.readState(gen)
            if let options, !state.options.fixedDifferences(from: options).isEmpty {
                throw TrainerError.incompatibleModel("\(path): " + state.options.fixedDifferences(from: options).joined(separator: ", "))
            }
            let model = try makeModel(options ?? state.options)
            try Self.readWeights(into: model, generation: gen, includeOptimizer: includeOptimizer)
            return (model, state)
        }
    }

    /// Runs `body` on `current`, falling back to `previous` when `current` is missing or fails (or on the
    /// folder itself when it is a single save).
    private func withLoadableGeneration<T>(_ body: (String) throws -> T) throws -> T {
        try generations.withLoadableGeneration(
            none: TrainerError.corruptModel("\(path): no saved model (no current or previous save, and no model.json of a backup)"), body)
    }

    static func readState(_ gen: String) throws -> ModelState {
        let file = gen + "/model.json"
        guard let data = FileManager.default.contents(atPath: file) else { throw TrainerError.corruptModel("\(file): cannot read") }
        guard data.count <= maxStateBytes else { throw TrainerError.corruptModel("\(file): too large") }
        if XSegModelState.describesXSeg(data) {
            throw TrainerError.incompatibleModel("\(file): an XSeg model (dfl-xseg), not an SAEHD model")
        }
        let state: ModelState
        do { state = try JSONDecoder().decode(ModelState.self, from: data) } catch {
            throw TrainerError.corruptModel("\(file): not a model description (\(error))")
        }
        guard state.formatVersion == ModelState.currentFormatVersion else {
            throw TrainerError.corruptModel("\(file): format version \(state.formatVersion) is not supported")
        }
        guard state.iteration >= 0 else { throw TrainerError.corruptModel("\(file): negative iteration") }
        do { try state.options.validate() } catch { throw TrainerError.corruptModel("\(file): \(error)") }
        return state
    }

    static func readWeights(into model: SAEHDModel, generation gen: String, includeOptimizer: Bool) throws {
        let weights = try SafeTensors.read(path: gen + "/weights.safetensors")
        let optimizer = model.optimizer
        guard includeOptimizer else {
            for p in model.parameters + model.discriminators.flatMap(\.parameters) {
                guard let e = weights.tensors[p.name], e.shape == p.value.shape else {
                    if p.name.hasPrefix("GAN.") || p.name.hasPrefix("code_discriminator.") { continue }
                    throw TrainerError.corruptModel("\(gen): tensor \(p.name) missing or of the wrong shape")
                }
                e.values.withUnsafeBufferPointer { p.value.data.update(from: $0.baseAddress!, count: p.value.count) }
            }
            return
        }
        let opt = try SafeTensors.read(path: gen + "/optimizer.safetensors")
        guard opt.metadata["optimizer"] == optimizer.kind.rawValue else {
            throw TrainerError.corruptModel("\(gen): optimizer state is not \(optimizer.kind.rawValue)")
        }
        func copy(_ entry: SafeTensors.Entry?, _ name: String, into t: Tensor) throws {
            guard let e = entry, e.shape == t.shape, e.values.count == t.count else {
                throw TrainerError.corruptModel("\(gen): tensor \(name) missing or of the wrong shape")
            }
            e.values.withUnsafeBufferPointer { t.data.update(from: $0.baseAddress!, count: t.count) }
        }
        for (i, p) in model.parameters.enumerated() {
            try copy(weights.tensors[p.name], p.name, into: p.value)
            for (j, prefix) in optimizer.slotPrefixes.enumerated() {
                let name = prefix + "." + p.name
                try copy(opt.tensors[name], name, into: optimizer.slots[i][j])
            }
        }
        guard let it = opt.metadata["iterations"].flatMap(Int.init), it >= 0 else {
            throw TrainerError.corruptModel("\(gen): optimizer iteration count missing")
        }
        optimizer.iterations = it
        model.freshDiscriminators = []
        for d in model.discriminators {
            // A discriminator saved with other shape options (or never saved) starts again, as DFL does.
            let sameShape = d.shapeOptions.allSatisfy { weights.metadata[d.network + "." + $0.key] == "\($0.value)" }
            let present = d.parameters.allSatisfy { weights.tensors[$0.name]?.shape == $0.value.shape }
            guard sameShape && present else { model.freshDiscriminators.append(d.network); continue }
            for (i, p) in d.parameters.enumerated() {
                try copy(weights.tensors[p.name], p.name, into: p.value)
                for (j, prefix) in d.optimizer.slotPrefixes.enumerated() {
                    let name = prefix + "." + p.name
                    try copy(opt.tensors[name], name, into: d.optimizer.slots[i][j])
                }
            }
            d.optimizer.iterations = opt.metadata["iterations." + d.network].flatMap(Int.init) ?? 0
        }
    }

    // MARK: Saving

    /// Saves `model` and `state` as a new generation and makes it current (see the file comment).
    public func save(model: SAEHDModel, state: ModelState) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let json = [UInt8](try encoder.encode(state)) + [10]
        // The discriminators (when on) go into the same two files, under their network names.
        let discriminators = model.discriminators
        let weights = (model.parameters + discriminators.flatMap(\.parameters)).map { (name: $0.name, tensor: $0.value) }
        var weightInfo = ["config": model.config.description, "channels": "\(model.config.channels)"]
        var optimizerInfo = ["optimizer": model.optimizer.kind.rawValue, "iterations": "\(model.optimizer.iterations)"]
        for d in discriminators {
            for (key, value) in d.shapeOptions { weightInfo[d.network + "." + key] = "\(value)" }
            optimizerInfo["iterations." + d.network] = "\(d.optimizer.iterations)"
        }
        var slots: [(name: String, tensor: Tensor)] = []
        for optimizer in [model.optimizer] + discriminators.map(\.optimizer) {
            for (i, p) in optimizer.parameters.enumerated() {
                for (j, prefix) in optimizer.slotPrefixes.enumerated() { slots.append((prefix + "." + p.name, optimizer.slots[i][j])) }
            }
        }
        try generations.save([.init("model.json", bytes: json),
                              .init("weights.safetensors") { try SafeTensors.encode(weights, metadata: weightInfo, into: $0) },
                              .init("optimizer.safetensors") { try SafeTensors.encode(slots, metadata: optimizerInfo, into: $0) }],
                             label: String(format: "%09d", state.iteration))
    }

    /// Keeps a dated copy of the current save under `backups/` (hard links: saves are never modified).
    @discardableResult
    public func backupCurrent(date: Date = Date()) throws -> String { try generations.backupCurrent(date: date) }
}

/// Builds an untrained model for `options` (weights from the options' seed).
public func makeModel(_ saved: TrainingOptions) throws -> SAEHDModel {
    let options = saved.effective
    let config = options.architecture
    let loss = options.lossOptions
    var settings = Optimizer.Settings.dfl(lrDropout: options.lrDropout, clipGradient: options.clipGradient)
    settings.seed = options.seed
    if let lr = options.learningRate { settings.learningRate = Float(lr) }
    let model = SAEHDModel(config: config, seed: options.seed, lossOptions: loss, optimizer: options.optimizer,
                           settings: settings)
    // DFL trains liae's inter_AB only with random warp on (docs/saehd-model.md §1.5).
    if config.archi == .liae && !options.randomWarp { model.trainsInterAB = false }
    return model
}
