import Foundation
import NeuralNet
import SAEHD
@testable import ModelStore
import Trainer
import XCTest

/// GAN power and true-face power as a user runs them: turned on at resume, saved with the model and loaded
/// back, re-initialised (and said so) when the patch size changes, logged in loss.csv's extra columns;
/// bad values are clear errors.
final class GANTrainingTests: XCTestCase {
    let tiny = ["--config", "df-ud-64-16-16-16-16", "--batch-size", "2", "--threads", "1", "--preview-every", "0", "--save-every", "0"]
    let train = ["--src", Fixture.folder("src", "train"), "--dst", Fixture.folder("dst", "train")]

    func testGANAndTrueFaceTurnOnAtResumeAndAreSaved() throws {
        let work = temporaryDirectory(self), model = work + "/m"
        var r = try runTrainer(["--model", model] + train + tiny + ["--iterations", "3"], in: work)
        XCTAssertEqual(r.status, 0, r.stderr)
        let narrow = try String(contentsOfFile: model + "/loss.csv", encoding: .utf8)
        XCTAssertTrue(narrow.hasPrefix(LossRecord.header + "\n"), narrow)

        r = try runTrainer(["--model", model] + train + tiny + ["--iterations", "3", "--gan-power", "0.1", "--true-face-power", "0.01"], in: work)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("GAN power 0.1, patch size 8, dims 16"), r.stderr)
        XCTAssertTrue(r.stderr.contains("starts from fresh weights"), r.stderr)
        XCTAssertTrue(r.stderr.contains("[gan d "), r.stderr)
        XCTAssertTrue(r.stderr.contains("[tf d "), r.stderr)
        // loss.csv keeps its first four columns; the earlier rows get empty discriminator fields.
        let lines = try String(contentsOfFile: model + "/loss.csv", encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(lines[0], "iteration,src_loss,dst_loss,seconds,gan_d_loss,true_face_d_loss")
        XCTAssertEqual(lines.count, 8)   // header, 6 rows, final newline
        for row in lines[1...3] { XCTAssertTrue(row.hasSuffix(",,"), String(row)) }
        for row in lines[4...6] {
            let f = row.split(separator: ",", omittingEmptySubsequences: false)
            XCTAssertEqual(f.count, 6)
            let gan = try XCTUnwrap(Double(f[4])), tf = try XCTUnwrap(Double(f[5]))
            XCTAssertEqual(gan, 2 * log(2), accuracy: 0.5, "an untrained GAN discriminator's loss is near 2 ln 2")
            XCTAssertEqual(tf, log(2), accuracy: 0.5)
        }
        let records = LossLog.read(path: model + "/loss.csv", upTo: 100)
        XCTAssertEqual(records.map(\.iteration), Array(1...6))
        XCTAssertNil(records[2].ganDiscriminator)
        XCTAssertNotNil(records[5].trueFaceDiscriminator)
        let state = try ModelDirectory(model).loadState()
        XCTAssertEqual(state.options.ganPower, 0.1)
        XCTAssertEqual(state.options.trueFacePower, 0.01)

        // The save holds both discriminators: a resume loads them (no fresh start) with their step counts.
        let (loaded, _) = try ModelDirectory(model).loadModel()
        XCTAssertEqual(loaded.discriminators.map(\.network), ["GAN", "code_discriminator"])
        XCTAssertTrue(loaded.freshDiscriminators.isEmpty)
        XCTAssertEqual(loaded.discriminators.map(\.optimizer.iterations), [3, 3])
        r = try runTrainer(["--model", model] + train + tiny + ["--iterations", "1"], in: work)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertFalse(r.stderr.contains("fresh weights"), r.stderr)

        // Another patch size re-initialises the GAN discriminator, and says so; the code discriminator stays.
        r = try runTrainer(["--model", model] + train + tiny + ["--iterations", "1", "--gan-patch-size", "16"], in: work)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("patch size 16"), r.stderr)
        XCTAssertTrue(r.stderr.contains("fresh weights"), r.stderr)
        let (again, _) = try ModelDirectory(model).loadModel()
        XCTAssertEqual(again.discriminators.map(\.optimizer.iterations), [1, 5])
    }

    func testBadGANOptionsAreClearErrors() throws {
        let work = temporaryDirectory(self)
        let cases: [([String], String)] = [
            (["--config", "liae-ud-64-16-16-16-16", "--true-face-power", "0.01"], "df archi"),
            (["--gan-power", "6"], "GAN power 6"),
            (["--gan-power", "0.1", "--gan-dims", "2"], "GAN dims 2"),
            (["--gan-power", "0.1", "--gan-patch-size", "600"], "--gan-patch-size"),
        ]
        for (i, (args, message)) in cases.enumerated() {
            let model = work + "/m\(i)"
            let base = ["--model", model] + train + ["--batch-size", "2", "--threads", "1", "--iterations", "1", "--preview-every", "0"]
            let r = try runTrainer(base + (args.contains("--config") ? args : ["--config", "df-ud-64-16-16-16-16"] + args), in: work)
            XCTAssertEqual(r.status, 1, "\(args)")
            XCTAssertTrue(r.stderr.contains(message), "\(args): \(r.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: model + "/model.json"), "\(args) wrote a model")
        }
    }

    /// Pretraining forces both powers off without changing what is saved.
    func testPretrainingTurnsTheDiscriminatorsOff() throws {
        var o = tinyOptions(config: "df-ud-64-16-16-16-16")
        o.ganPower = 0.1; o.trueFacePower = 0.01
        XCTAssertEqual(try makeModel(o).discriminators.count, 2)
        o.pretrain = true
        XCTAssertTrue(try makeModel(o).discriminators.isEmpty)
        XCTAssertEqual(o.ganPower, 0.1)
    }
}
