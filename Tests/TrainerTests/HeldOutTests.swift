import FaceSet
import Foundation
import NeuralNet
import Samples
@testable import ModelStore
import Trainer
import XCTest

/// Held-out quality during training (quality.csv) and models opened from backups.
final class HeldOutTests: XCTestCase {
    func settings(iterations: Int) -> SessionSettings {
        var s = SessionSettings()
        s.maxIterations = iterations
        s.previewEvery = 0
        s.saveEveryMinutes = 1e-9    // a save after every iteration
        return s
    }

    /// A row per save; each row's figures are exactly what evaluating the saved model from disk gives (the
    /// --reconstruct code path); a resume appends after the saved rows without repeating one, also when it
    /// trains nothing.
    func testQualityRowPerSaveEqualsTheSavedModelsReconstructionAndResumeAppends() throws {
        let dir = temporaryDirectory(self)
        let o = tinyOptions(config: "df-ud-64-32-16-16-16")
        let src = try Fixture.store("src", "train", options: o), dst = try Fixture.store("dst", "train", options: o)
        let held = try Fixture.store("dst", "heldout", options: o)
        let session = try TrainingSession(directory: ModelDirectory(dir), options: o, src: src, dst: dst)
        try session.setHeldOut(held)
        var events: [QualityRecord] = []
        try session.run(settings: settings(iterations: 3), events: { if case .evaluated(let r, _, _) = $0 { events.append(r) } })
        XCTAssertEqual(events.map(\.iteration), [1, 2, 3])
        XCTAssertEqual(session.qualityRecords, events)

        // The last row against the saved model, loaded afresh and evaluated as --reconstruct does.
        let (model, state) = try ModelDirectory(dir).loadModel()
        XCTAssertEqual(state.iteration, 3)
        let again = ReconstructionResult(predictor: Predictor(model: model, batch: state.options.batchSize),
                                         faces: try Fixture.store("dst", "heldout", options: o), path: .dst)
        XCTAssertEqual(again.mean.ssim, events.last!.ssim)
        XCTAssertEqual(again.mean.psnr, events.last!.psnr)
        XCTAssertEqual(again.qualities.count, held.count)
        // Training changed the figure (the rows are not one constant).
        XCTAssertNotEqual(events[0].ssim, events[2].ssim)

        // quality.csv on disk: header and three rows at the printed precision.
        func rows() throws -> [[String]] {
            try String(contentsOfFile: dir + "/quality.csv", encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",").map(String.init) }
        }
        var r = try rows()
        XCTAssertEqual(r.first, ["iteration", "seconds", "ssim", "psnr"])
        XCTAssertEqual(r.dropFirst().map { $0[0] }, ["1", "2", "3"])
        XCTAssertEqual(Double(r[3][2])!, events[2].ssim, accuracy: 5e-7)

        // Resume: 2 more iterations, then a run that trains none; rows 1…5 once each.
        for n in [2, 0] {
            let resumed = try TrainingSession(directory: ModelDirectory(dir), options: o, src: src, dst: dst)
            try resumed.setHeldOut(held)
            try resumed.run(settings: settings(iterations: n))
        }
        r = try rows()
        XCTAssertEqual(r.dropFirst().map { $0[0] }, ["1", "2", "3", "4", "5"])
    }

    /// With `evalEvery`, rows at multiples of it and one at exit; rows after the saved iteration (a killed
    /// run's) are dropped when the model is opened again.
    func testEvalEveryAndRowsBeyondTheSaveAreDropped() throws {
        let dir = temporaryDirectory(self)
        let o = tinyOptions(config: "df-ud-64-32-16-16-16")
        let src = try Fixture.store("src", "train", options: o), dst = try Fixture.store("dst", "train", options: o)
        let held = try Fixture.store("dst", "heldout", options: o)
        let session = try TrainingSession(directory: ModelDirectory(dir), options: o, src: src, dst: dst)
        try session.setHeldOut(held)
        var s = settings(iterations: 5)
        s.saveEveryMinutes = 0
        s.evalEvery = 2
        try session.run(settings: s)
        XCTAssertEqual(session.qualityRecords.map(\.iteration), [2, 4, 5])
        // A row from the future (as a run killed after an evaluation but before its save would not write,
        // but a hand-edited or foreign file might hold).
        let text = try String(contentsOfFile: dir + "/quality.csv", encoding: .utf8) + "9,1.0,0.5,20.0\n"
        try text.write(toFile: dir + "/quality.csv", atomically: true, encoding: .utf8)
        let resumed = try TrainingSession(directory: ModelDirectory(dir), options: o, src: src, dst: dst)
        try resumed.setHeldOut(held)
        XCTAssertEqual(resumed.qualityRecords.map(\.iteration), [2, 4, 5])
    }

    /// Held-out faces of another face type or resolution are refused by the exact loader; faces that are
    /// also training faces are found.
    func testExactLoaderAndSharedFaces() throws {
        let o = tinyOptions()
        let files = FaceSetSource.files(try FaceList.expand([Fixture.folder("dst", "heldout")]))
        XCTAssertThrowsError(try loadFaceStore(files, side: "held-out", resolution: 64, faceType: .full, exact: true)) {
            XCTAssertTrue("\($0)".contains("64 px wf face; the model takes 64 px f faces"), "\($0)")
        }
        XCTAssertThrowsError(try loadFaceStore(files, side: "held-out", resolution: 32, faceType: .wholeFace, exact: true)) {
            XCTAssertTrue("\($0)".contains("the model takes 32 px wf faces"), "\($0)")
        }
        let held = try loadFaceStore(files, side: "held-out", resolution: 64, faceType: .wholeFace, exact: true)
        let train = try Fixture.store("dst", "train", options: o)
        XCTAssertEqual(sharedFaces(held, in: [train]), [])
        XCTAssertEqual(sharedFaces(held, in: [train, held]), Array(0..<held.count))
    }
}
