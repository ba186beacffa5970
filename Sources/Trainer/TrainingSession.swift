// The training loop (docs/saehd-model.md §6.3): batches from the background producer, one optimizer step per
// iteration, loss.csv rows, previews, periodic saves and backups, and a clean stop on request.
import AtomicIO
import ColorTransfer
import Foundation
import Imaging
import ModelStore
import NeuralNet
import SAEHD
import Samples

/// How often the loop saves, backs up and draws previews.
public struct SessionSettings: Sendable {
    /// Minutes between autosaves (fractions allowed; 0 = only at the end).
    public var saveEveryMinutes: Double = 25
    /// Hours between dated backups (0 = none).
    public var backupEveryHours: Double = 0
    /// Iterations between previews (0 = none).
    public var previewEvery: Int = 100
    /// Keep numbered copies of each preview under preview/history/.
    public var previewHistory = false
    /// Iterations between held-out evaluations (`setHeldOut`); 0 = at each save (autosaves and the last).
    public var evalEvery: Int = 0
    /// Stop after this many iterations of this session (nil: run to the target iteration or a stop request).
    public var maxIterations: Int? = nil
    /// Sample-generator worker threads.
    public var samplerWorkers = 1
    /// Batches the generator keeps ready (nil: `SessionSettings.queueCapacity(batchBytes:)`).
    public var queueCapacity: Int? = nil
    /// Time the convolutions of this run's second step (the first one allocates) and report them as a
    /// `.convolutions` event: which algorithm each convolution shape ran, and its milliseconds.
    public var profileConvolutions = false

    public init() {}

    /// The default number of ready batches: 4, or fewer where a batch is large, so that the queue holds at most
    /// about 16 MB (at least 2, so one is ready while the next is built). A 256-px 1-channel batch of 4 per
    /// side is 8 MB: 2 ready. Building one takes a fraction of a step, so 2 keep the trainer fed.
    public static func queueCapacity(batchBytes: Int) -> Int {
        max(2, min(4, (16 << 20) / max(1, batchBytes)))
    }
}

/// One iteration's figures.
public struct IterationReport: Sendable {
    public var iteration: Int
    public var srcLoss: Double
    public var dstLoss: Double
    /// The GAN and true-face discriminators' losses (nil when off).
    public var ganDiscriminatorLoss: Double? = nil
    public var trueFaceDiscriminatorLoss: Double? = nil
    /// Time of the optimizer step alone.
    public var stepMilliseconds: Double
    /// Wall time of the whole iteration (waiting for the batch, step, bookkeeping).
    public var iterationMilliseconds: Double
}

/// What the loop tells its caller.
public enum TrainingEvent: Sendable {
    case iteration(IterationReport)
    /// A save; the mean losses since the previous save.
    case saved(iteration: Int, meanSrc: Double, meanDst: Double)
    case backup(path: String)
    case preview(path: String)
    /// A held-out evaluation (its quality.csv row), of `faces` faces, which took `seconds`.
    case evaluated(QualityRecord, faces: Int, seconds: Double)
    /// One step's convolutions (`SessionSettings.profileConvolutions`), slowest first.
    case convolutions([ConvolutionReport])
}

/// One convolution shape of a profiled step.
public struct ConvolutionReport: Sendable {
    /// Kernel, stride, input size, channels and the forward/input-gradient/weight-gradient algorithms,
    /// e.g. `k3s1 48x48 128->128 winograd-f4/winograd-f4/winograd-f4`.
    public var shape: String
    /// Calls in the step, and milliseconds of the forward and backward passes (all calls).
    public var calls: Int
    public var forwardMilliseconds: Double
    public var backwardMilliseconds: Double
}

/// A model being trained on a src and a dst faceset.
public final class TrainingSession {
    public let directory: ModelDirectory
    public let model: SAEHDModel
    public private(set) var state: ModelState
    public let src: FaceStore
    public let dst: FaceStore
    private let lossLog: LossLog
    private var previewSet: (src: [FloatImage], dst: [FloatImage])?
    /// Faces never trained on, evaluated as `settings.evalEvery` says, and where their figures go.
    private var heldOut: (faces: FaceStore, path: PredictionPath, log: QualityLog)?

    /// Creates a new model in `directory` (which must be absent or empty), or resumes the one there with
    /// `options` (the saved options with the changes allowed on resume). Nothing is written until the first
    /// save, except that loss.csv is cut back to the saved iteration on resume.
    public init(directory: ModelDirectory, options: TrainingOptions, src: FaceStore, dst: FaceStore) throws {
        try options.validate()
        let config = options.architecture
        for (store, side) in [(src, "src"), (dst, "dst")] {
            guard store.count > 0 else { throw TrainerError.badFaceSet("the \(side) faceset has no faces") }
            guard store.resolution == config.resolution, store.faceType == options.faceType else {
                throw TrainerError.invalidOption("the \(side) faces were not prepared for this model")
            }
        }
        if directory.isSingleSave {
            throw TrainerError.invalidOption("\(directory.path) is a single save (a backup or saves/ folder), which training never "
                                             + "writes to; start a model from it with --model NEW --from \(directory.path)")
        }
        self.directory = directory
        self.src = src
        self.dst = dst
        if directory.hasModel {
            let (m, saved) = try directory.loadModel(options: options)
            model = m
            state = saved
            state.options = options
            if saved.options.isPretraining && !options.isPretraining {
                // Pretraining ends (docs/saehd-model.md §3.4): the count restarts, loss.csv with it, and the inter networks
                // start again from fresh weights while the encoder and decoders keep what they learnt.
                state.iteration = 0
                state.trainingSeconds = 0
                try Self.reinitializeInters(of: m, options: options)
            }
        } else {
            try directory.checkUsableForNewModel()
            model = try makeModel(options)
            state = ModelState(iteration: 0, trainingSeconds: 0, options: options)
        }
        let (options, iteration) = (state.options, state.iteration)
        lossLog = try Self.openLossLog(directory, iteration, check: { try Self.checkGenerator(options, src, dst) })
    }

    /// Fresh weights for df's inter or liae's inter_AB and inter_B, taken from a new model seeded with
    /// `seed + 1` (so the result is reproducible), with their optimizer slots zeroed.
    static func reinitializeInters(of model: SAEHDModel, options: TrainingOptions) throws {
        var seeded = options
        seeded.seed = options.seed &+ 1
        let fresh = try makeModel(seeded)
        let slots = model.optimizer.slots
        for (i, (p, f)) in zip(model.parameters, fresh.parameters).enumerated() where p.name.hasPrefix("inter") {
            p.value.copy(from: f.value)
            for slot in slots[i] { slot.zero() }
        }
    }

    /// Checks the sample options against the faces (e.g. a colour transfer 1-channel faces cannot take) before
    /// anything is written, then creates the directory and opens loss.csv.
    private static func openLossLog(_ directory: ModelDirectory, _ iteration: Int, check: () throws -> Void) throws -> LossLog {
        try check()
        try FileManager.default.createDirectory(atPath: directory.path, withIntermediateDirectories: true)
        return try LossLog(path: directory.lossLogPath, upTo: iteration)
    }

    private static func checkGenerator(_ o: TrainingOptions, _ src: FaceStore, _ dst: FaceStore) throws {
        _ = try generator(o, src, dst)
    }

    /// The sample generator of the current options.
    func makeGenerator() throws -> BatchGenerator { try Self.generator(state.options, src, dst) }

    static func generator(_ saved: TrainingOptions, _ src: FaceStore, _ dst: FaceStore) throws -> BatchGenerator {
        let o = saved.effective
        var srcOptions = SampleOptions.srcDefaults(channels: o.channels)
        var dstOptions = SampleOptions.dstDefaults(channels: o.channels)
        srcOptions.randomWarp = o.randomWarp; dstOptions.randomWarp = o.randomWarp
        srcOptions.randomFlip = o.randomSrcFlip; dstOptions.randomFlip = o.randomDstFlip
        if o.channels == 3 { srcOptions.randomHSVPower = o.randomHSVPower }
        let ct = o.ctMode
        do {
            return try BatchGenerator(src: src, dst: dst, batchSize: o.batchSize, srcOptions: srcOptions,
                                      dstOptions: dstOptions, colorTransfer: ct, uniformYaw: o.uniformYaw, seed: o.seed)
        } catch {
            throw TrainerError.invalidOption("\(error)")
        }
    }

    /// Evaluates `faces` (never trained on; at the model's resolution and face type) through `path` during
    /// training and appends the figures to quality.csv, which is cut back to the saved iteration here.
    public func setHeldOut(_ faces: FaceStore, path: PredictionPath = .dst) throws {
        guard faces.count > 0 else { throw TrainerError.badFaceSet("the held-out faceset has no faces") }
        guard faces.resolution == model.config.resolution, faces.faceType == state.options.faceType else {
            throw TrainerError.invalidOption("the held-out faces were not prepared for this model")
        }
        heldOut = (faces, path, try QualityLog(path: directory.qualityLogPath, upTo: state.iteration))
    }

    /// The held-out evaluations so far (quality.csv's rows).
    public var qualityRecords: [QualityRecord] { heldOut?.log.records ?? [] }

    /// Reconstructs the held-out faces with the current weights and appends the mean SSIM and PSNR to
    /// quality.csv, unless this iteration already has its row (a resume that has not trained yet).
    func evaluateHeldOut(events: (TrainingEvent) -> Void) throws {
        guard let heldOut, heldOut.log.records.last?.iteration != state.iteration else { return }
        let t0 = Date()
        // The training batch size, as `dfl-train --reconstruct` uses: the same passes, the same figures.
        let result = ReconstructionResult(predictor: Predictor(model: model, batch: state.options.batchSize),
                                          faces: heldOut.faces, path: heldOut.path)
        let record = QualityRecord(iteration: state.iteration, seconds: state.trainingSeconds,
                                   ssim: result.mean.ssim, psnr: result.mean.psnr)
        heldOut.log.append(record)
        try heldOut.log.flush()   // evaluations are rare: each one is durable at once
        events(.evaluated(record, faces: heldOut.faces.count, seconds: Date().timeIntervalSince(t0)))
    }

    /// Trains until the target iteration, `settings.maxIterations`, or `shouldStop()` (checked between
    /// steps: the current step is finished), then saves. Autosaves, backups and previews as `settings` says.
    public func run(settings: SessionSettings, shouldStop: () -> Bool = { false },
                    events: (TrainingEvent) -> Void = { _ in }) throws {
        let o = state.options
        let generator = try makeGenerator()
        let r = model.config.resolution, c = model.config.channels
        // Per side: warped and target images, full and eyes-mouth masks, as floats.
        let batchBytes = 2 * o.batchSize * r * r * (2 * c + 2) * 4
        let producer = BatchProducer(generator: generator,
                                     capacity: settings.queueCapacity ?? SessionSettings.queueCapacity(batchBytes: batchBytes),
                                     workers: max(1, settings.samplerWorkers), skip: state.iteration)
        defer { producer.stop() }
        let batch = TrainingBatch(batch: o.batchSize, resolution: r, channels: c)
        var lastSave = Date()
        var lastBackup = Date()
        var sinceSave: (src: Double, dst: Double, n: Int) = (0, 0, 0)
        var done = 0
        var previous = Date()

        func saveNow() throws {
            try save()
            let n = max(1, sinceSave.n)
            events(.saved(iteration: state.iteration, meanSrc: sinceSave.src / Double(n), meanDst: sinceSave.dst / Double(n)))
            sinceSave = (0, 0, 0)
            if settings.evalEvery == 0 { try evaluateHeldOut(events: events) }
            lastSave = Date()
            if settings.backupEveryHours > 0, Date().timeIntervalSince(lastBackup) >= settings.backupEveryHours * 3600 {
                events(.backup(path: try directory.backupCurrent()))
                lastBackup = Date()
            }
        }

        while !shouldStop() {
            if o.targetIteration > 0 && state.iteration >= o.targetIteration { break }
            if let m = settings.maxIterations, done >= m { break }
            let sample: SampleBatch
            do { sample = try producer.next() } catch { throw TrainerError.badFaceSet("sample generator: \(error)") }
            sample.copyConcatenated(warped: batch.warped.buffer, target: batch.target.buffer,
                                    targetMask: batch.targetMask.buffer, targetEyesMouth: batch.targetEyesMouth.buffer)
            let profiling = settings.profileConvolutions && done == 1
            if profiling { ConvProfiler.table = [:]; ConvProfiler.enabled = true }
            let t0 = Date()
            let losses = model.trainStep(batch)
            let t1 = Date()
            if profiling {
                ConvProfiler.enabled = false
                events(.convolutions(ConvProfiler.table.map {
                    ConvolutionReport(shape: $0.key, calls: $0.value.calls, forwardMilliseconds: $0.value.forward * 1000,
                                      backwardMilliseconds: $0.value.backward * 1000)
                }.sorted { $0.forwardMilliseconds + $0.backwardMilliseconds > $1.forwardMilliseconds + $1.backwardMilliseconds }))
                ConvProfiler.table = [:]
            }
            let stepSeconds = t1.timeIntervalSince(t0), iterSeconds = t1.timeIntervalSince(previous)
            previous = t1
            state.iteration += 1
            state.trainingSeconds += iterSeconds
            done += 1
            lossLog.append(LossRecord(iteration: state.iteration, src: losses.srcMean, dst: losses.dstMean,
                                      seconds: state.trainingSeconds, ganDiscriminator: losses.ganDiscriminatorMean,
                                      trueFaceDiscriminator: losses.trueFaceDiscriminatorMean))
            sinceSave.src += losses.srcMean; sinceSave.dst += losses.dstMean; sinceSave.n += 1
            events(.iteration(IterationReport(iteration: state.iteration, srcLoss: losses.srcMean, dstLoss: losses.dstMean,
                                              ganDiscriminatorLoss: losses.ganDiscriminatorMean,
                                              trueFaceDiscriminatorLoss: losses.trueFaceDiscriminatorMean,
                                              stepMilliseconds: stepSeconds * 1000, iterationMilliseconds: iterSeconds * 1000)))
            if settings.previewEvery > 0 && state.iteration % settings.previewEvery == 0 {
                events(.preview(path: try writePreview(history: settings.previewHistory)))
            }
            if settings.saveEveryMinutes > 0 && Date().timeIntervalSince(lastSave) >= settings.saveEveryMinutes * 60 {
                try saveNow()
            }
            if settings.evalEvery > 0 && state.iteration % settings.evalEvery == 0 { try evaluateHeldOut(events: events) }
            previous = Date()   // bookkeeping above (saves, previews) is not training time
        }
        try saveNow()
        try evaluateHeldOut(events: events)   // at exit also with --eval-every (a no-op when this iteration has its row)
        // The previews at exit too, so loss.png ends with the last losses and held-out figure.
        if settings.previewEvery > 0 && done > 0 { events(.preview(path: try writePreview(history: settings.previewHistory))) }
    }

    /// Saves the model, its options and iteration, and flushes loss.csv.
    public func save() throws {
        try lossLog.flush()
        try directory.save(model: model, state: state)
    }

    /// The fixed preview faces: min(4, batch, 800/r) faces spread evenly over each faceset.
    func previewFaces() -> (src: [FloatImage], dst: [FloatImage]) {
        if let previewSet { return previewSet }
        let r = model.config.resolution, c = model.config.channels
        let n = max(1, min(4, state.options.batchSize, 800 / r))
        func pick(_ store: FaceStore) -> [FloatImage] {
            (0..<min(n, store.count)).map { store.faces[$0 * store.count / min(n, store.count)].networkInput(channels: c) }
        }
        let set = (src: pick(src), dst: pick(dst))
        previewSet = set
        return set
    }

    /// Draws preview/latest.png and preview/loss.png (and a numbered copy with `history`); returns the path.
    @discardableResult
    public func writePreview(history: Bool) throws -> String {
        let faces = previewFaces()
        let predictor = Predictor(model: model, batch: state.options.batchSize)
        let grid = Preview.grid(src: faces.src, srcToSrc: predictor.predict(faces.src, path: .src),
                                dst: faces.dst, dstToDst: predictor.predict(faces.dst, path: .dst),
                                dstToSrc: predictor.predict(faces.dst, path: .swap))
        let dir = directory.previewDirectory
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let png = try encodePNG(grid)
        try AtomicFile.write(png, to: dir + "/latest.png")
        if history {
            try FileManager.default.createDirectory(atPath: dir + "/history", withIntermediateDirectories: true)
            try AtomicFile.write(png, to: dir + "/history/" + String(format: "%09d.png", state.iteration))
        }
        try AtomicFile.write(try encodePNG(Preview.lossPlot(lossLog.records, quality: qualityRecords)), to: dir + "/loss.png")
        return dir + "/latest.png"
    }
}
