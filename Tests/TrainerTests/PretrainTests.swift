import Foundation
import NeuralNet
import SAEHD
@testable import ModelStore
@testable import Trainer
import XCTest

/// Pretraining (docs/saehd-model.md §3.4): DeepFaceLab's forced settings while it runs, and what ending it resets.
final class PretrainTests: XCTestCase {
    override func tearDown() { Threads.set(ProcessInfo.processInfo.activeProcessorCount) }

    func testPretrainingForcesItsSettingsWithoutChangingTheSavedOnes() throws {
        var o = tinyOptions()
        o.ctMode = .lct
        o.lrDropout = true
        o.faceStylePower = 20
        o.bgStylePower = 10
        o.pretrain = true
        let faces = try Fixture.store("src", "train", options: o, keepColorReference: true)
        let dir = temporaryDirectory(self)
        let session = try TrainingSession(directory: ModelDirectory(dir), options: o, src: faces, dst: faces)
        let generator = try session.makeGenerator()
        XCTAssertFalse(generator.srcOptions.randomWarp)
        XCTAssertFalse(generator.dstOptions.randomWarp)
        XCTAssertTrue(generator.srcOptions.randomFlip)
        XCTAssertTrue(generator.dstOptions.randomFlip)
        XCTAssertTrue(o.effective.uniformYaw)   // the generator samples uniformly over yaw with it
        XCTAssertNil(generator.colorTransfer)
        XCTAssertEqual(session.model.optimizer.settings.learningRateDropout, 1)
        XCTAssertFalse(session.model.trainsInterAB)   // liae with random warp off (docs/saehd-model.md §1.5)
        XCTAssertEqual(session.model.lossOptions.faceStylePower, 0)
        XCTAssertEqual(session.model.lossOptions.backgroundStylePower, 0)
        var settings = SessionSettings()
        settings.maxIterations = 2
        settings.previewEvery = 0
        try session.run(settings: settings)
        // What is saved is what was asked for; pretraining only overrides it while it lasts.
        let saved = try ModelDirectory(dir).loadState().options
        XCTAssertEqual(saved, o)
        XCTAssertTrue(saved.randomWarp)
        XCTAssertEqual(saved.ctMode, .lct)
        XCTAssertEqual(saved.faceStylePower, 20)
    }

    /// Training the pretrained model on src and dst: iteration 0, empty loss.csv, fresh inter weights with
    /// zeroed optimizer slots, encoder and decoder weights and slots as pretraining left them.
    func testEndingPretrainingResetsTheCountAndTheInters() throws {
        Threads.set(1)
        var o = tinyOptions()
        o.pretrain = true
        let src = try Fixture.store("src", "train", options: o), dst = try Fixture.store("dst", "train", options: o)
        let dir = temporaryDirectory(self)
        var settings = SessionSettings()
        settings.maxIterations = 3
        settings.previewEvery = 0
        try TrainingSession(directory: ModelDirectory(dir), options: o, src: dst, dst: dst).run(settings: settings)
        let (pretrained, _) = try ModelDirectory(dir).loadModel()

        o.pretrain = false
        let session = try TrainingSession(directory: ModelDirectory(dir), options: o, src: src, dst: dst)
        XCTAssertEqual(session.state.iteration, 0)
        let csv = try String(contentsOfFile: dir + "/loss.csv", encoding: .utf8)
        XCTAssertEqual(csv, "iteration,src_loss,dst_loss,seconds\n")
        var reseeded = o
        reseeded.seed = o.seed + 1
        let fresh = try makeModel(reseeded)
        var inters = 0
        for (i, p) in session.model.parameters.enumerated() {
            let before = pretrained.parameters[i], slots = session.model.optimizer.slots[i]
            if p.name.hasPrefix("inter_AB.") || p.name.hasPrefix("inter_B.") {
                inters += 1
                XCTAssertEqual(p.value.array, fresh.parameters[i].value.array, p.name)
                // (Biases start at zero in both, and liae's inter_AB is frozen while pretraining.)
                if !p.name.hasSuffix(".bias") { XCTAssertNotEqual(p.value.array, before.value.array, p.name) }
                for s in slots { XCTAssertTrue(s.array.allSatisfy { $0 == 0 }, p.name) }
            } else {
                XCTAssertEqual(p.value.array, before.value.array, p.name)
                for (s, t) in zip(slots, pretrained.optimizer.slots[i]) { XCTAssertEqual(s.array, t.array, p.name) }
            }
        }
        XCTAssertGreaterThan(inters, 0)
        // The encoder was trained by pretraining (this is not a comparison of two untrained models).
        XCTAssertNotEqual(try makeModel(o).parameters[0].value.array, pretrained.parameters[0].value.array)
        settings.maxIterations = 1
        try session.run(settings: settings)
        let state = try ModelDirectory(dir).loadState()
        XCTAssertEqual(state.iteration, 1)
        XCTAssertEqual(state.options.pretrain, false)
    }
}
