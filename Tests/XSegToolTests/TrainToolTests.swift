import FaceSet
import Foundation
import Imaging
@testable import ModelStore
import NeuralNet
import Samples
import TestSupport
import Trainer
import XCTest
@testable import XSeg

/// dfl-xseg train as a user runs it: the loss falls, saves reload bit for bit, a resume continues the run, a
/// kill at any moment leaves a loadable model, a stop request saves, held-out IoU is logged.
final class TrainToolTests: XCTestCase {
    override func tearDown() { Threads.set(ProcessInfo.processInfo.activeProcessorCount) }

    func losses(_ model: String) throws -> [Double] {
        try String(contentsOfFile: model + "/loss.csv", encoding: .utf8).split(separator: "\n").dropFirst()
            .map { Double($0.split(separator: ",")[1])! }
    }

    func weights(_ model: String) throws -> [String: [UInt32]] {
        let (network, _, _, _) = try XSegModelDirectory(model).load(includeOptimizer: false)
        return Dictionary(uniqueKeysWithValues: network.parameters.map { ($0.name, $0.value.array.map(\.bitPattern)) })
    }

    /// 100 iterations on the two faces with polygons: the mean loss of the last 10 is below that of the first
    /// 10; the third face (no polygons) is skipped and counted.
    func testTrainingLowersTheLoss() throws {
        let work = temporaryDirectory(self), faces = try Fixture.copyFaces(to: work), model = work + "/m"
        let r = try xseg(["train", "--model", model, "--iterations", "100", "--save-every", "0"] + tiny.filter { $0 != "--quiet" } + [faces])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("2 faces with polygons, 1 without labels skipped"), r.stderr)
        XCTAssertEqual(r.stdout, "")
        let l = try losses(model)
        XCTAssertEqual(l.count, 100)
        let first = l.prefix(10).reduce(0, +) / 10, last = l.suffix(10).reduce(0, +) / 10
        print("xseg loss: first 10 \(first), last 10 \(last)")
        XCTAssertLessThan(last, first - 0.01)
        let state = try XSegModelDirectory(model).loadState()
        XCTAssertEqual([state.iteration, state.resolution, state.baseChannels, state.batchSize], [100, 64, 4, 2])
        XCTAssertEqual(state.faceType, .wholeFace)
    }

    /// What the tool saved is what an in-process session with the same seed trains, bit for bit, and the
    /// session's own save reloads to its weights and optimizer slots bit for bit.
    func testSavedModelReloadsBitIdentically() throws {
        Threads.set(1)
        let work = temporaryDirectory(self), faces = try Fixture.copyFaces(to: work)
        let toolModel = work + "/tool"
        let r = try xseg(["train", "--model", toolModel, "--iterations", "6", "--save-every", "0", "--seed", "5"] + tiny + [faces])
        XCTAssertEqual(r.status, 0, r.stderr)

        let options = XSegModelState(resolution: 64, baseChannels: 4, faceType: .wholeFace, seed: 5, batchSize: 2)
        let records = try Fixture.faces.map { try XSegFaceRecord(faceFile: bytes(faces + "/" + $0)) }.filter(\.hasPolygons)
        let samples = try records.map { try XSegSample.prepare($0, source: .polygons, resolution: 64, faceType: .wholeFace) }
        let dir = work + "/session"
        let session = try XSegTrainingSession(directory: XSegModelDirectory(dir), options: options, samples: samples)
        var settings = SessionSettings()
        settings.maxIterations = 6
        settings.previewEvery = 0
        settings.saveEveryMinutes = 0
        try session.run(settings: settings)
        let (network, optimizer, state, _) = try XSegModelDirectory(dir).load(includeOptimizer: true)
        XCTAssertEqual(state.iteration, 6)
        XCTAssertEqual(optimizer.iterations, 6)
        var slots = 0
        for (i, (a, b)) in zip(session.network.parameters, network.parameters).enumerated() {
            XCTAssertEqual(a.value.array.map(\.bitPattern), b.value.array.map(\.bitPattern), a.name)
            XCTAssertEqual(session.optimizer.slots[i][0].array.map(\.bitPattern), optimizer.slots[i][0].array.map(\.bitPattern), a.name)
            slots += 1
        }
        XCTAssertEqual(slots, 222)
        XCTAssertEqual(try weights(toolModel), try weights(dir), "the tool's save differs from the session's weights")
        // Training moved the weights (the comparison is not between two untrained networks).
        let fresh = XSegNetwork(resolution: 64, baseChannels: 4, seed: 5)
        XCTAssertNotEqual(fresh.parameters[0].value.array, network.parameters[0].value.array)
        XCTAssertEqual(try losses(toolModel), session.lossRecords.map(\.loss).map { Double(String(format: "%.6f", $0))! })
    }

    /// 3 + resume + 3 iterations give the losses, weights and optimizer state of 6 straight.
    func testResumeContinuesAsAnUninterruptedRun() throws {
        let work = temporaryDirectory(self), faces = try Fixture.copyFaces(to: work)
        let straight = work + "/straight", resumed = work + "/resumed"
        XCTAssertEqual(try xseg(["train", "--model", straight, "--iterations", "6", "--save-every", "0"] + tiny + [faces]).status, 0)
        XCTAssertEqual(try xseg(["train", "--model", resumed, "--iterations", "3", "--save-every", "0"] + tiny + [faces]).status, 0)
        let r = try xseg(["train", "--model", resumed, "--iterations", "3", "--save-every", "0", "--threads", "1", faces])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("resumed XSeg model 64 px, base 4") && r.stderr.contains("iteration 3"), r.stderr)
        XCTAssertEqual(try losses(resumed), try losses(straight))
        XCTAssertEqual(try weights(resumed), try weights(straight))
        XCTAssertEqual(FileManager.default.contents(atPath: resumed + "/optimizer.safetensors"),
                       FileManager.default.contents(atPath: straight + "/optimizer.safetensors"))
        // A fixed option differs: refused, nothing changed.
        let before = snapshot(resumed)
        let bad = try xseg(["train", "--model", resumed, "--iterations", "1", "--base-channels", "8", faces])
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stderr.contains("--base-channels 4, not 8"), bad.stderr)
        XCTAssertEqual(snapshot(resumed), before)
    }

    /// SIGKILL at random moments while the trainer saves after every iteration: the model always loads, with
    /// its optimizer, and never goes back in time.
    func testSIGKILLLeavesALoadableModel() throws {
        let work = temporaryDirectory(self), faces = try Fixture.copyFaces(to: work), model = work + "/m"
        var rng = SystemRandomNumberGenerator()
        var last = 0, interrupted = 0
        let trials = 8
        for trial in 0..<trials {
            let p = try startXSeg(["train", "--model", model, "--save-every", "0.0002"] + tiny + [faces], logs: work + "/log\(trial)")
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline {
                if let s = try? XSegModelDirectory(model).loadState(), s.iteration > last { break }
                usleep(2_000)
            }
            usleep(UInt32.random(in: 0...200_000, using: &rng))
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            XCTAssertEqual(p.terminationReason, .uncaughtSignal, "trial \(trial): the trainer was not running")
            let linked = Set(["current", "previous"].compactMap { try? FileManager.default.destinationOfSymbolicLink(atPath: model + "/" + $0) })
            if ((try? FileManager.default.contentsOfDirectory(atPath: model + "/saves")) ?? []).contains(where: { !linked.contains("saves/" + $0) }) {
                interrupted += 1
            }
            // `current` always names a complete save on its own (it is switched only after the save is written).
            let current = model + "/" + (try FileManager.default.destinationOfSymbolicLink(atPath: model + "/current"))
            XCTAssertEqual(try XSegModelDirectory(current).load(includeOptimizer: true).state.iteration,
                           try XSegModelDirectory(model).loadState().iteration, "trial \(trial): current is not complete")
            let opened = try XSegStore.open(model, includeOptimizer: true)
            XCTAssertGreaterThanOrEqual(opened.state.iteration, last, "trial \(trial) went back in time")
            XCTAssertEqual(opened.optimizer.iterations, opened.state.iteration)
            last = opened.state.iteration
        }
        XCTAssertGreaterThanOrEqual(last, trials)
        print("xseg SIGKILL: \(trials) kills, \(interrupted) in the middle of a save, model at iteration \(last)")
        let r = try xseg(["train", "--model", model, "--iterations", "1", "--save-every", "0"] + tiny + [faces])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try XSegModelDirectory(model).loadState().iteration, last + 1)
    }

    /// SIGTERM (and SIGINT) finish the step, save and exit 0.
    func testStopSignalSavesAndExitsZero() throws {
        let work = temporaryDirectory(self), faces = try Fixture.copyFaces(to: work)
        for (i, signal) in [SIGTERM, SIGINT].enumerated() {
            let model = work + "/m\(i)"
            let p = try startXSeg(["train", "--model", model, "--save-every", "0"] + tiny + [faces], logs: work + "/log\(i)")
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline && !FileManager.default.fileExists(atPath: model + "/loss.csv") { usleep(10_000) }
            usleep(300_000)
            kill(p.processIdentifier, signal)
            p.waitUntilExit()
            XCTAssertEqual(p.terminationReason, .exit)
            XCTAssertEqual(p.terminationStatus, 0)
            let state = try XSegModelDirectory(model).loadState()
            XCTAssertGreaterThan(state.iteration, 0)
            XCTAssertEqual(try losses(model).count, state.iteration)
        }
    }

    /// --holdout: quality.csv rows at every --eval-every and at exit, each the mean IoU the saved model gives;
    /// previews and the loss chart are written.
    func testHoldoutLogsTheIoUOfTheSavedModel() throws {
        let work = temporaryDirectory(self), faces = try Fixture.copyFaces(to: work), model = work + "/m"
        let held = try Fixture.copyFaces(to: work, [Fixture.faces[0]])
        let r = try xseg(["train", "--model", model, "--iterations", "5", "--eval-every", "2", "--save-every", "0", "--holdout", held]
                         + ["--resolution", "64", "--base-channels", "4", "--batch-size", "2", "--threads", "1", "--preview-every", "5", faces])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("also training faces"), r.stderr)
        let rows = try String(contentsOfFile: model + "/quality.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(rows.first, "iteration,seconds,iou")
        XCTAssertEqual(rows.dropFirst().map { Int($0.split(separator: ",")[0])! }, [2, 4, 5])
        let iou = Double(rows.last!.split(separator: ",")[2])!
        // The saved model's IoU on the held-out face, computed here.
        let opened = try XSegStore.open(model)
        let sample = try XSegSample.prepare(try XSegFaceRecord(faceFile: bytes(held + "/" + Fixture.faces[0])), source: .polygons,
                                            resolution: 64, faceType: .wholeFace)
        let x = try opened.network.inputTensor(floats: [sample.image], clip: true)
        let predicted = XSegNetwork.mask(opened.network.forward(x)).array
        var inter = 0, union = 0
        for (p, t) in zip(predicted, sample.mask.data) {
            let a = p >= 0.5, b = t >= 0.5
            if a && b { inter += 1 }
            if a || b { union += 1 }
        }
        XCTAssertEqual(iou, union == 0 ? 1 : Double(inter) / Double(union), accuracy: 1e-6)
        let preview = try decodePNG(bytes(model + "/preview/latest.png"))
        XCTAssertEqual([preview.width, preview.height], [4 * 64, 12 + 3 * 64])   // 2 training faces + 1 held out
        let chart = try decodePNG(bytes(model + "/preview/loss.png"))
        XCTAssertEqual([chart.width, chart.height], [800, 300])
    }
}
