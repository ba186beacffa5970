import Foundation
import NeuralNet
import SAEHD
@testable import ModelStore
import Trainer
import XCTest

/// `--learning-rate`: the optimizer's step scales with it, model.json keeps it, and a model.json written
/// before the option existed still loads with DeepFaceLab's 5e-5.
final class LearningRateTests: XCTestCase {
    /// AdaBelief's first update is -lr·m/(√v+ε) with m and v from the same gradient, so from the same
    /// weights and batch the update at lr 1e-3 is 20 times the one at 5e-5, weight by weight.
    func testFirstUpdateScalesWithTheLearningRate() throws {
        var deltas: [[Float]] = []
        for lr in [nil, 1e-3] as [Double?] {
            var o = tinyOptions(config: "df-ud-32-16-8-8-8", batch: 2)
            o.learningRate = lr
            let model = try makeModel(o)
            let before = model.parameters[0].value.array
            let batch = TrainingBatch(batch: 2, resolution: 32, channels: 3)
            batch.fillRandom(seed: 3)
            _ = model.trainStep(batch)
            deltas.append(zip(model.parameters[0].value.array, before).map { $0 - $1 })
        }
        let moved = zip(deltas[0], deltas[1]).filter { abs($0.0) > 1e-7 }
        XCTAssertGreaterThan(moved.count, 100)
        for (small, large) in moved {
            // Float rounding of w + Δ limits how exactly the difference shows the step.
            XCTAssertEqual(Double(large / small), 20, accuracy: 0.5)
        }
    }

    func testLearningRateIsSavedAndOldModelFilesLoad() throws {
        var o = tinyOptions()
        o.learningRate = 2e-4
        let decoded = try JSONDecoder().decode(TrainingOptions.self, from: JSONEncoder().encode(o))
        XCTAssertEqual(decoded.learningRate, 2e-4)
        // Options as a model.json written before --learning-rate existed: the key is absent.
        let old = #"{"config":"liae-ud-64-32-16-16-16","channels":3,"faceType":"wf","optimizer":"adabelief","seed":7,"#
            + #""batchSize":4,"targetIteration":0,"lrDropout":false,"clipGradient":false,"randomWarp":true,"#
            + #""randomSrcFlip":false,"randomDstFlip":true,"maskedTraining":true,"eyesMouthPriority":false,"#
            + #""uniformYaw":false,"randomHSVPower":0,"ctMode":"none"}"#
        let legacy = try JSONDecoder().decode(TrainingOptions.self, from: Data(old.utf8))
        XCTAssertNil(legacy.learningRate)
        XCTAssertEqual(try makeModel(legacy).optimizer.settings.learningRate, 5e-5)
        o.learningRate = 0.5
        XCTAssertThrowsError(try o.validate())
    }
}
