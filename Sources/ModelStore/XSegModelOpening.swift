// The one door to an XSeg model, for dfl-xseg and the merger's XSeg mask modes: a path is our XSeg model
// directory (or a backup or save of one) or, when it holds none, a DeepFaceLab folder with `XSeg_<res>.npy`
// (an XSeg model folder, DFL's generic XSeg model, or the SAEHD model folder where DFL's merger finds it;
// only read). `XSegStore.openMasker` is the short way to masks:
//
//     let masker = try XSegStore.openMasker("workspace/model")
//     let masks = try masker.extract(crops)            // DFL's extract, r×r, for faces already cropped
//     let one = try masker.mask(crop)                  // one r×r face (Merge's FaceSegmenter call)
//     let stored = masker.appliedMasks(alignedFaces)   // what `dfl-xseg apply` stores in each face
//
// dfl-merge's `loadFaceSegmenter` can return `XSegStore.openMasker(path)` with `extension XSegMasker:
// FaceSegmenter {}` to take our model directories too (a folder with several XSeg_<res>.npy gives 256, as there).
import FaceSet
import Foundation
import NeuralNet
import XSeg

/// Where an XSeg model lives.
public enum XSegModelLocation: Sendable {
    /// One of our XSeg model directories, a backup or a save of one.
    case ours(XSegModelDirectory)
    /// A DeepFaceLab folder holding `XSeg_<resolution>.npy`.
    case deepFaceLab(path: String, resolution: Int)
}

/// An XSeg model with its weights.
public struct OpenedXSegModel {
    public let location: XSegModelLocation
    public let network: XSegNetwork
    /// The RMSprop state (zero slots when opened without it).
    public let optimizer: Optimizer
    /// Our description of the model (for a DFL folder: made from its data.dat, or DFL's defaults without one).
    public let state: XSegModelState
    /// The face type the model's crops have; nil for a DFL folder without `XSeg_data.dat` (the faces are then
    /// taken in their own type).
    public let faceType: FaceType?
    /// The loss history (loss.csv, or DFL's loss_history numbered up to the iteration).
    public let losses: [XSegLossRecord]
    public let extras: XSegDFLExtras

    /// A masker over this model's network.
    public func masker(batchSize: Int = 4) -> XSegMasker { XSegMasker(network: network, faceType: faceType, batchSize: batchSize) }

    /// The model as DeepFaceLab's XSeg folder represents it (network, optimizer, data.dat state).
    public var dflModel: XSegModel {
        XSegModel(network: network, optimizer: optimizer,
                  state: XSegState(iteration: state.iteration, faceType: state.faceType.shortName, pretrain: state.pretrain,
                                   batchSize: state.batchSize, lossHistory: losses.map(\.loss), otherOptions: extras.otherOptions,
                                   previewSamples: extras.previewSamples, gpuIndexes: extras.gpuIndexes))
    }
}

public enum XSegStore {
    /// Finds the XSeg model at `path` (see the file comment). An SAEHD model (ours or DFL's) is refused by name.
    public static func locate(_ path: String, resolution: Int? = nil) throws -> XSegModelLocation {
        let directory = XSegModelDirectory(path)
        if directory.hasModel {
            _ = try directory.loadState()   // refuses dfl-train's model directories by name
            return .ours(directory)
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw TrainerError.corruptModel("\(path): no such model directory")
        }
        let found = XSegModelFolder.resolutions(in: path)
        if found.isEmpty {
            do { _ = try XSegModelFolder.read(path) } catch let e as XSegError { throw TrainerError.incompatibleModel(e.description) }
            throw TrainerError.corruptModel("\(path): no XSeg model")
        }
        if let resolution {
            guard found.contains(resolution) else {
                throw TrainerError.incompatibleModel("\(path): no \(XSegModelFolder.weightsFile(resolution: resolution))")
            }
            return .deepFaceLab(path: path, resolution: resolution)
        }
        // DFL's merger loads XSeg_256.npy whatever else the folder holds.
        if found.count > 1 && found.contains(XSegNetwork.dflResolution) { return .deepFaceLab(path: path, resolution: XSegNetwork.dflResolution) }
        guard found.count == 1 else {
            throw TrainerError.incompatibleModel("\(path): several XSeg models (\(found.map { XSegModelFolder.weightsFile(resolution: $0) }.joined(separator: ", ")))")
        }
        return .deepFaceLab(path: path, resolution: found[0])
    }

    /// The model at `path` with its weights (and, with `includeOptimizer`, its optimizer state: what training
    /// and export need; inference does not).
    public static func open(_ path: String, resolution: Int? = nil, includeOptimizer: Bool = false) throws -> OpenedXSegModel {
        let location = try locate(path, resolution: resolution)
        switch location {
        case .ours(let directory):
            let (network, optimizer, state, extras) = try directory.load(includeOptimizer: includeOptimizer)
            return OpenedXSegModel(location: location, network: network, optimizer: optimizer, state: state,
                                   faceType: state.faceType, losses: XSegLossLog.read(path: directory.lossLogPath, upTo: state.iteration),
                                   extras: extras)
        case let .deepFaceLab(folder, res):
            let model: XSegModel
            do { model = try XSegModelFolder.read(folder, resolution: res, includeOptimizer: includeOptimizer) } catch let e as XSegError {
                throw TrainerError.corruptModel(e.description)
            }
            let dfl = model.state
            var state = XSegModelState(iteration: dfl?.iteration ?? 0, resolution: res, baseChannels: model.network.baseChannels,
                                       batchSize: dfl?.batchSize ?? 4, pretrain: dfl?.pretrain ?? false)
            var faceType: FaceType? = nil
            if let name = dfl?.faceType {
                guard let t = FaceType(argument: name), TrainingOptions.trainableFaceTypes.contains(t) else {
                    throw TrainerError.corruptModel("\(folder)/\(XSegModelFolder.dataFile): face type \(name) is not one of h, mf, f, wf, head")
                }
                faceType = t
                state.faceType = t
            }
            let history = dfl?.lossHistory ?? []
            let first = state.iteration - history.count + 1
            let losses = history.enumerated().map { XSegLossRecord(iteration: first + $0.offset, loss: $0.element, seconds: 0) }
            return OpenedXSegModel(location: location, network: model.network, optimizer: model.optimizer, state: state,
                                   faceType: faceType, losses: losses,
                                   extras: XSegDFLExtras(otherOptions: dfl?.otherOptions ?? [], previewSamples: dfl?.previewSamples ?? .none,
                                                         gpuIndexes: dfl?.gpuIndexes ?? .none))
        }
    }

    /// A masker over the XSeg model at `path` (ours or DFL's), for inference.
    public static func openMasker(_ path: String, resolution: Int? = nil, batchSize: Int = 4) throws -> XSegMasker {
        try open(path, resolution: resolution).masker(batchSize: batchSize)
    }

    /// `dfl-xseg import`: makes `modelDirectory` (which must hold no model yet) from the DFL XSeg model in
    /// `dflDirectory`: weights, optimizer slots and step count, iteration, options, loss history (loss.csv),
    /// and the rest of data.dat kept for export.
    @discardableResult
    public static func importDFL(from dflDirectory: String, into modelDirectory: String, resolution: Int? = nil) throws -> XSegModelState {
        let directory = XSegModelDirectory(modelDirectory)
        guard !directory.hasModel else {
            throw TrainerError.invalidOption("\(modelDirectory): already holds a model; import into a new directory")
        }
        try directory.checkUsableForNewModel()
        guard case .deepFaceLab = try locate(dflDirectory, resolution: resolution) else {
            throw TrainerError.invalidOption("\(dflDirectory): one of our model directories, not a DeepFaceLab folder")
        }
        let opened = try open(dflDirectory, resolution: resolution, includeOptimizer: true)
        guard opened.faceType != nil else {
            throw TrainerError.corruptModel("\(dflDirectory): no \(XSegModelFolder.dataFile) (iteration, face type): "
                                            + "only a trained DeepFaceLab XSeg folder can be imported for training")
        }
        try opened.state.validate()
        try FileManager.default.createDirectory(atPath: modelDirectory, withIntermediateDirectories: true)
        try XSegLossLog.write(opened.losses, to: directory.lossLogPath)
        try directory.save(network: opened.network, optimizer: opened.optimizer, state: opened.state, extras: opened.extras)
        return opened.state
    }

    /// `dfl-xseg export`: writes the model at `path` as DFL's XSeg model files in `dflDirectory` (an existing
    /// XSeg model of that resolution is replaced only with `force`); returns the written paths.
    public static func exportDFL(_ path: String, to dflDirectory: String, force: Bool) throws -> [String] {
        let opened = try open(path, includeOptimizer: true)
        do { return try XSegModelFolder.write(opened.dflModel, to: dflDirectory, force: force) } catch let e as XSegError {
            throw TrainerError.invalidOption(e.description)
        }
    }
}
