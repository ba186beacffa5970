import XCTest
import NeuralNet
@testable import SAEHD

final class ModelTests: XCTestCase {
    /// Parameter counts from the table of docs/saehd-model.md §2 (made by an independent counter).
    func testParameterCountsMatchSpecTable() throws {
        let cases: [(String, Int, Int)] = [
            ("liae-ud-96-32-32-32-16", 3, 7_189_853), ("liae-ud-96-32-32-32-16", 1, 7_184_661),
            ("df-udt-256-96-32-32-16", 1, 23_829_322), ("df-udt-192-128-48-32-16", 3, 29_809_402),
        ]
        for (name, ch, want) in cases {
            let m = SAEHDModel(config: try ModelConfig(name, channels: ch))
            XCTAssertEqual(m.parameterCount, want, "\(name) C=\(ch)")
        }
        // Per network (docs/saehd-model.md §2): df-udt-192-128-48-32-16 C=1 encoder 8.804M, inter 2.364M, decoders 9.316M.
        let m = SAEHDModel(config: try ModelConfig("df-udt-192-128-48-32-16", channels: 1))
        let counts = m.parameterCounts
        XCTAssertEqual(Double(counts["encoder"]!) / 1e6, 8.804, accuracy: 0.0005)
        XCTAssertEqual(Double(counts["inter"]!) / 1e6, 2.364, accuracy: 0.0005)
        XCTAssertEqual(Double(counts["decoder_src"]!) / 1e6, 9.316, accuracy: 0.0005)
        XCTAssertEqual(counts["decoder_src"], counts["decoder_dst"])
    }

    func testConfigParsingAndShapes() throws {
        let c = try ModelConfig("df-ud-96-256-64-64-22", channels: 3)
        XCTAssertEqual(c.lowest, 3); XCTAssertEqual(c.encoderLength, 18432); XCTAssertEqual(c.description, "df-ud-96-256-64-64-22")
        XCTAssertThrowsError(try ModelConfig("df-ud-100-256-64-64-22", channels: 3))
        XCTAssertThrowsError(try ModelConfig("gan-ud-96-256-64-64-22", channels: 3))
        XCTAssertThrowsError(try ModelConfig("df-ud-96-256-64-64", channels: 3))
        XCTAssertThrowsError(try ModelConfig("df-ud-96-256-64-64-22", channels: 2))
        // Output shapes of a small model, both channel counts.
        for ch in [1, 3] {
            let m = SAEHDModel(config: try ModelConfig("liae-ud-64-16-8-8-8", channels: ch))
            let batch = TrainingBatch(batch: 2, resolution: 64, channels: ch)
            batch.fillRandom(seed: 1)
            _ = m.computeGradients(batch)
            XCTAssertEqual(m.predictedImage?.shape, [4, 64, 64, ch])
            XCTAssertEqual(m.predictedMask?.shape, [4, 64, 64, 1])
        }
    }

    func testDFLNamesMapToNpyKeys() throws {
        let m = SAEHDModel(config: try ModelConfig("df-ud-64-16-8-8-8", channels: 3))
        let names = Set(m.parameters.map(\.name))
        for n in ["encoder.down1.downs_0.conv1.weight", "inter.dense1.weight", "inter.upscale1.conv1.bias",
                  "decoder_src.upscale0.conv1.weight", "decoder_dst.res2.conv2.bias", "decoder_src.out_conv3.weight",
                  "decoder_src.upscalem3.conv1.weight", "decoder_dst.out_convm.bias"] {
            XCTAssertTrue(names.contains(n), n)
        }
        XCTAssertEqual(Set(m.parameters.map(\.name)).count, m.parameters.count)
        let k = SAEHDModel.dflKey(for: "encoder.down1.downs_0.conv1.weight")
        XCTAssertEqual(k.file, "encoder.npy"); XCTAssertEqual(k.key, "down1/downs_0/conv1/weight:0")
    }

    /// Whole-model gradients against central differences of the summed SAEHD objective.
    func testModelGradientsMatchFiniteDifferences() throws {
        for name in ["df-ud-32-8-4-4-4", "liae-ud-32-8-4-4-4", "df-udt-64-8-2-2-2", "liae-u-32-8-4-4-4"] {
            let model = SAEHDModel(config: try ModelConfig(name, channels: 3), seed: 3,
                                   lossOptions: LossOptions(maskedTraining: true, eyesMouthPriority: name.hasPrefix("liae-u-")))
            let batch = TrainingBatch(batch: 2, resolution: model.config.resolution, channels: 3)
            batch.fillRandom(seed: 5)
            checkWeightGradientsByFiniteDifferences(model, batch: batch, name: name)
        }
    }

    /// The same step twice gives bit-identical gradients, whatever the gradient pool's free buffers hold
    /// (poisoned here: a backward that left part of a taken buffer unwritten would show) and however the
    /// threads are scheduled (the dense weight gradient once handed row blocks to whichever thread came
    /// free, so its per-thread partial sums grouped differently from run to run).
    func testRepeatedStepIsBitIdentical() throws {
        for name in ["df-udt-64-8-2-2-2", "liae-ud-96-32-32-32-16"] {
            let config = try ModelConfig(name, channels: 3)
            let batch = TrainingBatch(batch: 2, resolution: config.resolution, channels: 3)
            batch.fillRandom(seed: 9)
            let first = SAEHDModel(config: config, seed: 2)
            let firstLosses = first.computeGradients(batch)
            for round in 0..<3 {
                GradientPool.poisonFreeBuffers(with: round == 0 ? 1e3 : .nan)
                let again = SAEHDModel(config: config, seed: 2)
                let losses = again.computeGradients(batch)
                XCTAssertEqual(losses.src, firstLosses.src, name); XCTAssertEqual(losses.dst, firstLosses.dst, name)
                for (p, q) in zip(first.parameters, again.parameters) {
                    XCTAssertEqual(p.grad.array.map(\.bitPattern), q.grad.array.map(\.bitPattern), "\(name) \(p.name) round \(round)")
                }
            }
        }
    }

    /// One thread and two threads take different partitions (row blocks, per-thread partials, column split
    /// of wide weight gradients); the results must agree.
    func testThreadCountDoesNotChangeGradients() throws {
        let saved = Threads.count
        defer { Threads.set(saved) }
        let model = SAEHDModel(config: try ModelConfig("df-ud-64-32-8-16-8", channels: 3), seed: 2)
        let batch = TrainingBatch(batch: 2, resolution: 64, channels: 3)
        batch.fillRandom(seed: 4)
        Threads.set(1)
        _ = model.computeGradients(batch)
        let single = model.parameters.map(\.grad.array)
        for p in model.parameters { p.grad.zero() }
        Threads.set(2)
        _ = model.computeGradients(batch)
        for (p, g) in zip(model.parameters, single) {
            let worst = zip(p.grad.array, g).map { abs(Double($0 - $1)) }.max() ?? 0
            let scale = g.map { abs(Double($0)) }.max() ?? 0
            XCTAssertLessThanOrEqual(worst, 1e-4 * scale + 1e-9, p.name)
        }
    }

    /// With the same faces as src and dst inputs, the training graph's src→src pass is the swap pass and
    /// its dst→dst mask is the dst mask: predict must reproduce them.
    func testPredictMatchesTrainingGraph() throws {
        for name in ["df-ud-64-16-4-4-4", "liae-ud-64-16-4-4-4", "df-udt-64-16-4-4-4"] {
            let model = SAEHDModel(config: try ModelConfig(name, channels: 3), seed: 5)
            let batch = TrainingBatch(batch: 2, resolution: 64, channels: 3)
            batch.fillRandom(seed: 6)
            let faces = batch.half(batch.warped, 1)
            batch.half(batch.warped, 0).copy(from: faces)
            _ = model.computeGradients(batch)
            let image = batch.half(model.predictedImage!, 0).array
            let srcMask = batch.half(model.predictedMask!, 0).array
            let dstMask = batch.half(model.predictedMask!, 1).array
            let faceCopy = Tensor(shape: faces.shape); faceCopy.copy(from: faces)
            let p = model.predict(faceCopy)
            XCTAssertEqual(p.image.shape, [2, 64, 64, 3])
            // Equal up to float rounding (batch sizes differ, so GEMM blocking differs).
            func worst(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).map { abs($0 - $1) }.max() ?? 0 }
            XCTAssertLessThan(worst(p.image.array, image), 1e-5, name)
            XCTAssertLessThan(worst(p.sourceMask!.array, srcMask), 1e-5, name)
            XCTAssertLessThan(worst(p.destinationMask!.array, dstMask), 1e-5, name)
            // Asking for fewer masks leaves them out and changes nothing else.
            let imageOnly = model.predict(faceCopy, masks: [])
            XCTAssertNil(imageOnly.sourceMask, name)
            XCTAssertNil(imageOnly.destinationMask, name)
            XCTAssertEqual(imageOnly.image.array, p.image.array, name)
            let dstOnly = model.predict(faceCopy, masks: .destination)
            XCTAssertNil(dstOnly.sourceMask, name)
            XCTAssertEqual(dstOnly.destinationMask!.array, p.destinationMask!.array, name)
        }
    }

    func testFrozenInterABKeepsItsWeights() throws {
        let model = SAEHDModel(config: try ModelConfig("liae-ud-32-8-4-4-4", channels: 1), seed: 1)
        model.trainsInterAB = false
        XCTAssertFalse(model.trainsInterAB)
        let batch = TrainingBatch(batch: 1, resolution: 32, channels: 1)
        batch.fillRandom(seed: 3)
        let before = model.parameters.map(\.value.array)
        model.trainStep(batch)
        for (p, old) in zip(model.parameters, before) {
            if p.name.hasPrefix("inter_AB.") { XCTAssertEqual(p.value.array, old, p.name) }
            XCTAssertTrue(p.grad.array.allSatisfy { $0 == 0 }, p.name)
        }
        XCTAssertNotEqual(model.parameters.first { $0.name.hasPrefix("inter_B.") }!.value.array,
                          before[model.parameters.firstIndex { $0.name.hasPrefix("inter_B.") }!])
    }

    func testTrainingReducesLossAndCheckpointRoundTrips() throws {
        let model = SAEHDModel(config: try ModelConfig("liae-ud-32-16-8-8-8", channels: 1), seed: 1,
                               settings: { var s = Optimizer.Settings(); s.learningRate = 1e-3; return s }())
        let batch = TrainingBatch(batch: 2, resolution: 32, channels: 1)
        batch.fillRandom(seed: 2)
        let first = model.trainStep(batch)
        var last = first
        for _ in 0..<15 { last = model.trainStep(batch) }
        XCTAssertLessThan(last.srcMean + last.dstMean, first.srcMean + first.dstMean)
        let path = NSTemporaryDirectory() + "/saehd-ckpt-\(getpid()).safetensors"
        try model.save(to: path)
        let copy = SAEHDModel(config: model.config, seed: 99)
        try copy.load(from: path)
        XCTAssertEqual(copy.optimizer.iterations, 16)
        for (a, b) in zip(model.parameters, copy.parameters) { XCTAssertEqual(a.value.array, b.value.array, a.name) }
        try? FileManager.default.removeItem(atPath: path)
    }
}
