import Foundation
import NeuralNet
@testable import ModelStore
import Trainer
import TestSupport
import XCTest

/// dfl-train with --holdout and --backup-every as a user runs it: quality.csv agrees with --reconstruct on
/// the same save, backups are models (read-only), and --from restores one into a new directory.
final class TrainerBackupToolTests: XCTestCase {
    let tiny = ["--config", "df-ud-64-16-16-16-16", "--batch-size", "2", "--threads", "1", "--preview-every", "0"]
    let train = ["--src", Fixture.folder("src", "train"), "--dst", Fixture.folder("dst", "train")]

    /// The mean line of --reconstruct: (ssim, psnr).
    func reconstructMean(_ model: String, out: String, in work: String) throws -> (Double, Double) {
        let r = try runTrainer(["--model", model, "--reconstruct", Fixture.folder("dst", "heldout"), "--out", out], in: work)
        XCTAssertEqual(r.status, 0, r.stderr)
        let mean = r.stdout.split(separator: "\n").last!.split(separator: "\t")
        XCTAssertEqual(mean.first, "mean")
        return (Double(mean[1])!, Double(mean[2])!)
    }

    func qualityRows(_ model: String) throws -> [Int: (Double, Double)] {
        var out: [Int: (Double, Double)] = [:]
        for line in try String(contentsOfFile: model + "/quality.csv", encoding: .utf8).split(separator: "\n").dropFirst() {
            let f = line.split(separator: ",")
            out[Int(f[0])!] = (Double(f[2])!, Double(f[3])!)
        }
        return out
    }

    func testBackupsAreModelsAndRestoreIntoANewDirectory() throws {
        let work = temporaryDirectory(self), model = work + "/model"
        var r = try runTrainer(["--model", model, "--holdout", Fixture.folder("dst", "heldout")] + train + tiny
                               + ["--iterations", "4", "--save-every", "1e-9", "--backup-every", "1e-12"], in: work)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("8 held out"), r.stderr)
        XCTAssertTrue(r.stderr.contains("held-out quality at iteration 4"), r.stderr)
        let quality = try qualityRows(model)
        XCTAssertEqual(quality.keys.sorted(), [1, 2, 3, 4])

        // The last row is --reconstruct on the final save, to the printed precision.
        let final = try reconstructMean(model, out: work + "/r-final", in: work)
        XCTAssertEqual(quality[4]!.0, final.0, accuracy: 0.00005 + 1e-6)
        XCTAssertEqual(quality[4]!.1, final.1, accuracy: 0.005 + 1e-4)

        // A backup of iteration 2 (one per save, dated names made unique).
        let backups = try FileManager.default.contentsOfDirectory(atPath: model + "/backups").map { model + "/backups/" + $0 }
        XCTAssertGreaterThanOrEqual(backups.count, 4)
        let backup = try XCTUnwrap(backups.first { (try? ModelDirectory($0).loadState().iteration) == 2 })
        let modelBefore = snapshot(model)

        // --reconstruct reads the backup directly, changes nothing, and gives quality.csv's row 2.
        let two = try reconstructMean(backup, out: work + "/r-two", in: work)
        XCTAssertEqual(quality[2]!.0, two.0, accuracy: 0.00005 + 1e-6)
        XCTAssertEqual(snapshot(model), modelBefore)

        // Training in a backup is refused (it would write into it); --from is the way.
        r = try runTrainer(["--model", backup] + train + tiny + ["--iterations", "1"], in: work)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("--from"), r.stderr)
        XCTAssertEqual(snapshot(model), modelBefore)

        // Restore into a new directory: the backup's weights and optimizer state bit for bit, its iteration.
        let restored = work + "/restored"
        r = try runTrainer(["--model", restored, "--from", backup], in: work)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("at iteration 2"), r.stderr)
        let (a, sa) = try ModelDirectory(backup).loadModel(), (b, sb) = try ModelDirectory(restored).loadModel()
        XCTAssertEqual(sa, sb)
        XCTAssertEqual(sb.iteration, 2)
        XCTAssertEqual(b.optimizer.iterations, 2)
        for (i, (pa, pb)) in zip(a.parameters, b.parameters).enumerated() {
            XCTAssertEqual(pa.value.array.map(\.bitPattern), pb.value.array.map(\.bitPattern), pa.name)
            for (x, y) in zip(a.optimizer.slots[i], b.optimizer.slots[i]) { XCTAssertEqual(x.array.map(\.bitPattern), y.array.map(\.bitPattern)) }
        }
        XCTAssertFalse(ModelDirectory(restored).isSingleSave)
        // A second --from into it is refused: it now holds a model.
        r = try runTrainer(["--model", restored, "--from", backup], in: work)
        XCTAssertEqual(r.status, 1)

        // It resumes at the backup's iteration; loss.csv and quality.csv came along, cut back to it.
        r = try runTrainer(["--model", restored, "--holdout", Fixture.folder("dst", "heldout")] + train + tiny + ["--iterations", "1"], in: work)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("resumed") && r.stderr.contains("iteration 2,"), r.stderr)
        XCTAssertEqual(try ModelDirectory(restored).loadState().iteration, 3)
        let losses = try String(contentsOfFile: restored + "/loss.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(losses.dropFirst().map { $0.split(separator: ",")[0] }, ["1", "2", "3"])
        XCTAssertEqual(try qualityRows(restored).keys.sorted(), [1, 2, 3])
        // The original model and its backup are untouched by all of this.
        XCTAssertEqual(snapshot(model), modelBefore)
    }

    /// Held-out faces of another face type or resolution stop the run before anything is written; held-out
    /// faces that are training faces give a warning.
    func testBadHeldOutFaces() throws {
        let work = temporaryDirectory(self)
        var r = try runTrainer(["--model", work + "/m1", "--holdout", Fixture.folder("dst", "heldout"), "--face-type", "f"] + train + tiny
                               + ["--iterations", "1"], in: work)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("held-out face(s) cannot be used") && r.stderr.contains("64 px f faces"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: work + "/m1"))
        r = try runTrainer(["--model", work + "/m2", "--holdout", Fixture.folder("dst", "heldout")] + train
                           + ["--config", "df-ud-32-16-16-16-16", "--batch-size", "2", "--threads", "1", "--iterations", "1"], in: work)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("the model takes 32 px wf faces"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: work + "/m2"))
        r = try runTrainer(["--model", work + "/m3", "--holdout", Fixture.folder("dst", "train")] + train + tiny + ["--iterations", "1"], in: work)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("warning: 24 of the 24 held-out faces are also training faces"), r.stderr)
        // Usage errors.
        r = try runTrainer(["--model", work + "/m4", "--holdout", Fixture.folder("dst", "heldout"), "--holdout-side", "swap"] + train + tiny, in: work)
        XCTAssertEqual(r.status, 2)
    }
}
