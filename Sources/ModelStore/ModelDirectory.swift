// The model directory (docs/ARCHITECTURE.md, "The model directory"): model.json, weights.safetensors, optimizer.safetensors, loss.csv and
// preview/. Saves are crash-safe by construction:
//
//   DIR/saves/<generation>/{model.json, weights.safetensors, optimizer.safetensors}   (never modified)
//   DIR/current  -> saves/<newest generation>     (symlink, replaced by rename(2): atomic)
//   DIR/previous -> saves/<generation before it>  (the backup every model keeps, docs/ARCHITECTURE.md)
//   DIR/model.json -> current/model.json, DIR/weights.safetensors, DIR/optimizer.safetensors (fixed links)
//
// A save writes and fsyncs a whole new generation directory first, then moves `previous` to the old
// generation, then switches `current`, and only then deletes generations that neither link names.
// Killed at any instant, `current` names a complete generation (the new or the old one), so the model
// always loads; `previous` is tried when `current` is missing or unreadable.
import AtomicIO
import Foundation
import NeuralNet
import SAEHD
#if canImport(Glibc)
import Glibc
#endif

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
    var savesDirectory: String { path + "/saves" }

    /// Whether the folder holds a saved model (a `current` or `previous` generation, or is one save itself).
    public var hasModel: Bool { !loadableGenerations.isEmpty }

    /// Throws unless the folder is missing, empty or holds only what a first save killed half-way leaves
    /// (no `current` yet): the only places a new model is created.
    public func checkUsableForNewModel() throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return }
        guard isDirectory.boolValue else { throw TrainerError.invalidOption("\(path) exists and is not a directory") }
        let ours: Set<String> = ["saves", "loss.csv", "quality.csv", "preview", "backups"]
        let entries = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [])
            .filter { !ours.contains($0) && !$0.hasPrefix(".") }
        if !entries.isEmpty {
            throw TrainerError.incompatibleModel("\(path) is not empty and holds no dfl-train model; use an empty or new directory")
        }
    }

    /// The generation directory a link points to, if the link exists.
    func generationPath(_ link: String) -> String? {
        guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: path + "/" + link) else { return nil }
        return path + "/" + target
    }

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
        var firstError: Error?
        for gen in loadableGenerations {
            do { return try body(gen) } catch { if firstError == nil { firstError = error } }
        }
        if let firstError { throw firstError }
        throw TrainerError.corruptModel("\(path): no saved model (no current or previous save, and no model.json of a backup)")
    }

    static func readState(_ gen: String) throws -> ModelState {
        let file = gen + "/model.json"
        guard let data = FileManager.default.contents(atPath: file) else { throw TrainerError.corruptModel("\(file): cannot read") }
        guard data.count <= maxStateBytes else { throw TrainerError.corruptModel("\(file): too large") }
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
        try createDirectory(path)
        try createDirectory(savesDirectory)
        let name = String(format: "%09d-%@", state.iteration, UUID().uuidString.prefix(8).lowercased() as CVarArg)
        let gen = savesDirectory + "/" + name
        try createDirectory(gen)

        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try writeDurably([UInt8](try encoder.encode(state)) + [10], to: gen + "/model.json")
        // The discriminators (when on) go into the same two files, under their network names.
        let discriminators = model.discriminators
        let weights = (model.parameters + discriminators.flatMap(\.parameters)).map { (name: $0.name, tensor: $0.value) }
        var weightInfo = ["config": model.config.description, "channels": "\(model.config.channels)"]
        var optimizerInfo = ["optimizer": model.optimizer.kind.rawValue, "iterations": "\(model.optimizer.iterations)"]
        for d in discriminators {
            for (key, value) in d.shapeOptions { weightInfo[d.network + "." + key] = "\(value)" }
            optimizerInfo["iterations." + d.network] = "\(d.optimizer.iterations)"
        }
        try writeDurably(try SafeTensors.encode(weights, metadata: weightInfo), to: gen + "/weights.safetensors")
        var slots: [(name: String, tensor: Tensor)] = []
        for optimizer in [model.optimizer] + discriminators.map(\.optimizer) {
            for (i, p) in optimizer.parameters.enumerated() {
                for (j, prefix) in optimizer.slotPrefixes.enumerated() { slots.append((prefix + "." + p.name, optimizer.slots[i][j])) }
            }
        }
        try writeDurably(try SafeTensors.encode(slots, metadata: optimizerInfo), to: gen + "/optimizer.safetensors")
        AtomicFile.syncDirectory(gen)
        AtomicFile.syncDirectory(savesDirectory)

        let old = try? FileManager.default.destinationOfSymbolicLink(atPath: path + "/current")
        if let old, FileManager.default.fileExists(atPath: path + "/" + old + "/model.json") {
            try replaceLink("previous", target: old)
        }
        try replaceLink("current", target: "saves/" + name)
        for file in Self.fileNames where (try? FileManager.default.destinationOfSymbolicLink(atPath: path + "/" + file)) == nil {
            try? FileManager.default.removeItem(atPath: path + "/" + file)
            try replaceLink(file, target: "current/" + file)
        }
        removeUnreferencedGenerations()
    }

    /// Keeps a dated copy of the current save under `backups/` (hard links: saves are never modified).
    @discardableResult
    public func backupCurrent(date: Date = Date()) throws -> String {
        guard let gen = generationPath("current") else { throw TrainerError.io("\(path): nothing saved to back up") }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd'T'HH-mm-ss'Z'"
        try createDirectory(path + "/backups")
        // Two backups within one second get -2, -3, … (a backup is never replaced).
        let base = path + "/backups/" + formatter.string(from: date)
        var dest = base
        var n = 2
        while FileManager.default.fileExists(atPath: dest) { dest = base + "-\(n)"; n += 1 }
        let tmp = dest + ".tmp"
        try? FileManager.default.removeItem(atPath: tmp)
        try createDirectory(tmp)
        for file in Self.fileNames where link(gen + "/" + file, tmp + "/" + file) != 0 {
            try? FileManager.default.copyItem(atPath: gen + "/" + file, toPath: tmp + "/" + file)
        }
        AtomicFile.syncDirectory(tmp)
        guard rename(tmp, dest) == 0 else { throw TrainerError.io("\(dest): cannot rename the backup into place") }
        AtomicFile.syncDirectory(path + "/backups")
        return dest
    }

    /// Deletes generation directories that neither `current` nor `previous` names (older saves and
    /// half-written ones from a crash).
    private func removeUnreferencedGenerations() {
        let keep = Set(["current", "previous"].compactMap {
            (try? FileManager.default.destinationOfSymbolicLink(atPath: path + "/" + $0)).map { URL(fileURLWithPath: $0).lastPathComponent }
        })
        // Temporary links left by a killed run.
        for name in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] where name.hasPrefix(".") && name.contains(".tmp-") {
            if !name.hasSuffix("-\(getpid())") { unlink(path + "/" + name) }
        }
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: savesDirectory) else { return }
        for name in names where !keep.contains(name) {
            try? FileManager.default.removeItem(atPath: savesDirectory + "/" + name)
        }
    }

    /// Points `name` at `target` atomically: a new symlink under a temporary name, renamed over the old one.
    private func replaceLink(_ name: String, target: String) throws {
        let tmp = path + "/." + name + ".tmp-\(getpid())"
        unlink(tmp)
        guard symlink(target, tmp) == 0 else { throw TrainerError.io("\(tmp): cannot create link (errno \(errno))") }
        guard rename(tmp, path + "/" + name) == 0 else {
            let e = errno
            unlink(tmp)
            throw TrainerError.io("\(path)/\(name): cannot replace link (errno \(e))")
        }
        AtomicFile.syncDirectory(path)
    }

    /// Writes a file that is new (in a fresh generation directory) and fsyncs it.
    private func writeDurably(_ bytes: [UInt8], to file: String) throws {
        let fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw TrainerError.io("\(file): cannot create (errno \(errno))") }
        defer { close(fd) }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, bytes.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                throw TrainerError.io("\(file): write failed (errno \(errno))")
            }
            written += n
        }
        guard fsync(fd) == 0 else { throw TrainerError.io("\(file): fsync failed (errno \(errno))") }
    }

    private func createDirectory(_ dir: String) throws {
        do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
            throw TrainerError.io("\(dir): cannot create directory (\(error.localizedDescription))")
        }
    }
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
