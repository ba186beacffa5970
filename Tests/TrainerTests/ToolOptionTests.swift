// dfl-train's options through the tool, each with a value checked: --seed, --optimizer rmsprop, the style
// powers, random warp and flips, --lr-dropout, --clipgrad, --holdout-side with --eval-every, --export-dfl of a
// 1-channel model, and a GAN model exported and merged from its DFL folder with dfl-merge.
//
// Every training run here is the same tiny one (df-ud-64-16-16-16-16, batch 2, one thread, seed 1, 3
// iterations) but for the option under test, so each is compared with one baseline run: by the README's
// promise, the same inputs, options and seed give byte-identical files, so any difference is the option's.
import Foundation
import Imaging
import NeuralNet
import XCTest

final class TrainerToolOptionTests: XCTestCase {
    static let tiny = ["--config", "df-ud-64-16-16-16-16", "--batch-size", "2", "--threads", "1", "--preview-every", "0",
                       "--save-every", "0", "--quiet"]
    static let colourFaces = ["--src", Fixture.folder("src", "train"), "--dst", Fixture.folder("dst", "train")]

    /// Where the runs of this class go, removed when the class is done.
    static let work: String = {
        let path = NSTemporaryDirectory() + "trainer-options-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()
    override class func tearDown() { try? FileManager.default.removeItem(atPath: work) }

    /// Trains a fresh model `name` for `iterations` with the tiny settings, seed 1 and `extra`; returns its directory.
    @discardableResult
    func train(_ name: String, _ extra: [String] = [], faces: [String] = colourFaces, iterations: Int = 3,
               file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let model = Self.work + "/" + name
        let r = try runTrainer(["--model", model] + faces + Self.tiny + ["--seed", "1", "--iterations", "\(iterations)"] + extra,
                               in: Self.work)
        XCTAssertEqual(r.status, 0, "\(extra): \(r.stderr)", file: file, line: line)
        return model
    }

    /// The baseline: the tiny run with no option under test, trained once for all tests.
    static var baselineModel: String?
    func baseline() throws -> String {
        if let m = Self.baselineModel { return m }
        let m = try train("baseline")
        Self.baselineModel = m
        return m
    }

    func bytes(_ model: String, _ file: String = "weights.safetensors") throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: model + "/" + file))
    }

    /// model.json's options.
    func options(_ model: String) throws -> [String: Any] {
        let json = try JSONSerialization.jsonObject(with: try bytes(model, "model.json")) as? [String: Any]
        return try XCTUnwrap(json?["options"] as? [String: Any], "model.json has no options")
    }

    /// loss.csv's src and dst losses per row (the seconds column left out).
    func losses(_ model: String) throws -> [String] {
        try String(contentsOfFile: model + "/loss.csv", encoding: .utf8).split(separator: "\n").dropFirst()
            .map { $0.split(separator: ",").prefix(3).joined(separator: ",") }
    }

    // MARK: - seed, optimizer

    /// `--seed`: the same seed gives the same bytes of weights.safetensors and the same losses; another seed
    /// other weights. model.json records it.
    func testSeedGivesByteIdenticalWeights() throws {
        let base = try baseline()
        let same = try train("seed1-again"), other = try train("seed2", ["--seed", "2"])
        XCTAssertEqual(try bytes(same), try bytes(base))
        XCTAssertEqual(try losses(same), try losses(base))
        XCTAssertNotEqual(try bytes(other), try bytes(base))
        XCTAssertNotEqual(try losses(other), try losses(base))
        XCTAssertEqual(try options(base)["seed"] as? Int, 1)
        XCTAssertEqual(try options(other)["seed"] as? Int, 2)
    }

    /// `--optimizer rmsprop`: model.json says rmsprop and optimizer.safetensors holds one `acc.` slot per weight
    /// (AdaBelief's baseline holds `ms.` and `vs.`).
    func testRMSpropOptimizer() throws {
        let base = try baseline(), rms = try train("rmsprop", ["--optimizer", "rmsprop"])
        XCTAssertEqual(try options(rms)["optimizer"] as? String, "rmsprop")
        XCTAssertEqual(try options(base)["optimizer"] as? String, "adabelief")
        let weights = Set(try SafeTensors.read(path: rms + "/weights.safetensors").tensors.keys)
        let slots = Set(try SafeTensors.read(path: rms + "/optimizer.safetensors").tensors.keys)
        XCTAssertFalse(weights.isEmpty)
        XCTAssertEqual(slots, Set(weights.map { "acc." + $0 }))
        let adabelief = Set(try SafeTensors.read(path: base + "/optimizer.safetensors").tensors.keys)
        XCTAssertEqual(adabelief, Set(weights.map { "ms." + $0 } + weights.map { "vs." + $0 }))
        XCTAssertNotEqual(try bytes(rms), try bytes(base))
    }

    // MARK: - loss and sample options

    /// `--face-style-power` and `--bg-style-power`: recorded in model.json, and the losses differ from the
    /// baseline's (the style terms are part of the loss from the first iteration).
    func testStylePowersAreRecordedAndChangeTheLosses() throws {
        let base = try losses(try baseline())
        let face = try train("face-style", ["--face-style-power", "10"]), bg = try train("bg-style", ["--bg-style-power", "10"])
        XCTAssertEqual(try options(face)["faceStylePower"] as? Double, 10)
        XCTAssertEqual(try options(bg)["bgStylePower"] as? Double, 10)
        XCTAssertNotEqual(try losses(face).first, base.first)
        XCTAssertNotEqual(try losses(bg).first, base.first)
        XCTAssertNotEqual(try losses(face), try losses(bg))
    }

    /// `--no-random-warp`, `--random-src-flip`, `--no-random-dst-flip` (the defaults are warp on, src flip off,
    /// dst flip on): each is recorded in model.json and changes the loss sequence.
    func testWarpAndFlipOptionsAreRecordedAndChangeTheLosses() throws {
        let base = try baseline()
        XCTAssertEqual(try options(base)["randomWarp"] as? Bool, true)
        XCTAssertEqual(try options(base)["randomSrcFlip"] as? Bool, false)
        XCTAssertEqual(try options(base)["randomDstFlip"] as? Bool, true)
        for (flag, key, value) in [("--no-random-warp", "randomWarp", false), ("--random-src-flip", "randomSrcFlip", true),
                                   ("--no-random-dst-flip", "randomDstFlip", false)] {
            let m = try train(String(flag.dropFirst(2)), [flag])
            XCTAssertEqual(try options(m)[key] as? Bool, value, flag)
            XCTAssertNotEqual(try losses(m), try losses(base), flag)
        }
    }

    /// `--lr-dropout` and `--clipgrad` act on the update only: recorded in model.json, the first iteration's
    /// losses are the baseline's and the weights are not.
    func testLRDropoutAndClipgradChangeTheUpdate() throws {
        let base = try baseline()
        XCTAssertEqual(try options(base)["lrDropout"] as? Bool, false)
        XCTAssertEqual(try options(base)["clipGradient"] as? Bool, false)
        for (flag, key) in [("--lr-dropout", "lrDropout"), ("--clipgrad", "clipGradient")] {
            let m = try train(String(flag.dropFirst(2)), [flag])
            XCTAssertEqual(try options(m)[key] as? Bool, true, flag)
            XCTAssertEqual(try losses(m).first, try losses(base).first, flag)
            XCTAssertNotEqual(try bytes(m), try bytes(base), flag)
        }
    }

    // MARK: - held-out evaluation

    /// `--holdout FACES --eval-every 2` over 5 iterations: quality.csv rows at iterations 2, 4 and 5 (exit).
    /// `--holdout-side src` measures src->src: training is the same (same losses, same weights) but the figures
    /// differ from dst->dst's, and the last row is what `--reconstruct --side src` prints for the saved model.
    func testHoldoutSideAndEvalEvery() throws {
        let held = ["--holdout", Fixture.folder("dst", "heldout"), "--eval-every", "2"]
        let src = try train("holdout-src", held + ["--holdout-side", "src"], iterations: 5)
        let dst = try train("holdout-dst", held, iterations: 5)
        func rows(_ m: String) throws -> [[String]] {
            try String(contentsOfFile: m + "/quality.csv", encoding: .utf8).split(separator: "\n").dropFirst()
                .map { $0.split(separator: ",").map(String.init) }
        }
        let s = try rows(src), d = try rows(dst)
        XCTAssertEqual(s.map { $0[0] }, ["2", "4", "5"])
        XCTAssertEqual(d.map { $0[0] }, ["2", "4", "5"])
        XCTAssertEqual(try losses(src), try losses(dst))
        XCTAssertEqual(try bytes(src), try bytes(dst))
        for (a, b) in zip(s, d) { XCTAssertNotEqual(a[2], b[2], "iteration \(a[0]): src and dst SSIM are the same") }
        let out = Self.work + "/holdout-src-reconstruct"
        let r = try runTrainer(["--model", src, "--reconstruct", Fixture.folder("dst", "heldout"), "--side", "src", "--out", out],
                               in: Self.work)
        XCTAssertEqual(r.status, 0, r.stderr)
        let mean = try XCTUnwrap(r.stdout.split(separator: "\n").last).split(separator: "\t")
        XCTAssertEqual(mean.first, "mean")
        let last = try XCTUnwrap(s.last)
        XCTAssertEqual(try XCTUnwrap(Double(last[2])), try XCTUnwrap(Double(mean[1])), accuracy: 5e-5)
        XCTAssertEqual(try XCTUnwrap(Double(last[3])), try XCTUnwrap(Double(mean[2])), accuracy: 5e-3)
    }

    // MARK: - DeepFaceLab folders

    /// `--export-dfl` of a 1-channel model writes SAEHDBW files (and no SAEHD ones); dfl-info reads them as a
    /// 1-channel SAEHDBW model at the exported iteration, and importing them back gives the weights byte for byte.
    func testOneChannelModelExportsAsSAEHDBW() throws {
        let model = try train("gray", faces: ["--src", Fixture.folder("src_gray", "train"), "--dst", Fixture.folder("dst_gray", "train")],
                              iterations: 2)
        let folder = Self.work + "/gray-dfl"
        var r = try runTrainer(["--model", model, "--export-dfl", folder, "--dfl-name", "bw"], in: Self.work)
        XCTAssertEqual(r.status, 0, r.stderr)
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        XCTAssertEqual(files, ["bw_SAEHDBW_data.dat", "bw_SAEHDBW_decoder_dst.npy", "bw_SAEHDBW_decoder_src.npy", "bw_SAEHDBW_encoder.npy",
                               "bw_SAEHDBW_inter.npy", "bw_SAEHDBW_src_dst_opt.npy"])
        r = try runTrainer(["--model", folder], in: Self.work, tool: "dfl-info")
        XCTAssertEqual(r.status, 0, r.stderr)
        let info = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(info["class"] as? String, "SAEHDBW")
        XCTAssertEqual(info["channels"] as? Int, 1)
        XCTAssertEqual(info["iteration"] as? Int, 2)
        r = try runTrainer(["--model", Self.work + "/gray-back", "--import-dfl", folder, "--quiet"], in: Self.work)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try bytes(Self.work + "/gray-back"), try bytes(model))
    }

    /// A GAN model (`--gan-power 0.1`) exported with `--export-dfl` carries GAN.npy and GAN_opt.npy, and
    /// `dfl-merge --model DFLDIR` merges frames with it: exit 0, each frame written at its size, the face
    /// region changed.
    func testGANModelExportsAndMergesFromItsDFLFolder() throws {
        let model = try train("gan", ["--gan-power", "0.1"], iterations: 2)
        XCTAssertEqual(try options(model)["ganPower"] as? Double, 0.1)
        let folder = Self.work + "/gan-dfl"
        var r = try runTrainer(["--model", model, "--export-dfl", folder, "--dfl-name", "gan"], in: Self.work)
        XCTAssertEqual(r.status, 0, r.stderr)
        for file in ["gan_SAEHD_GAN.npy", "gan_SAEHD_GAN_opt.npy", "gan_SAEHD_encoder.npy", "gan_SAEHD_data.dat"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: folder + "/" + file), file)
        }
        // The aligned faces of two example stills (64-px wf faces with their metadata) and those stills.
        let aligned = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/dfl-model/faces64").path
        let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("examples/data").path
        let frames = Self.work + "/gan-frames", merged = Self.work + "/gan-merged"
        try FileManager.default.createDirectory(atPath: frames, withIntermediateDirectories: true)
        let names = ["grace_hopper_navy_1984", "obama_speech_2009"]
        for n in names { try FileManager.default.copyItem(atPath: examples + "/" + n + ".jpg", toPath: frames + "/" + n + ".jpg") }
        r = try runTrainer(["--model", folder, "--aligned", aligned, "--out", merged, "-q", frames], in: Self.work, tool: "dfl-merge")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout.split(separator: "\n").map(String.init), names.map { merged + "/" + $0 + ".jpg" })
        for n in names {
            let before = try readImage(path: frames + "/" + n + ".jpg"), after = try readImage(path: merged + "/" + n + ".jpg")
            XCTAssertEqual([after.width, after.height, after.channels], [before.width, before.height, before.channels], n)
            var changed = 0
            for i in before.pixels.indices where abs(Int(before.pixels[i]) - Int(after.pixels[i])) > 24 { changed += 1 }
            XCTAssertGreaterThan(changed, 1000, "\(n): the merged frame shows no pasted face")
        }
    }
}
