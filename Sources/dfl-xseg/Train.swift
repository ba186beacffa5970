// dfl-xseg train: labelled faces in, an XSeg model directory out (docs/xseg.md, "Training").
import ArgumentParser
import FaceSet
import Foundation
import ModelStore
import NeuralNet
import Samples
import ToolSupport
import Trainer

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train an XSeg model on the faces that carry labels.",
        discussion: """
        Trains DeepFaceLab's XSeg network on the FACES (src and dst faces alike, as DeepFaceLab does; a \
        faceset.pak means its faces) that carry polygons (seg_ie_polys); faces without are skipped and \
        counted. Only when no face has polygons, the faces with a stored mask (xseg_mask, e.g. from an \
        earlier apply) are the labels instead. No labelled face at all is an error, and nothing is written. \
        Faces with malformed polygons (fewer than 3 points, non-finite or far outside the image) are errors \
        before anything is written. 1-channel faces are used with their gray value repeated in R, G and B.

        Each iteration is one RMSprop step (learning rate 1e-4, learning-rate dropout 0.3) on a batch of \
        augmented faces: random warp, rotation, scale, shift and flip, a background mix with another \
        labelled face, face and background flares, HSV or RGB-level changes, sharpening or motion and \
        Gaussian blur, down-and-up resizing and JPEG compression, as DeepFaceLab's XSeg trainer; the loss \
        is the sigmoid cross-entropy of the mask.

        A new model takes --resolution (a multiple of 64; DeepFaceLab's 256), --base-channels (32), \
        --face-type (wf: the faces are converted to it, as the masks of SAEHD models of that face type \
        need) and --seed; those are fixed once the model exists. --batch-size and --target-iter may change \
        on resume. The model directory holds model.json, weights.safetensors and optimizer.safetensors \
        (links to the current save under saves/; the previous save is kept), loss.csv \
        (iteration,loss,seconds), preview/latest.png (face, label, predicted mask, overlay) and \
        preview/loss.png. Saves are atomic: a crash or kill at any moment leaves the last or the previous \
        save loadable. Ctrl-C (SIGINT) or SIGTERM finishes the current step, saves and exits 0; a second one \
        exits at once. --holdout FACES (labelled faces never trained on) appends iteration,seconds,iou (the \
        mean mask IoU) to quality.csv at each save and at exit.

        Progress lines [hh:mm:ss][#iteration][ms/iter][loss] go to standard error.

        EXAMPLES:
          dfl-xseg train --model xseg src/aligned dst/aligned
          dfl-xseg train --model xseg --target-iter 20000 --holdout heldout/ src.pak dst.pak
        """)

    @Option(name: [.short, .long], help: "The XSeg model directory (created if missing; resumed if it holds a model).")
    var model: String
    @Option(help: "Stop (and save) at this iteration; 0 = no limit. (default: 0)")
    var targetIter: Int?
    @Option(name: [.short, .long], help: "Faces per iteration, 1...256. (default: 4)")
    var batchSize: Int?
    @Option(help: "Input resolution of a new model, a multiple of 64. (default: 256)")
    var resolution: Int?
    @Option(help: "Base channel width of a new model. (default: 32)")
    var baseChannels: Int?
    @Option(help: "Face type of a new model's crops. (default: wf)")
    var faceType: FaceType?
    @Option(help: "Seed of a new model's weights, sample order, augmentation and lr-dropout masks. (default: 0)")
    var seed: UInt64?
    @Option(help: "Labelled faces never trained on (a folder, a face list file, a .pak or -), evaluated at each save and at exit: mean mask IoU appended to quality.csv.")
    var holdout: String?
    @Option(help: "Evaluate the held-out faces every N iterations instead of at each save (and still at exit).")
    var evalEvery: Int = 0
    @Option(help: "Train this many iterations in this run, then save and exit (0 = no limit).")
    var iterations: Int = 0
    @Option(help: "Autosave every MIN minutes (fractions allowed; 0 = only at exit).")
    var saveEvery: Double = 25
    @Option(help: "Keep a dated backup under backups/ every HOURS hours (0 = none).")
    var backupEvery: Double = 0
    @Option(help: "Write preview/latest.png and preview/loss.png every N iterations and at exit (0 = never).")
    var previewEvery: Int = 100
    @Flag(help: "Keep numbered copies of the previews in preview/history/.")
    var previewHistory = false
    @Option(help: "Threads of the training step (default: all cores).")
    var threads: Int?
    @Option(help: "Threads of the sample generator.")
    var samplerThreads: Int = 1
    @Flag(name: [.short, .long], help: "No progress lines.")
    var quiet = false
    @OptionGroup var input: InputOptions

    func validate() throws {
        guard saveEvery >= 0, backupEvery >= 0, previewEvery >= 0, iterations >= 0, evalEvery >= 0, samplerThreads >= 1 else {
            throw ValidationError("intervals and counts must not be negative")
        }
        if let t = threads, t < 1 { throw ValidationError("--threads must be at least 1") }
        if let b = batchSize, !(1...256).contains(b) { throw ValidationError("--batch-size must be 1...256") }
        if let r = resolution, r < 64 || r % 64 != 0 || r > 1024 { throw ValidationError("--resolution must be a multiple of 64, 64...1024") }
        if let b = baseChannels, !(1...256).contains(b) { throw ValidationError("--base-channels must be 1...256") }
        if let t = targetIter, t < 0 { throw ValidationError("--target-iter must not be negative") }
        if holdout == "-" && input.paths.isEmpty { throw ValidationError("--holdout - needs the training faces as arguments") }
    }

    /// The options of this run: the saved ones (resume) with the allowed changes, or new ones.
    func options(saved: XSegModelState?) throws -> XSegModelState {
        if var o = saved {
            func check<T: Equatable>(_ asked: T?, _ have: T, _ what: String) throws {
                if let asked, asked != have {
                    throw TrainerError.incompatibleModel("\(model) was created with \(what) \(have), not \(asked) (fixed at creation)")
                }
            }
            try check(resolution, o.resolution, "--resolution")
            try check(baseChannels, o.baseChannels, "--base-channels")
            try check(faceType?.shortName, o.faceType.shortName, "--face-type")
            try check(seed, o.seed, "--seed")
            if let b = batchSize { o.batchSize = b }
            if let t = targetIter { o.targetIteration = t }
            return o
        }
        var o = XSegModelState(resolution: resolution ?? 256, baseChannels: baseChannels ?? 32, faceType: faceType ?? .wholeFace,
                               seed: seed ?? 0, batchSize: batchSize ?? 4, targetIteration: targetIter ?? 0)
        o.iteration = 0
        try o.validate()
        return o
    }

    func run() throws {
        if let t = threads { Threads.set(t) }
        do {
            try train()
        } catch let e as TrainerError {
            printError("dfl-xseg: \(e)")
            throw ExitCode(1)
        } catch let e as InputError {
            printError("dfl-xseg: \(e)")
            throw ExitCode(1)
        }
    }

    func train() throws {
        let directory = XSegModelDirectory(model)
        let saved = directory.hasModel ? try directory.loadState() : nil
        let options = try options(saved: saved)
        let paths = try input.resolvePaths()
        let faces = try readFaces(paths, side: "training")
        guard let source = XSegSample.labelSource(faces.records) else {
            throw TrainerError.badFaceSet("none of the \(faces.records.count) faces has labels (seg_ie_polys polygons, or an xseg_mask): "
                                          + "label faces with DeepFaceLab's XSeg editor or labelme and 'dfl-xseg label'")
        }
        let labelled = faces.records.indices.filter { XSegSample.isLabelled(faces.records[$0], source: source) }
        let samples = try prepareSamples(labelled.map { faces.records[$0] }, names: labelled.map { faces.names[$0] },
                                         source: source, resolution: options.resolution, faceType: options.faceType)
        var heldOut: [XSegSample]? = nil
        if let holdout {
            let source2 = try FaceSetSource.resolve(holdout, stdinList: { [UInt8](FileHandle.standardInput.readDataToEndOfFile()) })
            let paths: [String]
            switch source2 {
            case .files(let f): paths = f
            case .pak(let p): paths = [p]
            }
            let held = try readFaces(paths, side: "held-out")
            let heldIndices = held.records.indices.filter { XSegSample.isLabelled(held.records[$0], source: source) }
            guard !heldIndices.isEmpty else {
                throw TrainerError.badFaceSet("none of the \(held.records.count) held-out faces has "
                                              + (source == .polygons ? "polygons (seg_ie_polys)" : "an xseg_mask"))
            }
            heldOut = try prepareSamples(heldIndices.map { held.records[$0] }, names: heldIndices.map { held.names[$0] },
                                         source: source, resolution: options.resolution, faceType: options.faceType)
            // The same image (from the same file or a copy) among the training faces.
            let training = Set(samples.map(\.image.data))
            let shared = heldOut!.filter { training.contains($0.image.data) }
            if !shared.isEmpty && !quiet {
                printError("dfl-xseg: warning: \(shared.count) held-out faces are also training faces; their IoU measures memory too")
            }
        }
        let session = try XSegTrainingSession(directory: directory, options: options, samples: samples)
        if let heldOut { try session.setHeldOut(heldOut) }
        if !quiet {
            let skipped = faces.records.count - labelled.count
            let what = source == .polygons ? "with polygons" : "with a stored xseg_mask (no face has polygons)"
            printError("dfl-xseg: \(saved == nil ? "new" : "resumed") XSeg model \(options.resolution) px, base \(options.baseChannels), "
                       + "face type \(options.faceType.shortName), \(session.network.parameters.reduce(0) { $0 + $1.value.count }) parameters, "
                       + "iteration \(session.state.iteration); \(samples.count) faces \(what)"
                       + (skipped > 0 ? ", \(skipped) without labels skipped" : "")
                       + (heldOut.map { ", \($0.count) held out" } ?? "") + ", batch \(options.batchSize)")
            if session.endedPretraining {
                printError("dfl-xseg: the imported model was pretraining: the iteration count and loss.csv restart at 0, the weights stay")
            }
        }
        var settings = SessionSettings()
        settings.saveEveryMinutes = saveEvery
        settings.backupEveryHours = backupEvery
        settings.previewEvery = previewEvery
        settings.previewHistory = previewHistory
        settings.maxIterations = iterations > 0 ? iterations : nil
        settings.samplerWorkers = samplerThreads
        settings.evalEvery = evalEvery
        StopRequest.install()
        let progress = TrainingProgress(tool: "dfl-xseg", quiet: quiet)
        var heldOutIoU = session.qualityRecords.last?.iou
        func line(_ iteration: Int, _ ms: Double?, _ loss: Double) -> String {
            progress.line(iteration: iteration, milliseconds: ms, values: [loss])
                + (heldOutIoU.map { String(format: "[held-out iou %.4f]", $0) } ?? "")
        }
        try session.run(settings: settings, shouldStop: { StopRequest.isRequested }) { event in
            switch event {
            case .iteration(let r):
                progress.iteration(line(r.iteration, r.iterationMilliseconds, r.loss), iterationMilliseconds: r.iterationMilliseconds,
                                   stepMilliseconds: r.stepMilliseconds)
            case let .saved(iteration, meanLoss):
                progress.permanent(line(iteration, nil, meanLoss))
            case .backup(let path):
                progress.permanent("dfl-xseg: backup \(path)")
            case .preview:
                break
            case let .evaluated(record, count, seconds):
                heldOutIoU = record.iou
                progress.permanent(String(format: "dfl-xseg: held-out mask IoU at iteration %d (%d faces, %.1f s): %.4f",
                                          record.iteration, count, seconds, record.iou))
            }
        }
        progress.finish()
        if !quiet, let s = progress.summary() { printError(s) }
    }
}
