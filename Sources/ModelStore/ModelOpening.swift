// The one door to a saved model, for every tool and mode: training's resume and --from, --reconstruct,
// --export-dfl, dfl-merge --model and dfl-info --model. A path is one of our model directories (or a backup
// or save of one: SavedModel.swift) or, when it holds none, a DeepFaceLab model folder (only read).
import FaceSet
import Foundation
import SAEHD

/// Where a model lives.
public enum ModelLocation: Sendable {
    /// One of our model directories, a backup (DIR/backups/<date>) or a save (DIR/saves/<generation>).
    case ours(ModelDirectory)
    /// A DeepFaceLab model (`NAME_SAEHD_*` or `NAME_SAEHDBW_*`) in a folder.
    case deepFaceLab(DFLModelFolder)
}

/// What a model says about itself, read without its weights (dfl-info --model).
public struct ModelDescription {
    public let location: ModelLocation
    public let state: ModelState
    /// Rows of its loss history (loss.csv up to the saved iteration, or DFL's loss_history).
    public let lossRows: Int
    /// DFL's options dict: as stored (a DFL folder) or as an export would write it (ours).
    public let dflOptions: PickleValue
}

/// A model with its weights, ready for inference, training on or export.
public struct OpenedModel {
    public let location: ModelLocation
    public let model: SAEHDModel
    public let state: ModelState
    /// The loss history (loss.csv rows, or DFL's loss_history).
    public let losses: [LossRecord]
}

public enum ModelStore {
    /// Finds the model at `path`: our model directory (or a backup or save of one), else the DeepFaceLab
    /// model in that folder (`dflName` picks one of several; the error lists them).
    public static func locate(_ path: String, dflName: String? = nil) throws -> ModelLocation {
        let directory = ModelDirectory(path)
        if directory.hasModel { return .ours(directory) }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw TrainerError.corruptModel("\(path): no such model directory")
        }
        guard !DFLModelFolder.models(in: path).isEmpty else {
            throw TrainerError.corruptModel("\(path): no model (neither dfl-train's model.json nor a DeepFaceLab NAME_SAEHD_data.dat)")
        }
        return .deepFaceLab(try DFLModelFolder.open(path, name: dflName))
    }

    /// The model at `path` with its weights (and, with `includeOptimizer`, its optimizer state: what
    /// training on and export need; inference does not).
    public static func open(_ path: String, dflName: String? = nil, includeOptimizer: Bool) throws -> OpenedModel {
        let location = try locate(path, dflName: dflName)
        switch location {
        case .ours(let directory):
            let (model, state) = try directory.loadModel(includeOptimizer: includeOptimizer)
            return OpenedModel(location: location, model: model, state: state,
                               losses: LossLog.read(path: directory.lossLogPath, upTo: state.iteration))
        case .deepFaceLab(let folder):
            let (model, state, losses) = try folder.loadModel(includeOptimizer: includeOptimizer)
            return OpenedModel(location: location, model: model, state: state, losses: losses)
        }
    }

    /// The model at `path` described from its options and loss history alone (no weights are read).
    public static func describe(_ path: String, dflName: String? = nil) throws -> ModelDescription {
        let location = try locate(path, dflName: dflName)
        switch location {
        case .ours(let directory):
            let state = try directory.loadState()
            return ModelDescription(location: location, state: state,
                                    lossRows: LossLog.read(path: directory.lossLogPath, upTo: state.iteration).count,
                                    dflOptions: .dict(try DFLOptionMapping.dflOptions(state.options)))
        case .deepFaceLab(let folder):
            let data = try folder.readData()
            return ModelDescription(location: location, state: data.state, lossRows: data.losses.count, dflOptions: data.options)
        }
    }

    /// `dfl-train --import-dfl`: makes `modelDirectory` (which must hold no model yet) from DFL model folder
    /// `dflDirectory`: weights, optimizer slots and iteration, options, loss history (loss.csv).
    @discardableResult
    public static func importDFL(from dflDirectory: String, name: String?, into modelDirectory: String) throws -> ModelState {
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

    /// `dfl-train --export-dfl`: writes the model at `path` as DFL model `name` in `dflDirectory` (see
    /// `DFLModelFolder.export`); returns the written paths.
    public static func exportDFL(_ path: String, to dflDirectory: String, name: String, force: Bool) throws -> [String] {
        let opened = try open(path, includeOptimizer: true)
        return try DFLModelFolder.export(model: opened.model, state: opened.state, losses: opened.losses,
                                         to: dflDirectory, name: name, force: force)
    }
}
