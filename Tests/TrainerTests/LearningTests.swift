import FaceSet
import Imaging
import NeuralNet
import Samples
@testable import ModelStore
import Trainer
import XCTest

/// A tiny model trained for a few hundred iterations on real faces lowers both losses clearly, and its
/// dst→dst reconstruction of held-out frames (never trained on) improves in masked SSIM.
final class LearningTests: XCTestCase {
    func testColourModelLearns() throws { try checkLearning(channels: 3, faceFolders: ("src", "dst")) }

    /// SAEHDBW from a 1-channel faceset.
    func testGrayModelLearns() throws { try checkLearning(channels: 1, faceFolders: ("src_gray", "dst_gray")) }

    func checkLearning(channels: Int, faceFolders: (String, String), iterations: Int = 200) throws {
        var o = tinyOptions(channels: channels, batch: 4)
        o.lrDropout = false
        let src = try Fixture.store(faceFolders.0, "train", options: o)
        let dst = try Fixture.store(faceFolders.1, "train", options: o)
        let heldOut = try Fixture.store(faceFolders.1, "heldout", options: o)
        XCTAssertEqual(src.channels, channels)
        let session = try TrainingSession(directory: ModelDirectory(temporaryDirectory(self)), options: o, src: src, dst: dst)
        let before = heldOutSSIM(session, heldOut)

        var settings = SessionSettings()
        settings.maxIterations = iterations
        settings.previewEvery = 0
        settings.saveEveryMinutes = 0
        var losses: [(Double, Double)] = []
        try session.run(settings: settings) { if case .iteration(let r) = $0 { losses.append((r.srcLoss, r.dstLoss)) } }
        XCTAssertEqual(losses.count, iterations)
        func mean(_ s: ArraySlice<(Double, Double)>) -> (Double, Double) {
            (s.map(\.0).reduce(0, +) / Double(s.count), s.map(\.1).reduce(0, +) / Double(s.count))
        }
        let first = mean(losses.prefix(10)), last = mean(losses.suffix(20))
        let after = heldOutSSIM(session, heldOut)
        print("channels \(channels): src loss \(first.0) → \(last.0), dst loss \(first.1) → \(last.1), held-out dst→dst SSIM \(before) → \(after)")
        XCTAssertLessThan(last.0, first.0 / 1.5, "src loss did not drop by a clear factor")
        XCTAssertLessThan(last.1, first.1 / 1.5, "dst loss did not drop by a clear factor")
        XCTAssertGreaterThan(after, before + 0.1, "held-out dst→dst SSIM did not improve")
    }

    func heldOutSSIM(_ session: TrainingSession, _ faces: FaceStore) -> Double {
        let c = session.model.config.channels
        let inputs = faces.faces.map { $0.networkInput(channels: c) }
        let predicted = Predictor(model: session.model, batch: 4).predict(inputs, path: .dst)
        var total = 0.0
        for i in inputs.indices {
            total += Quality.measure(reference: inputs[i], prediction: predicted[i], mask: faces.faces[i].maskFloat).ssim
        }
        return total / Double(inputs.count)
    }
}
