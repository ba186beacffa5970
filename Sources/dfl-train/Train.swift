// dfl-train's training mode: facesets in, the loop run until its target, a stop request or --iterations.
import FaceSet
import Foundation
import ModelStore
import NeuralNet
import SAEHD
import Samples
import ToolSupport
import Trainer

extension DFLTrain {
    func train() throws {
        let directory = ModelDirectory(model)
        let (src, dst, pretrain, from, holdout) = (faces.src, faces.dst, faces.pretrain, faces.from, faces.holdout)
        if from != nil && directory.hasModel {
            throw TrainerError.invalidOption("\(model) already holds a model; --from needs a new or empty directory")
        }
        let saved: TrainingOptions?
        if let from {
            guard case .ours(let savedDirectory) = try ModelStore.locate(from) else {
                throw TrainerError.invalidOption("\(from): --from takes a saved dfl-train model; import a DeepFaceLab model with --import-dfl")
            }
            saved = try savedDirectory.loadState().options
        } else {
            saved = directory.hasModel ? try directory.loadState().options : nil
        }
        // Architecture checks first: a mismatch is reported before any face is read.
        let early = try runOptions(saved: saved, faceChannels: { 3 })
        let config = early.architecture
        let faceTypeValue = early.faceType
        func source(_ path: String) throws -> FaceSetSource {
            try FaceSetSource.resolve(path, stdinList: {
                return [UInt8](FileHandle.standardInput.readDataToEndOfFile())
            })
        }
        let ct = (training.ctMode?.mode ?? saved?.ctMode) != nil && pretrain == nil
        let srcStore = try loadFaceStore(try source(src ?? pretrain!), side: pretrain == nil ? "src" : "pretraining",
                                         resolution: config.resolution, faceType: faceTypeValue)
        // Pretraining: the one faceset is both sides.
        let dstStore = try pretrain != nil ? srcStore
            : loadFaceStore(try source(dst!), side: "dst", resolution: config.resolution, faceType: faceTypeValue,
                            keepColorReference: ct)
        // Held-out faces must already be at the model's resolution and face type (no conversion to measure).
        let heldOut = try holdout.map {
            try loadFaceStore(try source($0), side: "held-out", resolution: config.resolution, faceType: faceTypeValue, exact: true)
        }
        let options = try runOptions(saved: saved, faceChannels: {
            guard srcStore.channels == dstStore.channels else {
                throw TrainerError.badFaceSet("src faces have \(srcStore.channels ?? 0) channels and dst faces \(dstStore.channels ?? 0); give --channels 1 or convert with dfl-gray")
            }
            return srcStore.channels ?? 3
        })
        for (store, name) in [(srcStore, "src"), (dstStore, "dst")] where (store.channels ?? 3) < options.channels {
            throw TrainerError.badFaceSet("the \(name) faces have 1 channel but the model has 3 (a gray faceset cannot train a colour model)")
        }
        if saved?.isPretraining == true && !options.isPretraining && !quiet {
            printError("dfl-train: pretraining ends: the iteration count and loss.csv restart at 0, the inter networks are re-initialised")
        }
        if let heldOut, (heldOut.channels ?? 3) < options.channels {
            throw TrainerError.badFaceSet("the held-out faces have 1 channel but the model has 3")
        }
        if let heldOut, !quiet {
            let shared = sharedFaces(heldOut, in: [srcStore, dstStore])
            if !shared.isEmpty {
                printError("dfl-train: warning: \(shared.count) of the \(heldOut.count) held-out faces are also training faces; "
                           + "their quality figure then measures memory as well as generalisation")
            }
        }
        if let from {
            let state = try directory.restore(from: from)
            if !quiet { printError("dfl-train: \(model): restored from \(from) at iteration \(state.iteration)") }
        }
        let session = try TrainingSession(directory: directory, options: options, src: srcStore, dst: dstStore)
        if let heldOut { try session.setHeldOut(heldOut, path: faces.holdoutSide.path) }
        var settings = SessionSettings()
        settings.saveEveryMinutes = loop.saveEvery
        settings.backupEveryHours = loop.backupEvery
        settings.previewEvery = loop.previewEvery
        settings.previewHistory = loop.previewHistory
        settings.maxIterations = loop.iterations > 0 ? loop.iterations : nil
        settings.samplerWorkers = loop.samplerThreads
        settings.profileConvolutions = loop.verbose
        settings.evalEvery = faces.evalEvery
        if !quiet {
            // fp32's multiplies run in OpenBLAS: which kernels, and whether they replace its generic fallback
            // (docs/blas-core.md), so a slow machine says why.
            let blasNote = MatmulPrecision.global.resolved == .fp32
                ? " (OpenBLAS \(Threads.blasCoreName)" + (Threads.blasCoreReplaced.map { " in place of its fallback \($0)" } ?? "") + ")"
                : ""
            printError("dfl-train: \(saved == nil ? "new" : "resumed") \(options.channels == 1 ? "SAEHDBW" : "SAEHD") model \(options.config) "
                       + (options.isPretraining ? "(pretraining) " : "")
                       + "face type \(options.faceType.shortName), \(session.model.parameterCount) parameters, iteration \(session.state.iteration), "
                       + "\(srcStore.count) src and \(dstStore.count) dst faces"
                       + (heldOut.map { ", \($0.count) held out" } ?? "") + ", batch \(options.batchSize)"
                       + ", matmul \(MatmulPrecision.global.resolved)" + blasNote)
        }
        if !quiet {
            let m = session.model
            for d in m.discriminators {
                let what = d.network == "GAN"
                    ? String(format: "GAN power %g, patch size %d, dims %d", options.ganPower ?? 0, d.shapeOptions["gan_patch_size"] ?? 0,
                             d.shapeOptions["gan_dims"] ?? 0)
                    : String(format: "true-face power %g", options.trueFacePower ?? 0)
                let fresh = saved != nil && m.freshDiscriminators.contains(d.network)
                    ? " (its discriminator starts from fresh weights: it was off, or its patch size or dims changed)" : ""
                printError("dfl-train: \(what), \(d.parameters.reduce(0) { $0 + $1.value.count }) discriminator parameters\(fresh)")
            }
        }
        StopRequest.install()
        let progress = ProgressLines(quiet: quiet)
        progress.heldOutSSIM = session.qualityRecords.last?.ssim   // on resume, the last saved figure
        try session.run(settings: settings, shouldStop: { StopRequest.isRequested }, events: progress.handle)
        progress.finish()
        if !quiet, let line = progress.summary() { printError(line) }
    }

    /// The options of this run: the saved ones (resume) with the allowed changes, or new ones.
    /// `faceChannels` gives the faceset's channel count for a new model without --channels.
    func runOptions(saved: TrainingOptions?, faceChannels: () throws -> Int) throws -> TrainingOptions {
        var o: TrainingOptions
        let a = architecture
        if let saved {
            o = saved
            if let asked = try a.asked(base: saved.architecture, channels: saved.channels), asked != saved.architecture {
                throw TrainerError.incompatibleModel("\(model) holds a \(saved.config) model, not \(asked); use another --model directory")
            }
            func check<T: Equatable>(_ asked: T?, _ have: T, _ what: String, _ show: (T) -> String) throws {
                if let asked, asked != have {
                    throw TrainerError.incompatibleModel("\(model) was created with \(what) \(show(have)), not \(show(asked)) (fixed at creation)")
                }
            }
            try check(a.channels, saved.channels, "--channels") { "\($0)" }
            try check(a.faceType, saved.faceType, "--face-type") { $0.shortName }
            try check(a.optimizer, saved.optimizer, "--optimizer") { $0.rawValue }
            try check(a.seed, saved.seed, "--seed") { "\($0)" }
        } else {
            let config = try a.asked(base: nil, channels: 3) ?? ModelConfig("liae-ud-128-256-64-64-22", channels: 3)
            o = TrainingOptions(architecture: config, faceType: a.faceType ?? .wholeFace)
            o.optimizer = a.optimizer ?? .adabelief
            o.seed = a.seed ?? 0
            try o.validate()
            o.architecture = config.withChannels(try a.channels ?? faceChannels())
        }
        training.apply(to: &o)
        o.pretrain = faces.pretrain != nil ? true : (saved?.pretrain == nil ? nil : false)
        try o.validate()
        return o
    }
}
