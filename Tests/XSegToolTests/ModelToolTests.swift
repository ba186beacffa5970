import FaceSet
import Foundation
import Imaging
@testable import ModelStore
import NeuralNet
import SAEHD
import TestSupport
import XCTest
@testable import XSeg

/// dfl-xseg import and export, and models of another kind.
final class ModelToolTests: XCTestCase {
    /// DFL folder → import → export gives, file for file and byte for byte, what the XSeg module's own
    /// export of that folder gives; export refuses to replace a model without --force.
    func testImportThenExportIsOurOwnExport() throws {
        let work = temporaryDirectory(self)
        for res in [64, 128] {
            let model = work + "/m\(res)", exported = work + "/dfl\(res)", reference = work + "/ref\(res)"
            var r = try xseg(["import", "--model", model, Fixture.folder(res)])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertEqual(r.stdoutLines, [model])
            let state = try XSegModelDirectory(model).loadState()
            XCTAssertEqual([state.iteration, state.resolution, state.batchSize], [res == 64 ? 10 : 5, res, 3])
            r = try xseg(["export", "--model", model, exported])
            XCTAssertEqual(r.status, 0, r.stderr)
            let written = try XSegModelFolder.write(try XSegModelFolder.read(Fixture.folder(res)), to: reference)
            XCTAssertEqual(r.stdoutLines, written.map { $0.replacingOccurrences(of: reference, with: exported) })
            let names = try FileManager.default.contentsOfDirectory(atPath: reference).sorted()
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: exported).sorted(), names)
            for name in names {
                XCTAssertEqual(FileManager.default.contents(atPath: exported + "/" + name), FileManager.default.contents(atPath: reference + "/" + name),
                               "\(res): \(name)")
            }
            // Export again: refused without --force (nothing changed), done with it.
            let before = snapshot(exported)
            r = try xseg(["export", "--model", model, exported])
            XCTAssertEqual(r.status, 1)
            XCTAssertTrue(r.stderr.contains("already there") && r.stderr.contains("force"), r.stderr)
            XCTAssertEqual(snapshot(exported), before)
            XCTAssertEqual(try xseg(["export", "--model", model, "--force", exported]).status, 0)
            XCTAssertEqual(snapshot(exported), before)
            // Importing into a model directory that has a model: refused.
            XCTAssertEqual(try xseg(["import", "--model", model, Fixture.folder(res)]).status, 1)
        }
    }

    /// The imported model masks as the DFL folder does, and trains on from DFL's iteration.
    func testImportedModelAppliesAndTrainsOn() throws {
        let work = temporaryDirectory(self), model = work + "/m"
        XCTAssertEqual(try xseg(["import", "--model", model, "--quiet", Fixture.folder(64)]).status, 0)
        let a = try Fixture.copyFaces(to: work), b = try Fixture.copyFaces(to: work)
        XCTAssertEqual(try xseg(["apply", "--model", model, "--quiet", a]).status, 0)
        XCTAssertEqual(try xseg(["apply", "--model", Fixture.folder(64), "--quiet", b]).status, 0)
        for name in Fixture.faces { XCTAssertEqual(try storedMask(a + "/" + name), try storedMask(b + "/" + name), name) }
        let r = try xseg(["train", "--model", model, "--iterations", "2", "--save-every", "0", "--threads", "1", "--preview-every", "0", a])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try XSegModelDirectory(model).loadState().iteration, 12)
        let rows = try String(contentsOfFile: model + "/loss.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(rows.count, 13)   // header, DFL's 10, ours 2
    }

    /// The merger's one-face call through the store: from DFL's folder and from our imported directory, the
    /// same as the network's extract computed from DFL's folder; a face of another size is refused.
    func testOpenMaskerServesTheMergersOneFaceCall() throws {
        let work = temporaryDirectory(self), model = work + "/m"
        XCTAssertEqual(try xseg(["import", "--model", model, "--quiet", Fixture.folder(64)]).status, 0)
        // The reference: DFL's extract computed here from the folder's network, one face at a time.
        let network = try XSegModelFolder.read(Fixture.folder(64)).network
        func reference(_ crop: FloatImage) -> FloatImage {
            let x = Tensor(shape: [1, 64, 64, 3], values: crop.data)
            return FloatImage(width: 64, height: 64, channels: 1, data: XSegNetwork.extract(network.forward(x)).array)
        }
        let fromFolder = try XSegStore.openMasker(Fixture.folder(64)), fromOurs = try XSegStore.openMasker(model)
        XCTAssertEqual(fromOurs.faceType, .wholeFace)
        for name in Fixture.faces {
            let face = try decodeJPEG(bytes(Fixture.root + "/faces/" + name))
            let crop = FloatImage(width: 256, height: 256, channels: 3, data: face.pixels.map { Float($0) / 255 })
                .resized(width: 64, height: 64, method: .lanczos4)
            let want = reference(crop)
            XCTAssertEqual(try fromFolder.mask(crop), want, name)
            XCTAssertEqual(try fromOurs.mask(crop), want, name)
        }
        XCTAssertThrowsError(try fromOurs.mask(FloatImage(width: 32, height: 32, channels: 3)))
    }

    /// An SAEHD model (DFL's folder or dfl-train's directory) is not an XSeg model, and an XSeg model
    /// directory is not dfl-train's: clear errors, nothing written.
    func testModelsOfAnotherKindAreRefused() throws {
        let work = temporaryDirectory(self), faces = try Fixture.copyFaces(to: work)
        let facesBefore = snapshot(faces)
        var r = try xseg(["apply", "--model", Fixture.saehdFolder, faces])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("SAEHD model folder") && r.stderr.contains("not an XSeg model"), r.stderr)
        r = try xseg(["import", "--model", work + "/imported", Fixture.saehdFolder])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("SAEHD"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: work + "/imported"))

        // dfl-train's model directory.
        let saehd = work + "/saehd"
        var o = TrainingOptions(architecture: try ModelConfig("df-ud-64-16-16-16-16", channels: 3), faceType: .wholeFace)
        o.batchSize = 2
        try ModelDirectory(saehd).save(model: try makeModel(o), state: ModelState(iteration: 0, trainingSeconds: 0, options: o))
        let saehdBefore = snapshot(saehd)
        for args in [["apply", "--model", saehd, faces], ["train", "--model", saehd, "--iterations", "1"] + tiny + [faces], ["export", "--model", saehd, work + "/x"]] {
            r = try xseg(args)
            XCTAssertEqual(r.status, 1, "\(args)")
            XCTAssertTrue(r.stderr.contains("a dfl-train (SAEHD) model, not an XSeg model"), r.stderr)
        }
        XCTAssertEqual(snapshot(saehd), saehdBefore)
        XCTAssertFalse(FileManager.default.fileExists(atPath: work + "/x"))
        XCTAssertEqual(snapshot(faces), facesBefore)

        // And the other way round: dfl-train (and dfl-info) on an XSeg model directory.
        let xsegModel = work + "/xseg"
        XCTAssertEqual(try xseg(["import", "--model", xsegModel, "--quiet", Fixture.folder(64)]).status, 0)
        XCTAssertThrowsError(try ModelStore.open(xsegModel, includeOptimizer: false)) {
            XCTAssertTrue("\($0)".contains("an XSeg model (dfl-xseg), not an SAEHD model"), "\($0)")
        }
        r = try xseg(["--model", xsegModel], tool: "dfl-info")
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("XSeg model"), r.stderr)
    }
}
