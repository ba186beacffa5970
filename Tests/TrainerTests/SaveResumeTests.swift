import NeuralNet
import SAEHD
@testable import ModelStore
import Trainer
import XCTest

/// Saves reproduce the model bit for bit, and a resumed run continues exactly as an uninterrupted one.
final class SaveResumeTests: XCTestCase {
    override func tearDown() { Threads.set(ProcessInfo.processInfo.activeProcessorCount) }

    func testSaveThenLoadReproducesEveryWeightAndOptimizerSlot() throws {
        for optimizer in [Optimizer.Kind.adabelief, .rmsprop] {
            let dir = temporaryDirectory(self)
            var o = tinyOptions(config: "df-ud-64-32-16-16-16")
            o.optimizer = optimizer
            let session = try TrainingSession(directory: ModelDirectory(dir), options: o,
                                              src: Fixture.store("src", "train", options: o),
                                              dst: Fixture.store("dst", "train", options: o))
            var settings = SessionSettings()
            settings.maxIterations = 3
            settings.previewEvery = 0
            settings.saveEveryMinutes = 0
            try session.run(settings: settings)
            let (loaded, state) = try ModelDirectory(dir).loadModel()
            XCTAssertEqual(state.iteration, 3)
            XCTAssertEqual(state.options, o)
            XCTAssertEqual(loaded.optimizer.iterations, 3)
            XCTAssertEqual(loaded.parameters.count, session.model.parameters.count)
            var slotsCompared = 0
            for (i, (a, b)) in zip(session.model.parameters, loaded.parameters).enumerated() {
                XCTAssertEqual(a.name, b.name)
                XCTAssertEqual(a.value.array.map(\.bitPattern), b.value.array.map(\.bitPattern), a.name)
                for (sa, sb) in zip(session.model.optimizer.slots[i], loaded.optimizer.slots[i]) {
                    XCTAssertEqual(sa.array.map(\.bitPattern), sb.array.map(\.bitPattern), "slot of \(a.name)")
                    slotsCompared += 1
                }
            }
            XCTAssertEqual(slotsCompared, loaded.parameters.count * (optimizer == .rmsprop ? 1 : 2))
            // Training changed the weights (the comparison above is not between two untrained models).
            let fresh = try makeModel(o)
            XCTAssertNotEqual(fresh.parameters[0].value.array, loaded.parameters[0].value.array)
        }
    }

    /// 6 iterations straight vs 3 + save + reload + 3: identical losses (single-threaded).
    func testResumeContinuesWithTheSameLossesAsAnUninterruptedRun() throws {
        Threads.set(1)
        var o = tinyOptions()
        o.lrDropout = true    // exercises the seeded lr-dropout masks and the cosine phase too
        let src = try Fixture.store("src", "train", options: o), dst = try Fixture.store("dst", "train", options: o)
        var settings = SessionSettings()
        settings.saveEveryMinutes = 0
        settings.previewEvery = 2     // previews between steps must not disturb training

        func losses(_ session: TrainingSession, _ n: Int) throws -> [Double] {
            var out: [Double] = []
            settings.maxIterations = n
            try session.run(settings: settings) { if case .iteration(let r) = $0 { out += [r.srcLoss, r.dstLoss] } }
            return out
        }
        let straight = try losses(TrainingSession(directory: ModelDirectory(temporaryDirectory(self)), options: o, src: src, dst: dst), 6)
        let dir = temporaryDirectory(self)
        let first = try losses(TrainingSession(directory: ModelDirectory(dir), options: o, src: src, dst: dst), 3)
        let resumed = try TrainingSession(directory: ModelDirectory(dir), options: o, src: src, dst: dst)
        XCTAssertEqual(resumed.state.iteration, 3)
        let second = try losses(resumed, 3)
        XCTAssertEqual(straight.count, 12)
        XCTAssertEqual(first + second, straight)
        // And the loss log holds exactly the 6 rows.
        let csv = try String(contentsOfFile: dir + "/loss.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(csv.first, "iteration,src_loss,dst_loss,seconds")
        XCTAssertEqual(csv.count, 7)
        XCTAssertTrue(csv.last!.hasPrefix("6,"))
    }

    /// A resume cuts loss.csv back to the saved iteration (rows written after the last save are dropped).
    func testLossLogIsCutBackToTheSavedIteration() throws {
        let dir = temporaryDirectory(self)
        let path = dir + "/loss.csv"
        try "iteration,src_loss,dst_loss,seconds\n1,1.0,2.0,0.1\n2,1.0,2.0,0.2\n3,1.0,2.0,0.3\n".write(toFile: path, atomically: true, encoding: .utf8)
        let log = try LossLog(path: path, upTo: 2)
        XCTAssertEqual(log.records.map(\.iteration), [1, 2])
        // Kept rows stay as written (losses imported from DeepFaceLab keep all their digits).
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "iteration,src_loss,dst_loss,seconds\n1,1.0,2.0,0.1\n2,1.0,2.0,0.2\n")
    }

    /// Each save keeps the previous one; older ones are removed; a broken current falls back to previous.
    func testPreviousSaveIsKeptAndUsedWhenCurrentIsBroken() throws {
        let dir = temporaryDirectory(self)
        let o = tinyOptions()
        let session = try TrainingSession(directory: ModelDirectory(dir), options: o,
                                          src: Fixture.store("src", "train", options: o), dst: Fixture.store("dst", "train", options: o))
        var settings = SessionSettings()
        settings.previewEvery = 0
        settings.saveEveryMinutes = 0
        for _ in 0..<3 { settings.maxIterations = 1; try session.run(settings: settings) }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir + "/saves").count, 2)
        XCTAssertEqual(try ModelDirectory(dir).loadState().iteration, 3)
        let current = try FileManager.default.destinationOfSymbolicLink(atPath: dir + "/current")
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: dir + "/" + current + "/weights.safetensors"))
        let (_, state) = try ModelDirectory(dir).loadModel()
        XCTAssertEqual(state.iteration, 2)
    }

    /// A save first removes what a killed run left under saves/ (here a half-written generation), before it
    /// writes its own, so that a kill at any point of a save leaves at most current, previous and one more
    /// (`TrainerToolTests.testModelDirectoryLoadsAfterSIGKILLDuringSaves`). With `current` not a link (a folder
    /// copied without its links) nothing is removed: the save fails and every generation is still there.
    func testSaveRemovesAKilledRunsLeftoversBeforeWriting() throws {
        final class Listing: @unchecked Sendable { var names: [String] = [] }
        let dir = temporaryDirectory(self)
        let store = GenerationStore(path: dir, markerFile: "model.json", linkedFiles: ["model.json"])
        for (i, label) in ["a", "b"].enumerated() { try store.save([.init("model.json", bytes: [UInt8(i)])], label: label) }
        try FileManager.default.createDirectory(atPath: dir + "/saves/c-killed", withIntermediateDirectories: true)
        let seen = Listing()
        try store.save([.init("model.json") { sink in
            seen.names = try FileManager.default.contentsOfDirectory(atPath: dir + "/saves")
            try [UInt8(2)].withUnsafeBytes { try sink($0) }
        }], label: "d")
        XCTAssertFalse(seen.names.contains("c-killed"), "\(seen.names)")
        XCTAssertEqual(seen.names.count, 3, "a, b and the save being written: \(seen.names)")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir + "/saves").count, 2)

        let copied = temporaryDirectory(self)
        try FileManager.default.createDirectory(atPath: copied + "/saves/a-1", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: copied + "/current", withIntermediateDirectories: true)
        let plain = GenerationStore(path: copied, markerFile: "model.json", linkedFiles: ["model.json"])
        XCTAssertThrowsError(try plain.save([.init("model.json", bytes: [0])], label: "b"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: copied + "/saves/a-1"))
    }

    /// Options allowed to change on resume are taken and saved; dated backups are complete copies.
    func testResumeWithChangedOptionsAndBackups() throws {
        let dir = temporaryDirectory(self)
        var o = tinyOptions(config: "liae-ud-64-16-16-16-16")
        let src = try Fixture.store("src", "train", options: o)
        var settings = SessionSettings()
        settings.previewEvery = 0
        settings.saveEveryMinutes = 0
        settings.maxIterations = 2
        try TrainingSession(directory: ModelDirectory(dir), options: o, src: src,
                            dst: Fixture.store("dst", "train", options: o)).run(settings: settings)
        o.batchSize = 2
        o.ctMode = .lct
        o.randomWarp = false       // liae: inter_AB frozen from now on
        o.eyesMouthPriority = true
        let resumed = try TrainingSession(directory: ModelDirectory(dir), options: o, src: src,
                                          dst: Fixture.store("dst", "train", options: o, keepColorReference: true))
        let interAB = resumed.model.parameters.first { $0.name.hasPrefix("inter_AB.") }!
        let before = interAB.value.array
        settings.backupEveryHours = 1e-9
        var backups: [String] = []
        try resumed.run(settings: settings) { if case .backup(let path) = $0 { backups.append(path) } }
        XCTAssertEqual(interAB.value.array, before, "inter_AB must stay frozen without random warp")
        let state = try ModelDirectory(dir).loadState()
        XCTAssertEqual(state.iteration, 4)
        XCTAssertEqual(state.options, o)
        XCTAssertEqual(backups.count, 1)
        for file in ModelDirectory.fileNames {
            XCTAssertEqual(FileManager.default.contents(atPath: backups[0] + "/" + file), FileManager.default.contents(atPath: dir + "/" + file))
        }
        // Changing a fixed option is refused.
        var other = o
        other.seed = 99
        XCTAssertThrowsError(try TrainingSession(directory: ModelDirectory(dir), options: other, src: src,
                                                 dst: Fixture.store("dst", "train", options: o, keepColorReference: true)))
    }
}
