import FaceAlign
import FaceSet
import Foundation
import Imaging
import NeuralNet
import XCTest
import XSeg

/// dfl-merge as a user runs it, with a tiny model trained for two iterations by dfl-train.
final class MergeToolTests: XCTestCase {
    static var modelDirectory: String?

    /// A tiny model (df-ud-64-16-16-16-16, 2 iterations) made once for all tests.
    func model() throws -> String {
        if let m = Self.modelDirectory { return m }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dfl-merge-model-\(UUID().uuidString)").path
        let aligned = Fixtures.directory.appendingPathComponent("aligned").path
        let r = try runTool("dfl-train", ["--model", dir, "--src", aligned, "--dst", aligned, "--config", "df-ud-64-16-16-16-16",
                                          "--batch-size", "2", "--target-iter", "2", "--preview-every", "0", "--face-type", "wf"])
        XCTAssertEqual(r.status, 0, r.stderr)
        Self.modelDirectory = dir
        return dir
    }

    var alignedDirectory: String { Fixtures.directory.appendingPathComponent("aligned").path }

    /// The three fixture frames plus a PNG frame without a face, in a fresh directory.
    func frameDirectory() throws -> String {
        let dir = try temporaryDirectory(self)
        for stem in Fixtures.frameNames {
            try FileManager.default.copyItem(atPath: Fixtures.framePath(stem), toPath: dir + "/\(stem).jpg")
        }
        let blank = try Fixtures.frame("hill_0000").cropped(x: 0, y: 0, width: 120, height: 90)
        try Data(try encodePNG(blank)).write(to: URL(fileURLWithPath: dir + "/zz_noface.png"))
        return dir
    }

    func testMergesEveryFrameKeepingNamesAndFormats() throws {
        let frames = try frameDirectory(), out = try temporaryDirectory(self), masks = try temporaryDirectory(self)
        let r = try runTool("dfl-merge", ["--aligned", alignedDirectory, "--model", try model(), "--out", out,
                                          "--mask-out", masks, "--mask-mode", "learned-prd*dst", frames])
        XCTAssertEqual(r.status, 0, r.stderr)
        var expected: [String] = []
        for stem in Fixtures.frameNames { expected += [out + "/\(stem).jpg", masks + "/\(stem).png"] }
        expected += [out + "/zz_noface.png", masks + "/zz_noface.png"]
        XCTAssertEqual(r.stdoutLines, expected)
        XCTAssertTrue(r.stderr.contains("mode=overlay mask-mode=learned-prd*dst"), r.stderr)
        XCTAssertTrue(r.stderrLines.last?.hasPrefix("dfl-merge: 4 frames merged, 3 faces, 1 frames without a face, 0 failed") ?? false, r.stderr)
        // The frame without a face is written unchanged; a merged frame differs from its input inside the mask only.
        XCTAssertEqual(try readImage(path: out + "/zz_noface.png"), try readImage(path: frames + "/zz_noface.png"))
        XCTAssertTrue(try readImage(path: masks + "/zz_noface.png").pixels.allSatisfy { $0 == 0 })
        let mask = try readImage(path: masks + "/hill_0070.png")
        XCTAssertEqual(mask.channels, 1)
        XCTAssertGreaterThan(mask.pixels.filter { $0 > 0 }.count, 1000)
        let merged = try readImage(path: out + "/hill_0070.jpg")
        XCTAssertEqual(merged.width, 512)
        // Deterministic: a second run writes the same bytes.
        let out2 = try temporaryDirectory(self)
        let r2 = try runTool("dfl-merge", ["--aligned", alignedDirectory, "--model", try model(), "--out", out2,
                                           "--mask-mode", "learned-prd*dst", "-q", frames])
        XCTAssertEqual(r2.status, 0)
        for name in ["hill_0000.jpg", "hill_0070.jpg", "hill_0140.jpg", "zz_noface.png"] {
            XCTAssertEqual(try readBytes(out + "/" + name), try readBytes(out2 + "/" + name), name)
        }
    }

    func testFramesFromStandardInputAndConfigFile() throws {
        let frames = try frameDirectory(), out = try temporaryDirectory(self)
        let config = try temporaryDirectory(self) + "/merge.cfg"
        try "# merge settings\nmode = original\nerode=10\nblur=20\ncolor-transfer=rct\n".write(toFile: config, atomically: true, encoding: .utf8)
        let list = Fixtures.frameNames.map { frames + "/\($0).jpg\n" }.joined()
        let r = try runTool("dfl-merge", ["--aligned", alignedDirectory, "--model", try model(), "--out", out,
                                          "--config", config, "--blur", "30"], stdin: Data(list.utf8))
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdoutLines.count, 3)
        XCTAssertTrue(r.stderr.contains("mode=original mask-mode=dst erode=10 blur=30 motion-blur=0 output-face-scale=0 color-transfer=rct"), r.stderr)
        // original mode: the frame itself (re-encoded).
        let input = try readImage(path: frames + "/hill_0000.jpg"), output = try readImage(path: out + "/hill_0000.jpg")
        var diff = 0.0
        for i in input.pixels.indices { diff += abs(Double(input.pixels[i]) - Double(output.pixels[i])) }
        XCTAssertLessThan(diff / Double(input.pixels.count), 1.5)

        try "mode=overlay\nbogus=1\n".write(toFile: config, atomically: true, encoding: .utf8)
        let bad = try runTool("dfl-merge", ["--aligned", alignedDirectory, "--model", try model(), "--out", out, "--config", config, frames])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("bogus"), bad.stderr)
        let badValue = try runTool("dfl-merge", ["--aligned", alignedDirectory, "--model", try model(), "--out", out, "--erode", "999", frames])
        XCTAssertEqual(badValue.status, 2)
    }

    /// A frame that cannot be decoded is reported; the rest is merged, the exit status is 1, and nothing
    /// partial is left. A face whose frame is not given is no error (it is counted in the summary).
    func testBadInputsAreReportedAndTheRestMerged() throws {
        let frames = try temporaryDirectory(self), out = try temporaryDirectory(self)
        try FileManager.default.copyItem(atPath: Fixtures.framePath("hill_0000"), toPath: frames + "/hill_0000.jpg")
        let good = try readBytes(Fixtures.framePath("hill_0070"))
        try Data(good.prefix(good.count / 3)).write(to: URL(fileURLWithPath: frames + "/hill_0070.jpg"))   // truncated
        // hill_0140 is not given: its face is left out.
        let r = try runTool("dfl-merge", ["--aligned", alignedDirectory, "--model", try model(), "--out", out, frames])
        XCTAssertEqual(r.status, 1)
        XCTAssertFalse(r.stderr.contains("hill_0140"), r.stderr)
        XCTAssertTrue(r.stderrLines.contains { $0.hasPrefix("dfl-merge: \(frames)/hill_0070.jpg: ") }, r.stderr)
        XCTAssertTrue(r.stderrLines.last?.contains("1 failed, 1 faces of other frames left out") ?? false, r.stderr)
        XCTAssertEqual(r.stdoutLines, [out + "/hill_0000.jpg"])
        XCTAssertEqual(try directoryListing(out), ["hill_0000.jpg"])
    }

    /// The README's per-frame recipe: one frame against the whole aligned folder, one job per frame (as GNU
    /// parallel runs it). Each job exits 0 and writes exactly its frame, the same bytes as the merge of all
    /// frames at once.
    func testOneFrameAgainstTheWholeAlignedFolder() throws {
        let frames = try frameDirectory(), all = try temporaryDirectory(self), one = try temporaryDirectory(self)
        let whole = try runTool("dfl-merge", ["--model", try model(), "--aligned", alignedDirectory, "--out", all, "-q", frames])
        XCTAssertEqual(whole.status, 0, whole.stderr)
        for stem in Fixtures.frameNames {
            let frame = frames + "/\(stem).jpg"
            let r = try runTool("dfl-merge", ["--model", try model(), "--aligned", alignedDirectory, "--out", one, frame])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertEqual(r.stdoutLines, [one + "/\(stem).jpg"])
            XCTAssertTrue(r.stderrLines.last?.hasPrefix("dfl-merge: 1 frames merged, 1 faces, 0 frames without a face, 0 failed, "
                                                        + "\(Fixtures.frameNames.count - 1) faces of other frames left out") ?? false, r.stderr)
            XCTAssertEqual(try readBytes(one + "/\(stem).jpg"), try readBytes(all + "/\(stem).jpg"), stem)
        }
    }

    /// A DeepFaceLab model folder merges as is (read only), exactly as the model it was exported from.
    func testDeepFaceLabModelFolderMergesLikeOurModel() throws {
        let dfl = try temporaryDirectory(self) + "/dfl"
        let e = try runTool("dfl-train", ["--model", try model(), "--export-dfl", dfl, "--dfl-name", "exported"])
        XCTAssertEqual(e.status, 0, e.stderr)
        XCTAssertEqual(e.stdoutLines.last, dfl + "/exported_SAEHD_data.dat")
        let before = try directoryListing(dfl).map { try readBytes(dfl + "/" + $0) }
        let frames = try frameDirectory(), ours = try temporaryDirectory(self), theirs = try temporaryDirectory(self)
        for (model, out) in [(try model(), ours), (dfl, theirs)] {
            let r = try runTool("dfl-merge", ["--aligned", alignedDirectory, "--model", model, "--out", out,
                                              "--mask-mode", "learned-prd*dst", "-q", frames])
            XCTAssertEqual(r.status, 0, r.stderr)
        }
        for name in try directoryListing(ours) {
            XCTAssertEqual(try readBytes(ours + "/" + name), try readBytes(theirs + "/" + name), name)
        }
        XCTAssertEqual(try directoryListing(dfl).map { try readBytes(dfl + "/" + $0) }, before)
        // With two models in the folder the name must be given; the error lists them.
        XCTAssertEqual(try runTool("dfl-train", ["--model", try model(), "--export-dfl", dfl, "--dfl-name", "second"]).status, 0)
        let out = try temporaryDirectory(self)
        let r = try runTool("dfl-merge", ["--aligned", alignedDirectory, "--model", dfl, "--out", out, frames])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("exported (SAEHD), second (SAEHD)"), r.stderr)
        let named = try runTool("dfl-merge", ["--aligned", alignedDirectory, "--model", dfl, "--dfl-name", "second", "--out", out, "-q", frames])
        XCTAssertEqual(named.status, 0, named.stderr)
    }

    /// A backup (DIR/backups/<date>) is a model: merging from it writes the same bytes as merging from the
    /// model directory at the same save, and reads it only.
    func testMergesFromABackupAsFromTheModel() throws {
        let dir = try temporaryDirectory(self) + "/model"
        let r0 = try runTool("dfl-train", ["--model", dir, "--src", alignedDirectory, "--dst", alignedDirectory, "--config",
                                           "df-ud-64-16-16-16-16", "--batch-size", "2", "--iterations", "2", "--preview-every", "0",
                                           "--face-type", "wf", "--backup-every", "1e-12"])
        XCTAssertEqual(r0.status, 0, r0.stderr)
        let backups = try directoryListing(dir + "/backups")
        XCTAssertEqual(backups.count, 1, r0.stderr)
        let backup = dir + "/backups/" + backups[0]
        let frames = try frameDirectory(), fromModel = try temporaryDirectory(self), fromBackup = try temporaryDirectory(self)
        let before = try directoryListing(backup).map { try readBytes(backup + "/" + $0) }
        let a = try runTool("dfl-merge", ["--aligned", alignedDirectory, "--model", dir, "--out", fromModel, "-q", frames])
        let b = try runTool("dfl-merge", ["--aligned", alignedDirectory, "--model", backup, "--out", fromBackup, "-q", frames])
        XCTAssertEqual(a.status, 0, a.stderr)
        XCTAssertEqual(b.status, 0, b.stderr)
        for name in ["hill_0000.jpg", "hill_0070.jpg", "hill_0140.jpg"] {
            XCTAssertEqual(try readBytes(fromModel + "/" + name), try readBytes(fromBackup + "/" + name), name)
        }
        XCTAssertEqual(try directoryListing(backup).map { try readBytes(backup + "/" + $0) }, before)
    }

    /// A model whose model.json says another resolution than its weights have is refused.
    func testModelOfAnotherResolutionIsRefused() throws {
        let broken = try temporaryDirectory(self) + "/model"
        try FileManager.default.copyItem(atPath: try model(), toPath: broken)
        let json = broken + "/model.json"
        let resolved = try FileManager.default.destinationOfSymbolicLink(atPath: json)
        let file = broken + "/" + resolved
        let text = try String(contentsOfFile: file, encoding: .utf8)
        try FileManager.default.removeItem(atPath: file)
        try text.replacingOccurrences(of: "df-ud-64-", with: "df-ud-96-").write(toFile: file, atomically: true, encoding: .utf8)
        let frames = try frameDirectory(), out = try temporaryDirectory(self)
        let r = try runTool("dfl-merge", ["--aligned", alignedDirectory, "--model", broken, "--out", out, frames])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderrLines.contains { $0.hasPrefix("dfl-merge: \(broken): ") }, r.stderr)
        XCTAssertEqual(try directoryListing(out), [])
    }

    func testGrayModelOnColourFrames() throws {
        let dir = try temporaryDirectory(self) + "/gray-model"
        let r0 = try runTool("dfl-train", ["--model", dir, "--src", alignedDirectory, "--dst", alignedDirectory, "--config",
                                           "df-ud-64-16-16-16-16", "--channels", "1", "--batch-size", "2", "--target-iter", "1",
                                           "--preview-every", "0", "--face-type", "wf"])
        XCTAssertEqual(r0.status, 0, r0.stderr)
        let frames = try frameDirectory(), out = try temporaryDirectory(self), masks = try temporaryDirectory(self)
        let r = try runTool("dfl-merge", ["--aligned", alignedDirectory, "--model", dir, "--out", out, "--mask-out", masks, frames])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("color-mode=auto"))
        let output = try readImage(path: out + "/hill_0000.jpg")
        XCTAssertEqual(output.channels, 3)
        // Outside the mask the frame is unchanged (up to the JPEG re-encoding): colour is kept.
        let input = try readImage(path: frames + "/hill_0000.jpg"), mask = try readImage(path: masks + "/hill_0000.png")
        var outsideDiff = 0.0, outside = 0
        for i in 0..<(mask.width * mask.height) where mask.pixels[i] == 0 {
            for c in 0..<3 { outsideDiff += abs(Double(input.pixels[3 * i + c]) - Double(output.pixels[3 * i + c])) }
            outside += 1
        }
        XCTAssertLessThan(outsideDiff / Double(3 * outside), 1.5)
        let grayOut = try temporaryDirectory(self)
        let gray = try runTool("dfl-merge", ["--aligned", alignedDirectory, "--model", dir, "--out", grayOut, "--color-mode", "gray", frames])
        XCTAssertEqual(gray.status, 0, gray.stderr)
        let g = try readImage(path: grayOut + "/zz_noface.png")
        XCTAssertEqual(g.channels, 3)
        for i in stride(from: 0, to: g.pixels.count, by: 3) {
            XCTAssertEqual(g.pixels[i], g.pixels[i + 1]); XCTAssertEqual(g.pixels[i], g.pixels[i + 2])
        }
    }

    /// xseg-dst through the tool with DFL's XSeg folder of the fixtures (64 px, wf) and a 64 px wf model:
    /// frames and masks written, and each frame's mask is the network's mask of the frame's 64 px wf crop (the
    /// network run here, not through the tool) taken back into the frame by DFL's chain (docs/saehd-model.md
    /// §7.2 steps 4–6: 1/255 floor, cubic resize to 4r, clip, cubic warp into the frame, clip, 1/255 floor): 0
    /// outside the crop, and inside it within 3 levels of 255 (mean 0.35; measured 2.5 and 0.25, the mean of 8-bit rounding: the warp places
    /// its samples on a 1/32-pixel grid counted from the face's rectangle in the merger and from the frame's
    /// corner here, and this rough mask's 4r slope turns that into a level or two), 10 on the crop's one-pixel
    /// edge where the mask drops to 0 (measured 6.4).
    func testXSegDstModeWithADFLXSegFolder() throws {
        let frames = try frameDirectory(), out = try temporaryDirectory(self), masks = try temporaryDirectory(self)
        let r = try runTool("dfl-merge", ["--aligned", alignedDirectory, "--model", try model(), "--out", out, "--mask-out", masks,
                                          "--mode", "original", "--mask-mode", "xseg-dst", "--xseg-model", xsegFixtureFolder, frames])
        XCTAssertEqual(r.status, 0, r.stderr)
        var expectedPaths: [String] = []
        for stem in Fixtures.frameNames { expectedPaths += [out + "/\(stem).jpg", masks + "/\(stem).png"] }
        expectedPaths += [out + "/zz_noface.png", masks + "/zz_noface.png"]
        XCTAssertEqual(r.stdoutLines, expectedPaths)
        XCTAssertTrue(r.stderr.contains("xseg model \(xsegFixtureFolder): 64 px, face type wf"), r.stderr)
        XCTAssertTrue(r.stderr.contains("mask-mode=xseg-dst"), r.stderr)
        let network = try XSegModelFolder.read(xsegFixtureFolder, includeOptimizer: false).network
        let x = 64
        for stem in Fixtures.frameNames {
            let frame = try readImage(path: frames + "/\(stem).jpg"), mask = try readImage(path: masks + "/\(stem).png")
            let face = try Fixtures.frameFace(stem)
            var m = try networkMask(network, frame: frame, face: face, size: x)
            for i in m.data.indices where m.data[i] < 1 / 255 { m.data[i] = 0 }
            var m4 = m.resized(width: 4 * x, height: 4 * x, method: .cubic)
            for i in m4.data.indices { m4.data[i] = min(max(m4.data[i], 0), 1) }
            let toMask = try transformMatrix(landmarks: face.landmarks, size: 4 * x, faceType: .wholeFace)
            let expected = warpAffine(m4, matrix: toMask.inverted!.rowMajor, width: frame.width, height: frame.height,
                                      interpolation: .cubic)
            let mat = try transformMatrix(landmarks: face.landmarks, size: x, faceType: .wholeFace)
            var worst = 0.0, edge = 0.0, sum = 0.0, inside = 0, outside = 0
            for qy in 0..<frame.height {
                for qx in 0..<frame.width {
                    let e = Double(min(max(expected.data[qy * frame.width + qx], 0), 1))
                    let d = abs(Double(mask[qx, qy, 0]) / 255 - (e < 1 / 255 ? 0 : e))
                    let s = mat.apply(Point2D(Double(qx), Double(qy)))
                    if s.x >= 1 && s.y >= 1 && s.x <= Double(x) - 2 && s.y <= Double(x) - 2 {
                        worst = max(worst, d)
                        sum += d
                        inside += 1
                    } else if s.x < -2 || s.y < -2 || s.x > Double(x) + 1 || s.y > Double(x) + 1 {
                        XCTAssertEqual(mask[qx, qy, 0], 0, "\(stem) (\(qx), \(qy)) lies outside the XSeg crop")
                        outside += 1
                    } else {
                        edge = max(edge, d)
                    }
                }
            }
            print("dfl-merge xseg-dst \(stem): max |diff| \(worst * 255) levels (mean \(sum / Double(inside) * 255)) over \(inside) pixels inside the crop, "
                  + "\(edge * 255) on its one-pixel edge")
            XCTAssertGreaterThan(inside, 10000)
            XCTAssertGreaterThan(outside, 10000)
            XCTAssertLessThanOrEqual(worst, 3.0 / 255, stem)
            XCTAssertLessThanOrEqual(sum / Double(inside), 0.35 / 255, stem)
            XCTAssertLessThanOrEqual(edge, 10.0 / 255, stem)
            XCTAssertGreaterThan(mask.pixels.filter { $0 > 128 }.count, 5000, "the mask is not empty")
            XCTAssertGreaterThan(mask.pixels.filter { $0 == 0 }.count, 5000)
        }
    }

    /// A mask mode that runs an XSeg model, from a flag or the config file, without --xseg-model is a usage
    /// error; --xseg-model with a mode that runs none is only a warning.
    func testXSegModesWithoutAnXSegModelAreUsageErrors() throws {
        let frames = try frameDirectory(), out = try temporaryDirectory(self)
        for mode in ["xseg-prd", "xseg-dst", "xseg-prd*dst", "learned-prd*dst*xseg-prd*dst"] {
            let r = try runTool("dfl-merge", ["--aligned", alignedDirectory, "--model", try model(), "--out", out,
                                              "--mask-mode", mode, frames])
            XCTAssertEqual(r.status, 2, mode)
            XCTAssertTrue(r.stderr.contains("mask mode \(mode) runs an XSeg model: give --xseg-model PATH"), r.stderr)
        }
        let config = try temporaryDirectory(self) + "/merge.cfg"
        try "mask-mode=xseg-dst\n".write(toFile: config, atomically: true, encoding: .utf8)
        let fromFile = try runTool("dfl-merge", ["--aligned", alignedDirectory, "--model", try model(), "--out", out,
                                                 "--config", config, frames])
        XCTAssertEqual(fromFile.status, 2)
        XCTAssertEqual(try directoryListing(out), [])
        let unused = try runTool("dfl-merge", ["--aligned", alignedDirectory, "--model", try model(), "--out", out,
                                               "--xseg-model", xsegFixtureFolder, "-q", frames])
        XCTAssertEqual(unused.status, 0, unused.stderr)
        XCTAssertTrue(unused.stderr.contains("--xseg-model is not used by mask mode dst"), unused.stderr)
    }
}
