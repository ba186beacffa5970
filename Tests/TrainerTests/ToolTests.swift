import Foundation
import Imaging
@testable import ModelStore
import Trainer
import TestSupport
import XCTest

/// dfl-train as a user runs it: crash safety under SIGKILL, clean stop on SIGINT, bad inputs, evaluation.
final class TrainerToolTests: XCTestCase {
    let tiny = ["--config", "df-ud-64-16-16-16-16", "--batch-size", "2", "--threads", "1", "--preview-every", "0"]

    func trainArgs(_ model: String, src: String = Fixture.folder("src", "train"), dst: String = Fixture.folder("dst", "train")) -> [String] {
        ["--model", model, "--src", src, "--dst", dst]
    }

    /// Kills the trainer with SIGKILL at random moments while it saves after almost every iteration; every
    /// time, the model directory loads (the last or the previous save), and training resumes from it.
    func testModelDirectoryLoadsAfterSIGKILLDuringSaves() throws {
        let work = temporaryDirectory(self), model = work + "/model"
        var rng = SystemRandomNumberGenerator()
        var lastIteration = 0
        let trials = 20
        var interrupted = 0
        for trial in 0..<trials {
            let p = try startTrainer(trainArgs(model) + tiny + ["--save-every", "0.0002", "--quiet"], logs: work + "/log\(trial)")
            // Wait until this run has saved once (so it is in its loop of steps and saves), then kill it at
            // a random moment.
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline {
                if let s = try? ModelDirectory(model).loadState(), s.iteration > lastIteration { break }
                usleep(2_000)
            }
            usleep(UInt32.random(in: 0...300_000, using: &rng))
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            XCTAssertEqual(p.terminationReason, .uncaughtSignal, "trial \(trial): the trainer was not running")
            // A generation neither link names is a save the kill interrupted.
            let linked = Set(["current", "previous"].compactMap { try? FileManager.default.destinationOfSymbolicLink(atPath: model + "/" + $0) })
            let gens = (try? FileManager.default.contentsOfDirectory(atPath: model + "/saves")) ?? []
            if gens.contains(where: { !linked.contains("saves/" + $0) }) { interrupted += 1 }
            let (_, state) = try ModelDirectory(model).loadModel()
            XCTAssertGreaterThanOrEqual(state.iteration, lastIteration, "trial \(trial) went back in time")
            lastIteration = state.iteration
        }
        XCTAssertGreaterThanOrEqual(lastIteration, trials)
        print("SIGKILL: \(trials) kills, \(interrupted) in the middle of a save, model at iteration \(lastIteration)")
        // At most the current and previous save remain, plus a half-written one from the last kill.
        XCTAssertLessThanOrEqual(try FileManager.default.contentsOfDirectory(atPath: model + "/saves").count, 3)
    }

    /// SIGINT finishes the step, saves and exits 0; the next run resumes at that iteration.
    func testSIGINTSavesAndExitsZeroAndTrainingResumes() throws {
        let work = temporaryDirectory(self), model = work + "/model"
        let p = try startTrainer(trainArgs(model) + tiny + ["--save-every", "0", "--quiet"], logs: work + "/log")
        let deadline = Date().addingTimeInterval(60)
        // loss.csv appears when the session starts; give it a few steps.
        while Date() < deadline && !FileManager.default.fileExists(atPath: model + "/loss.csv") { usleep(10_000) }
        usleep(500_000)
        kill(p.processIdentifier, SIGINT)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationReason, .exit)
        XCTAssertEqual(p.terminationStatus, 0)
        let saved = try ModelDirectory(model).loadState().iteration
        XCTAssertGreaterThan(saved, 0)
        let r = try runTrainer(trainArgs(model) + ["--iterations", "2", "--threads", "1", "--preview-every", "1"], in: work)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("resumed"), r.stderr)
        XCTAssertEqual(try ModelDirectory(model).loadState().iteration, saved + 2)
        let rows = try String(contentsOfFile: model + "/loss.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(rows.count, saved + 3)
        XCTAssertNotNil(try? decodePNG([UInt8](Data(contentsOf: URL(fileURLWithPath: model + "/preview/latest.png")))))
        XCTAssertNotNil(try? decodePNG([UInt8](Data(contentsOf: URL(fileURLWithPath: model + "/preview/loss.png")))))
    }

    func testBadInputsGiveClearErrorsAndOverwriteNothing() throws {
        let work = temporaryDirectory(self)
        // Empty faceset.
        let empty = work + "/empty"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        var r = try runTrainer(trainArgs(work + "/m1", src: empty) + tiny, in: work)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("src faceset") && r.stderr.contains("no faces"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: work + "/m1"))

        // A face without landmarks (a plain JPEG).
        let plain = work + "/plain"
        try FileManager.default.createDirectory(atPath: plain, withIntermediateDirectories: true)
        try Data(encodeJPEG(Image(width: 64, height: 64, channels: 3, fill: 128), quality: 90)).write(to: URL(fileURLWithPath: plain + "/x.jpg"))
        r = try runTrainer(trainArgs(work + "/m2", dst: plain) + tiny, in: work)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains(plain + "/x.jpg"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: work + "/m2"))

        // Mixed sizes: the 64-px faces plus one 256-px DFL face.
        let mixed = work + "/mixed"
        try FileManager.default.copyItem(atPath: Fixture.folder("src", "train"), toPath: mixed)
        let big = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("FaceSetTests/Fixtures/dfl/faces/obama_speech_2009_0.jpg").path
        try FileManager.default.copyItem(atPath: big, toPath: mixed + "/zz.jpg")
        r = try runTrainer(trainArgs(work + "/m3", src: mixed) + tiny, in: work)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("mixes face sizes"), r.stderr)

        // A resolution the archi cannot take: a usage error that says why.
        r = try runTrainer(trainArgs(work + "/m4") + ["--config", "df-ud-80-16-16-16-16"], in: work)
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("multiple of 32"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: work + "/m4"))

        // A colour transfer 1-channel faces cannot take (rct needs Lab).
        r = try runTrainer(trainArgs(work + "/m5", src: Fixture.folder("src_gray", "train"), dst: Fixture.folder("dst_gray", "train"))
                           + tiny + ["--ct-mode", "rct"], in: work)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("rct"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: work + "/m5"))

        // A directory that is not a model and not empty.
        r = try runTrainer(trainArgs(Fixture.folder("src", "heldout")) + tiny, in: work)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("not empty"), r.stderr)

        // A model of another archi, resolution or channel count: refused before training, nothing changed.
        let model = work + "/model"
        r = try runTrainer(trainArgs(model) + tiny + ["--iterations", "1"], in: work)
        XCTAssertEqual(r.status, 0, r.stderr)
        let before = snapshot(model)
        for extra in [["--config", "liae-ud-64-16-16-16-16"], ["--resolution", "96", "--archi", "df-ud"], ["--channels", "1"],
                      ["--face-type", "f"]] {
            r = try runTrainer(trainArgs(model) + extra + ["--iterations", "1"], in: work)
            XCTAssertEqual(r.status, 1, "\(extra)")
            XCTAssertTrue(r.stderr.contains(model), r.stderr)
            XCTAssertEqual(snapshot(model), before, "\(extra) changed the model directory")
        }
        // Usage errors exit 2.
        r = try runTrainer(["--model", model], in: work)
        XCTAssertEqual(r.status, 2)
    }

    /// --reconstruct writes <stem>.png at the model resolution and prints per-face and mean SSIM / PSNR.
    func testReconstructWritesFacesAndPrintsQuality() throws {
        let work = temporaryDirectory(self), model = work + "/model", out = work + "/out"
        var r = try runTrainer(trainArgs(model) + tiny + ["--iterations", "2"], in: work)
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try runTrainer(["--model", model, "--reconstruct", Fixture.folder("dst", "heldout"), "--out", out, "--side", "swap"], in: work)
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }
        XCTAssertEqual(lines.count, 9)
        XCTAssertEqual(lines.first?.first, out + "/0004_0.png")
        XCTAssertEqual(lines.last?.first, "mean")
        for l in lines {
            XCTAssertEqual(l.count, 3)
            let ssim = Double(l[1])!, psnr = Double(l[2])!
            XCTAssertTrue((-1...1).contains(ssim) && psnr > 0 && psnr < 100, "\(l)")
        }
        let png = try decodePNG([UInt8](Data(contentsOf: URL(fileURLWithPath: out + "/0004_0.png"))))
        XCTAssertEqual([png.width, png.height, png.channels], [64, 64, 3])
    }

    /// `--src -` reads a face list on standard input; gray faces make an SAEHDBW (1-channel) model.
    func testFaceListOnStandardInputAndGrayFaces() throws {
        let work = temporaryDirectory(self), model = work + "/model"
        let list = try FileManager.default.contentsOfDirectory(atPath: Fixture.folder("src_gray", "train")).sorted()
            .map { Fixture.folder("src_gray", "train") + "/" + $0 }.joined(separator: "\n") + "\n"
        let r = try runTrainer(["--model", model, "--src", "-", "--dst", Fixture.folder("dst_gray", "train")] + tiny + ["--iterations", "2"],
                               in: work, stdin: list)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("SAEHDBW") && r.stderr.contains("24 src"), r.stderr)
        XCTAssertEqual(try ModelDirectory(model).loadState().options.channels, 1)
    }

    /// `--channels 1` trains an SAEHDBW model from colour faces (luma on load); `--face-type f` re-crops the
    /// whole-face fixtures to full faces.
    func testGrayModelFromColourFacesAndFaceTypeConversion() throws {
        let work = temporaryDirectory(self)
        var r = try runTrainer(trainArgs(work + "/gray") + tiny + ["--channels", "1", "--iterations", "2", "--preview-every", "1"], in: work)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try ModelDirectory(work + "/gray").loadState().options.channels, 1)
        let preview = try decodePNG([UInt8](Data(contentsOf: URL(fileURLWithPath: work + "/gray/preview/latest.png"))))
        XCTAssertEqual([preview.width, preview.height, preview.channels], [5 * 64, Preview.headerHeight + 2 * 64, 1])
        r = try runTrainer(trainArgs(work + "/full") + tiny + ["--face-type", "f", "--iterations", "2"], in: work)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try ModelDirectory(work + "/full").loadState().options.faceType, .full)
    }
}

/// The convolution algorithm options: `--verbose` reports what each convolution shape ran, and
/// `--conv-algo dense` turns every Winograd pass into im2col + sgemm.
final class TrainerConvolutionOptionTests: XCTestCase {
    func testVerboseReportsTheAlgorithmsAndDenseForcesDense() throws {
        let work = temporaryDirectory(self)
        let base = ["--src", Fixture.folder("src_gray", "train"), "--dst", Fixture.folder("dst_gray", "train"),
                    "--config", "liae-ud-64-32-32-32-16", "--batch-size", "2", "--threads", "1", "--preview-every", "0",
                    "--iterations", "2", "--verbose"]
        func convolutionLines(_ r: ToolResult) -> [String] {
            r.stderr.split(separator: "\n").map(String.init).filter { $0.hasPrefix("  k") }
        }
        let fast = try runTrainer(["--model", work + "/fast"] + base, in: work)
        XCTAssertEqual(fast.status, 0, fast.stderr)
        let fastLines = convolutionLines(fast)
        // liae-ud-64's decoder has 3×3 stride-1 layers at 16×16 and 32×32 with 64 or more channels: the
        // shape rules give them F(4×4,3×3) in all three passes; the 5×5 stride-2 encoder convs stay dense.
        XCTAssertTrue(fastLines.contains { $0.contains("k3s1") && $0.contains("winograd-f4/winograd-f4/winograd-f4") }, fast.stderr)
        XCTAssertTrue(fastLines.contains { $0.contains("k5s2") && $0.contains("dense/dense/dense") }, fast.stderr)
        let dense = try runTrainer(["--model", work + "/dense", "--conv-algo", "dense"] + base, in: work)
        XCTAssertEqual(dense.status, 0, dense.stderr)
        let denseLines = convolutionLines(dense)
        XCTAssertEqual(denseLines.count, fastLines.count, dense.stderr)
        XCTAssertFalse(denseLines.contains { $0.contains("winograd") }, dense.stderr)
        let bad = try runTrainer(["--model", work + "/bad", "--conv-algo", "fft"] + base, in: work)
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("--conv-algo"), bad.stderr)
    }
}

/// `--pretrain FACES` on the command line.
final class TrainerPretrainToolTests: XCTestCase {
    func testPretrainThenTrainOnTheSwapFacesets() throws {
        let work = temporaryDirectory(self), model = work + "/model"
        let tiny = ["--config", "df-ud-64-16-16-16-16", "--batch-size", "2", "--threads", "1", "--preview-every", "0"]
        var r = try runTrainer(["--model", model, "--pretrain", Fixture.folder("dst", "heldout"), "--iterations", "2"] + tiny, in: work)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("(pretraining)"), r.stderr)
        XCTAssertEqual(try ModelDirectory(model).loadState().iteration, 2)
        r = try runTrainer(["--model", model, "--src", Fixture.folder("src", "train"), "--dst", Fixture.folder("dst", "train"),
                            "--iterations", "1"] + tiny, in: work)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("pretraining ends"), r.stderr)
        let state = try ModelDirectory(model).loadState()
        XCTAssertEqual(state.iteration, 1)
        XCTAssertEqual(state.options.pretrain, false)
        let rows = try String(contentsOfFile: model + "/loss.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(rows.count, 2)
        XCTAssertTrue(rows[1].hasPrefix("1,"))
        // --pretrain replaces --src and --dst: both together is a usage error.
        r = try runTrainer(["--model", work + "/x", "--pretrain", Fixture.folder("dst", "heldout"),
                            "--src", Fixture.folder("src", "train")] + tiny, in: work)
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("--pretrain"), r.stderr)
    }
}
