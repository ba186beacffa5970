import Foundation
import NeuralNet
import SAEHD
@testable import ModelStore
import Trainer
import XCTest

/// blur_out_mask, face_style_power and bg_style_power in model.json: saved, absent in older files (then
/// DeepFaceLab's defaults: off, 0, 0), range-checked, and handed to the model's loss options.
final class StyleOptionTests: XCTestCase {
    func testStyleOptionsAreSavedAndOldModelFilesLoadWithDefaults() throws {
        var o = tinyOptions()
        o.blurOutMask = true; o.faceStylePower = 12.5; o.bgStylePower = 40
        let decoded = try JSONDecoder().decode(TrainingOptions.self, from: JSONEncoder().encode(o))
        XCTAssertEqual(decoded.blurOutMask, true)
        XCTAssertEqual(decoded.faceStylePower, 12.5)
        XCTAssertEqual(decoded.bgStylePower, 40)
        let loss = try makeModel(decoded).lossOptions
        XCTAssertTrue(loss.blurOutMask)
        XCTAssertEqual(loss.faceStylePower, 12.5)
        XCTAssertEqual(loss.backgroundStylePower, 40)
        // A model.json written before these options existed: the keys are absent.
        let old = #"{"config":"liae-ud-64-32-16-16-16","channels":3,"faceType":"wf","optimizer":"adabelief","seed":7,"#
            + #""batchSize":4,"targetIteration":0,"lrDropout":false,"clipGradient":false,"randomWarp":true,"#
            + #""randomSrcFlip":false,"randomDstFlip":true,"maskedTraining":true,"eyesMouthPriority":false,"#
            + #""uniformYaw":false,"randomHSVPower":0,"ctMode":"none"}"#
        let legacy = try JSONDecoder().decode(TrainingOptions.self, from: Data(old.utf8))
        XCTAssertNil(legacy.blurOutMask); XCTAssertNil(legacy.faceStylePower); XCTAssertNil(legacy.bgStylePower)
        let defaults = try makeModel(legacy).lossOptions
        XCTAssertFalse(defaults.blurOutMask)
        XCTAssertEqual(defaults.faceStylePower, 0)
        XCTAssertEqual(defaults.backgroundStylePower, 0)
        XCTAssertFalse(defaults.needsSwapPrediction)
        for bad in [-1.0, 100.5] {
            var b = tinyOptions(); b.faceStylePower = bad
            XCTAssertThrowsError(try b.validate())
            b = tinyOptions(); b.bgStylePower = bad
            XCTAssertThrowsError(try b.validate())
        }
    }
}
