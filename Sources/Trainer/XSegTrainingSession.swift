// dfl-xseg's training loop (docs/xseg.md, "Training"): DFL's XSeg step (sigmoid cross-entropy on the logits,
// RMSprop lr 1e-4 with lr dropout 0.3) on augmented batches of the labelled faces, with dfl-train's
// machinery: crash-safe saves (XSegModelDirectory over GenerationStore), loss.csv, held-out mask IoU in
// quality.csv, previews and the loss chart, and a clean stop on request.
import AtomicIO
import Foundation
import Imaging
import ModelStore
import NeuralNet
import Samples
import XSeg

/// One XSeg iteration's figures.
public struct XSegIterationReport: Sendable {
    public var iteration: Int
    /// The batch's mean loss (what DFL logs).
    public var loss: Double
    public var stepMilliseconds: Double
    public var iterationMilliseconds: Double
}

/// What the XSeg loop tells its caller.
public enum XSegTrainingEvent: Sendable {
    case iteration(XSegIterationReport)
    /// A save; the mean loss since the previous save.
    case saved(iteration: Int, meanLoss: Double)
    case backup(path: String)
    case preview(path: String)
    /// A held-out evaluation (its quality.csv row) of `faces` faces, which took `seconds`.
    case evaluated(XSegQualityRecord, faces: Int, seconds: Double)
}

/// An XSeg model being trained on labelled faces.
public final class XSegTrainingSession {
    public let directory: XSegModelDirectory
    public let network: XSegNetwork
    public let optimizer: Optimizer
    public private(set) var state: XSegModelState
    public let samples: [XSegSample]
    /// Whether this session ended an imported model's pretraining (iteration and loss.csv restarted).
    public let endedPretraining: Bool
    private let extras: XSegDFLExtras
    private let lossLog: XSegLossLog
    private var heldOut: (samples: [XSegSample], log: XSegQualityLog)?

    /// Creates a new model in `directory` (absent or empty) with `options`, or resumes the one there, whose
    /// fixed options (resolution, base channels, face type, seed) must equal `options`' (batch size and target
    /// iteration are taken from `options`). `samples` are the labelled faces at the model's resolution and
    /// face type. Nothing is written until the first save, except loss.csv cut back to the saved iteration.
    public init(directory: XSegModelDirectory, options: XSegModelState, samples: [XSegSample]) throws {
        try options.validate()
        guard !samples.isEmpty else { throw TrainerError.badFaceSet("no labelled faces to train on") }
        guard samples.allSatisfy({ $0.image.width == options.resolution && $0.mask.width == options.resolution }) else {
            throw TrainerError.invalidOption("the labelled faces were not prepared for this model")
        }
        if directory.isSingleSave {
            throw TrainerError.invalidOption("\(directory.path) is a single save (a backup or saves/ folder), which training never writes to")
        }
        self.directory = directory
        self.samples = samples
        var ended = false
        if directory.hasModel {
            let loaded = try directory.load(includeOptimizer: true)
            let saved = loaded.state
            var differences: [String] = []
            if saved.resolution != options.resolution { differences.append("resolution \(saved.resolution), not \(options.resolution)") }
            if saved.baseChannels != options.baseChannels { differences.append("base channels \(saved.baseChannels), not \(options.baseChannels)") }
            if saved.faceType != options.faceType { differences.append("face type \(saved.faceType.shortName), not \(options.faceType.shortName)") }
            if saved.seed != options.seed { differences.append("seed \(saved.seed), not \(options.seed)") }
            if !differences.isEmpty {
                throw TrainerError.incompatibleModel("\(directory.path) holds a model with " + differences.joined(separator: ", ") + " (fixed at creation)")
            }
            network = loaded.network
            optimizer = loaded.optimizer
            extras = loaded.extras
            state = saved
            state.batchSize = options.batchSize
            state.targetIteration = options.targetIteration
            if saved.pretrain {
                // DFL ends pretraining the same way: the count and the history restart, the weights stay.
                state.pretrain = false
                state.iteration = 0
                state.trainingSeconds = 0
                ended = true
            }
        } else {
            try directory.checkUsableForNewModel()
            network = XSegNetwork(resolution: options.resolution, baseChannels: options.baseChannels, seed: options.seed)
            optimizer = XSegNetwork.dflOptimizer(for: network, seed: options.seed)
            extras = XSegDFLExtras()
            state = options
            state.iteration = 0
            state.trainingSeconds = 0
            state.pretrain = false
        }
        endedPretraining = ended
        try FileManager.default.createDirectory(atPath: directory.path, withIntermediateDirectories: true)
        lossLog = try XSegLossLog(path: directory.lossLogPath, upTo: state.iteration)
    }

    /// Evaluates `samples` (labelled faces never trained on, at the model's resolution and face type) at each
    /// save or every `evalEvery` iterations; quality.csv is cut back to the saved iteration here.
    public func setHeldOut(_ samples: [XSegSample]) throws {
        guard !samples.isEmpty else { throw TrainerError.badFaceSet("the held-out faces have no labels") }
        guard samples.allSatisfy({ $0.image.width == state.resolution }) else {
            throw TrainerError.invalidOption("the held-out faces were not prepared for this model")
        }
        heldOut = (samples, try XSegQualityLog(path: directory.qualityLogPath, upTo: state.iteration))
    }

    /// The held-out evaluations so far (quality.csv's rows).
    public var qualityRecords: [XSegQualityRecord] { heldOut?.log.records ?? [] }

    /// The loss rows so far (loss.csv's).
    public var lossRecords: [XSegLossRecord] { lossLog.records }

    // MARK: The step

    /// One optimizer step on `batch`; returns the batch's mean loss.
    public func trainStep(_ batch: XSegBatch) -> Double {
        let r = state.resolution, n = batch.batchSize
        let x = Tensor(shape: [n, r, r, 3], values: batch.images)
        let target = Tensor(shape: [n, r, r, 1], values: batch.masks)
        let logits = network.forward(x)
        let (losses, gradient) = XSegLoss.sigmoidCrossEntropy(logits: logits, target: target)
        network.backward(gradient)
        optimizer.step()
        return losses.reduce(0, +) / Double(max(1, losses.count))
    }

    /// The network's masks (sigmoid, r×r) of prepared samples' images, clipped to [0, 1] as in training, a
    /// batch at a time.
    public func predict(_ images: [FloatImage]) -> [FloatImage] {
        let r = state.resolution, per = r * r * 3, batch = max(1, state.batchSize)
        var out: [FloatImage] = []
        for start in stride(from: 0, to: images.count, by: batch) {
            let chunk = images[start..<min(start + batch, images.count)]
            let x = Tensor(shape: [chunk.count, r, r, 3])
            for (i, image) in chunk.enumerated() {
                for j in 0..<per { x.data[i * per + j] = min(max(image.data[j], 0), 1) }
            }
            let mask = XSegNetwork.mask(network.forward(x)).array
            for i in 0..<chunk.count {
                out.append(FloatImage(width: r, height: r, channels: 1, data: Array(mask[(i * r * r)..<((i + 1) * r * r)])))
            }
        }
        return out
    }

    /// The mean over faces of the IoU of the predicted mask (≥ 0.5) and the label (≥ 0.5); a face whose
    /// prediction and label are both empty counts 1.
    public static func meanIoU(predictions: [FloatImage], labels: [FloatImage]) -> Double {
        precondition(predictions.count == labels.count && !labels.isEmpty, "one prediction per label")
        var total = 0.0
        for (p, l) in zip(predictions, labels) {
            var intersection = 0, union = 0
            for i in 0..<p.data.count {
                let a = p.data[i] >= 0.5, b = l.data[i] >= 0.5
                if a && b { intersection += 1 }
                if a || b { union += 1 }
            }
            total += union == 0 ? 1 : Double(intersection) / Double(union)
        }
        return total / Double(labels.count)
    }

    /// Evaluates the held-out faces with the current weights and appends the IoU to quality.csv, unless this
    /// iteration already has its row.
    func evaluateHeldOut(events: (XSegTrainingEvent) -> Void) throws {
        guard let heldOut, heldOut.log.records.last?.iteration != state.iteration else { return }
        let t0 = Date()
        let iou = Self.meanIoU(predictions: predict(heldOut.samples.map(\.image)), labels: heldOut.samples.map(\.binaryMask))
        let record = XSegQualityRecord(iteration: state.iteration, seconds: state.trainingSeconds, iou: iou)
        heldOut.log.append(record)
        try heldOut.log.flush()
        events(.evaluated(record, faces: heldOut.samples.count, seconds: Date().timeIntervalSince(t0)))
    }

    // MARK: The loop

    /// Trains until the target iteration, `settings.maxIterations`, or `shouldStop()` (checked between steps),
    /// then saves. Autosaves, backups, previews and held-out evaluations as `settings` says.
    public func run(settings: SessionSettings, shouldStop: () -> Bool = { false },
                    events: (XSegTrainingEvent) -> Void = { _ in }) throws {
        let generator: XSegBatchGenerator
        do { generator = try XSegBatchGenerator(samples: samples, batchSize: state.batchSize, seed: state.seed) } catch {
            throw TrainerError.badFaceSet("\(error)")
        }
        let r = network.resolution
        let batchBytes = state.batchSize * r * r * (3 + 1) * 4   // RGB images and masks, as floats
        let producer = BatchProducer(generator: generator,
                                     capacity: settings.queueCapacity ?? SessionSettings.queueCapacity(batchBytes: batchBytes),
                                     workers: max(1, settings.samplerWorkers), skip: state.iteration)
        defer { producer.stop() }
        var lastSave = Date(), lastBackup = Date(), previous = Date()
        var sinceSave: (loss: Double, n: Int) = (0, 0)
        var done = 0

        func saveNow() throws {
            try save()
            events(.saved(iteration: state.iteration, meanLoss: sinceSave.loss / Double(max(1, sinceSave.n))))
            sinceSave = (0, 0)
            if settings.evalEvery == 0 { try evaluateHeldOut(events: events) }
            lastSave = Date()
            if settings.backupEveryHours > 0, Date().timeIntervalSince(lastBackup) >= settings.backupEveryHours * 3600 {
                events(.backup(path: try directory.backupCurrent()))
                lastBackup = Date()
            }
        }

        while !shouldStop() {
            if state.targetIteration > 0 && state.iteration >= state.targetIteration { break }
            if let m = settings.maxIterations, done >= m { break }
            let batch: XSegBatch
            do { batch = try producer.next() } catch { throw TrainerError.badFaceSet("sample generator: \(error)") }
            let t0 = Date()
            let loss = trainStep(batch)
            let t1 = Date()
            let stepSeconds = t1.timeIntervalSince(t0), iterSeconds = t1.timeIntervalSince(previous)
            state.iteration += 1
            state.trainingSeconds += iterSeconds
            done += 1
            lossLog.append(XSegLossRecord(iteration: state.iteration, loss: loss, seconds: state.trainingSeconds))
            sinceSave.loss += loss; sinceSave.n += 1
            events(.iteration(XSegIterationReport(iteration: state.iteration, loss: loss, stepMilliseconds: stepSeconds * 1000,
                                                  iterationMilliseconds: iterSeconds * 1000)))
            if settings.previewEvery > 0 && state.iteration % settings.previewEvery == 0 {
                events(.preview(path: try writePreview(history: settings.previewHistory)))
            }
            if settings.saveEveryMinutes > 0 && Date().timeIntervalSince(lastSave) >= settings.saveEveryMinutes * 60 {
                try saveNow()
            }
            if settings.evalEvery > 0 && state.iteration % settings.evalEvery == 0 { try evaluateHeldOut(events: events) }
            previous = Date()   // saves, previews and evaluations are not training time
        }
        try saveNow()
        try evaluateHeldOut(events: events)
        if settings.previewEvery > 0 && done > 0 { events(.preview(path: try writePreview(history: settings.previewHistory))) }
    }

    /// Saves the model and flushes loss.csv.
    public func save() throws {
        try lossLog.flush()
        try directory.save(network: network, optimizer: optimizer, state: state, extras: extras)
    }

    // MARK: Previews

    /// Names of the preview grid's columns.
    public static let previewColumns = ["face", "label", "mask", "overlay"]

    /// DFL's overlay: the face where the mask is 1, half the face plus half green where it is 0.
    public static func overlay(_ face: FloatImage, mask: FloatImage) -> FloatImage {
        var out = face
        for p in 0..<(face.width * face.height) {
            let m = mask.data[p]
            for k in 0..<3 {
                let v = face.data[p * 3 + k]
                out.data[p * 3 + k] = v * m + 0.5 * v * (1 - m) + (k == 1 ? 0.5 * (1 - m) : 0)
            }
        }
        return out
    }

    /// preview/latest.png (rows: up to 4 training faces and 2 held-out ones; columns: the face, its label over
    /// it, the predicted mask, the prediction over it) and preview/loss.png; returns the grid's path.
    @discardableResult
    public func writePreview(history: Bool) throws -> String {
        func spread(_ s: [XSegSample], _ n: Int) -> [XSegSample] {
            let k = min(n, s.count)
            return (0..<k).map { s[$0 * s.count / k] }
        }
        let rows = spread(samples, 4) + spread(heldOut?.samples ?? [], 2)
        let faces = rows.map { XSegAugmentation.clipped($0.image) }
        let predicted = predict(rows.map(\.image))
        let grid = Preview.grid(columns: [
            ("face", faces),
            ("label", zip(faces, rows).map { Self.overlay($0, mask: $1.binaryMask) }),
            ("mask", predicted.map { $0.grayToRGB() }),
            ("overlay", zip(faces, predicted).map { Self.overlay($0, mask: $1) }),
        ])
        let dir = directory.previewDirectory
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let png = try encodePNG(grid, fast: true)
        try AtomicFile.write(png, to: dir + "/latest.png")
        if history {
            try FileManager.default.createDirectory(atPath: dir + "/history", withIntermediateDirectories: true)
            try AtomicFile.write(png, to: dir + "/history/" + String(format: "%09d.png", state.iteration))
        }
        try AtomicFile.write(try encodePNG(LossPlot.draw(lossChart)), to: dir + "/loss.png")
        return dir + "/latest.png"
    }

    /// The loss chart's data: the loss per iteration and the held-out IoU.
    public var lossChart: LossChart {
        let rows = lossLog.records
        return LossChart(series: [LossChart.Series(name: "loss", color: LossPlot.srcColor,
                                                   points: rows.map { LossChart.Point(iteration: $0.iteration, value: $0.loss) })],
                         seconds: rows.map { LossChart.Point(iteration: $0.iteration, value: $0.seconds) },
                         quality: qualityRecords.map { LossChart.Point(iteration: $0.iteration, value: $0.iou) },
                         qualityName: "held-out iou", qualityAxis: "iou")
    }
}

