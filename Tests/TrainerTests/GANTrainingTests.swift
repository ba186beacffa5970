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

    /// Pretraining forces both powers off without changing what is saved: the saved model.json keeps both
    /// powers, the saves made while pretraining hold no discriminator (none runs: no D columns in loss.csv),
    /// and ending pretraining brings both back (fresh, and said so) into the save.
    func testPretrainingTurnsTheDiscriminatorsOff() throws {
        var o = tinyOptions(config: "df-ud-64-16-16-16-16")
        o.ganPower = 0.1; o.trueFacePower = 0.01
        XCTAssertEqual(try makeModel(o).discriminators.count, 2)
        o.pretrain = true
        XCTAssertTrue(try makeModel(o).discriminators.isEmpty)

        let work = temporaryDirectory(self), model = work + "/m"
        let powers = ["--gan-power", "0.1", "--true-face-power", "0.01"]
        var r = try runTrainer(["--model", model, "--pretrain", Fixture.folder("dst", "train")] + tiny + powers + ["--iterations", "2"], in: work)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertFalse(r.stderr.contains("[gan d "), r.stderr)
        func savedOptions() throws -> [String: Any] {
            let json = try JSONSerialization.jsonObject(with: try Data(contentsOf: URL(fileURLWithPath: model + "/model.json")))
            return try XCTUnwrap((json as? [String: Any])?["options"] as? [String: Any])
        }
        var saved = try savedOptions()
        XCTAssertEqual(saved["ganPower"] as? Double, 0.1)
        XCTAssertEqual(saved["trueFacePower"] as? Double, 0.01)
        XCTAssertEqual(saved["pretrain"] as? Bool, true)
        let generator = Set(try makeModel(o).parameters.map(\.name))
        var weights = try SafeTensors.read(path: model + "/weights.safetensors")
        XCTAssertEqual(Set(weights.tensors.keys), generator, "a pretraining save holds the generator only")
        XCTAssertEqual(try String(contentsOfFile: model + "/loss.csv", encoding: .utf8).split(separator: "\n").first, Substring(LossRecord.header))

        // Ending pretraining: both discriminators run and are saved.
        r = try runTrainer(["--model", model] + train + tiny + ["--iterations", "1"], in: work)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("fresh weights"), r.stderr)
        XCTAssertTrue(r.stderr.contains("[gan d "), r.stderr)
        saved = try savedOptions()
        XCTAssertEqual(saved["ganPower"] as? Double, 0.1)
        XCTAssertEqual(saved["pretrain"] as? Bool, false)
        weights = try SafeTensors.read(path: model + "/weights.safetensors")
        o.pretrain = false
        let all = try makeModel(o)
        XCTAssertEqual(all.discriminators.map(\.network), ["GAN", "code_discriminator"])
        XCTAssertEqual(Set(weights.tensors.keys), generator.union(all.discriminators.flatMap(\.parameters).map(\.name)))
    }

    /// The discriminators learn: with the generator held still, the GAN discriminator's loss on one real/fake
    /// pair (the src targets against the src→src predictions) falls from its untrained 2 ln 2 as its own
    /// optimizer steps, and so does the true-face discriminator's on one pair of codes (dst real, src fake).
    func testDiscriminatorsLearnOnAFixedPair() throws {
        var o = tinyOptions(config: "df-ud-64-16-16-16-16", batch: 2)
        o.ganPower = 0.1; o.trueFacePower = 0.01
        let model = try makeModel(o)
        let batch = TrainingBatch(batch: 2, resolution: 64, channels: 3)
        batch.fillRandom(seed: 6)
        var gan: [Double] = [], trueFace: [Double] = []
        for _ in 0..<40 {
            let d = model.computeDiscriminatorGradients(batch)
            gan.append(try XCTUnwrap(d.gan).reduce(0, +) / 2)
            trueFace.append(try XCTUnwrap(d.trueFace).reduce(0, +) / 2)
            for n in model.discriminators { n.optimizer.step() }
        }
        for p in model.parameters { XCTAssertTrue(p.grad.array.allSatisfy { $0 == 0 }, "the D step trains no generator weight: \(p.name)") }
        XCTAssertEqual(gan[0], 2 * log(2), accuracy: 0.3)
        XCTAssertEqual(trueFace[0], log(2), accuracy: 0.3)
        // 40 steps at DFL's learning rate (5e-5) take the GAN loss from 1.40 to 1.02 and the true-face loss from
        // 0.70 to 0.46, falling over every ten steps.
        for (losses, what) in [(gan, "GAN"), (trueFace, "true-face")] {
            XCTAssertLessThan(losses.last!, 0.85 * losses[0], "\(what) D loss \(losses)")
            for k in stride(from: 10, to: 40, by: 10) { XCTAssertLessThan(losses[k], losses[k - 10], "\(what) D loss \(losses)") }
            XCTAssertLessThan(losses[39], losses[30], "\(what) D loss \(losses)")
        }
    }

    /// --gan-power changes what the generator learns, through the GAN term alone. Same seed, same batches,
    /// one iteration with and without it: iteration 1's logged losses are the same (the logged src loss
    /// leaves the GAN terms out, and the weights and batch are the same); decoder_dst, which the GAN term does
    /// not reach, is saved bit for bit the same; decoder_src, inter and encoder, which it reaches, differ; and
    /// only the GAN run saves GAN weights. (GANTests checks that the gradient difference is the GAN term's
    /// gradient, and the step against the float64 reference.)
    func testGANPowerChangesTheGeneratorThroughItsTerm() throws {
        let work = temporaryDirectory(self)
        var saved: [[String: SafeTensors.Entry]] = [], rows: [[String]] = []
        for (i, extra) in [[], ["--gan-power", "0.1"]].enumerated() {
            let model = work + "/m\(i)"
            let r = try runTrainer(["--model", model] + train + tiny + ["--iterations", "1", "--seed", "5"] + extra, in: work)
            XCTAssertEqual(r.status, 0, r.stderr)
            saved.append(try SafeTensors.read(path: model + "/weights.safetensors").tensors)
            let lines = try String(contentsOfFile: model + "/loss.csv", encoding: .utf8).split(separator: "\n")
            XCTAssertEqual(lines.count, 2)
            rows.append(lines[1].split(separator: ",", omittingEmptySubsequences: false).map(String.init))
        }
        XCTAssertEqual(rows[0][1], rows[1][1], "iteration 1's src loss")
        XCTAssertEqual(rows[0][2], rows[1][2], "iteration 1's dst loss")
        let ganKeys = Set(saved[1].keys).subtracting(saved[0].keys)
        XCTAssertFalse(ganKeys.isEmpty)
        XCTAssertTrue(ganKeys.allSatisfy { $0.hasPrefix("GAN.") }, "\(ganKeys)")
        var changed: Set<String> = []
        for (name, plain) in saved[0] {
            let gan = try XCTUnwrap(saved[1][name], name)
            XCTAssertEqual(gan.shape, plain.shape, name)
            if name.hasPrefix("decoder_dst.") {
                XCTAssertEqual(gan.values, plain.values, "\(name): the GAN term does not reach decoder_dst")
            } else if gan.values != plain.values {
                changed.insert(String(name.prefix { $0 != "." }))
            }
        }
        XCTAssertEqual(changed, ["encoder", "inter", "decoder_src"])
    }
}
