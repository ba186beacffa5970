// Any saved model folder is a model: a model directory (its `current` save, or `previous`), a dated backup
// (`backups/<date>/`) or one save (`saves/<generation>/`). The last two hold model.json,
// weights.safetensors and optimizer.safetensors themselves and no links; they are opened read-only
// (evaluation, merging) or copied into a new model directory (`restore`), never trained in place.
import AtomicIO
import Foundation
import SAEHD

extension ModelDirectory {
    /// Whether the folder is one save on its own (a backup or a `saves/<generation>` folder): it holds
    /// model.json and no `current` or `previous` link.
    public var isSingleSave: Bool { generations.isSingleSave }

    /// The save folders to load from, best first.
    var loadableGenerations: [String] { generations.loadableGenerations }

    /// The model directory a saved folder belongs to: the folder itself when it is a model directory,
    /// `M` for `M/backups/<date>` and `M/saves/<generation>`; nil when there is none.
    static func owner(of source: String) -> String? {
        let url = URL(fileURLWithPath: source).standardizedFileURL
        if ModelDirectory(url.path).generationPath("current") != nil { return url.path }
        let parent = url.deletingLastPathComponent()
        guard ["backups", "saves"].contains(parent.lastPathComponent) else { return nil }
        let owner = parent.deletingLastPathComponent().path
        return FileManager.default.fileExists(atPath: owner + "/loss.csv") ? owner : nil
    }

    /// Starts this directory (missing or empty) from the save in `source`, which is only read: the weights,
    /// optimizer state, options and iteration become this directory's first save, bit for bit, and the
    /// loss.csv and quality.csv of the model directory the save came from are copied along (training cuts
    /// them back to the save's iteration when it opens them). Returns the restored state.
    @discardableResult
    public func restore(from source: String) throws -> ModelState {
        if hasModel { throw TrainerError.invalidOption("\(path) already holds a model; --from needs a new or empty directory") }
        try checkUsableForNewModel()
        let saved = ModelDirectory(source)
        guard saved.hasModel else {
            throw TrainerError.corruptModel("\(source): no saved model (not a model directory, a backup or a saves/ folder)")
        }
        let (model, state) = try saved.loadModel()
        do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
            throw TrainerError.io("\(path): cannot create directory (\(error.localizedDescription))")
        }
        if let owner = Self.owner(of: source) {
            for name in ["loss.csv", "quality.csv"] {
                guard let attributes = try? FileManager.default.attributesOfItem(atPath: owner + "/" + name),
                      let size = attributes[.size] as? Int, size <= 1 << 30,
                      let data = FileManager.default.contents(atPath: owner + "/" + name) else { continue }
                try AtomicFile.write([UInt8](data), to: path + "/" + name)
            }
        }
        try save(model: model, state: state)
        return state
    }
}
