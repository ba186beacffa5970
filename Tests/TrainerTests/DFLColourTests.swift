// DeepFaceLab colour models through the user's path: image files in, image files out, compared with what
// DFL's network gives on the same pixels. DFL's networks see BGR, our files and tools RGB (the channel order
// is turned at the model folder's boundary, SAEHD/ImageChannelOrder.swift). The references are float32 BGR
// tensors (Fixtures/dfl-model/README.md): the only place a test turns BGR into RGB is where it reads them.
// `df-ud-64-color` makes strongly coloured faces (src decoder blue, dst decoder red), so a swapped channel
// order cannot pass within any tolerance.
import FaceSet
import Foundation
import Imaging
import NeuralNet
import SAEHD
@testable import ModelStore
@testable import Trainer
import XCTest

final class DFLColourTests: XCTestCase {
    static let faces64 = DFLFixture.root + "/faces64"

    /// A reference file's tensors and its face order.
    func reference(_ path: String) throws -> (tensors: [String: SafeTensors.Entry], faces: [String]) {
        let file = try SafeTensors.read(path: path)
        let faces = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(try XCTUnwrap(file.metadata["faces"]).utf8)) as? [String])
        return (file.tensors, faces)
    }

    /// The PNG at `path` as floats in [0, 1], RGB.
    func pixels(_ path: String) throws -> [Float] {
        try decodeImage([UInt8](try XCTUnwrap(FileManager.default.contents(atPath: path)))).toFloat().data
    }

    /// Compares the reconstructions `dfl-train --reconstruct` wrote for `side` with the reference output `key`
    /// (BGR, turned to RGB here); returns the mean |difference| when the reference's channels are NOT turned,
    /// i.e. what a swapped channel order would show.
    @discardableResult
    func checkReconstructions(model: String, side: String, key: String, reference path: String,
                              file: StaticString = #filePath, line: UInt = #line) throws -> Double {
        let dir = temporaryDirectory(self)
        let r = try runTrainer(["--model", model, "--reconstruct", Self.faces64, "--side", side, "--out", dir + "/out"], in: dir)
        XCTAssertEqual(r.status, 0, r.stderr, file: file, line: line)
        let (tensors, faces) = try reference(path)
        let want = try XCTUnwrap(tensors[key], key)
        let perFace = want.values.count / faces.count
        XCTAssertEqual(want.shape, [faces.count, 64, 64, 3])
        var worst = 0.0, swappedSum = 0.0
        for (i, face) in faces.enumerated() {
            let stem = (face as NSString).deletingPathExtension
            let got = try pixels(dir + "/out/" + stem + ".png")
            XCTAssertEqual(got.count, perFace, face, file: file, line: line)
            let bgr = Array(want.values[(i * perFace)..<((i + 1) * perFace)])
            let rgb = reversedChannels(bgr, channels: 3)
            for j in got.indices {
                worst = max(worst, Double(abs(got[j] - rgb[j])))
                swappedSum += Double(abs(got[j] - bgr[j]))
            }
        }
        // PNG quantisation (half a level) plus float32 rounding of two implementations of the network.
        XCTAssertLessThan(worst, 0.6 / 255, "\(side): worst |ours − DFL's| in [0,1]", file: file, line: line)
        return swappedSum / Double(want.values.count)
    }

    /// The coloured DFL model, imported with `dfl-train --import-dfl`, reconstructs the faces64 JPEGs into
    /// PNG files equal to DFL's outputs; with the channels swapped they would be off by more than 0.3.
    func testImportedColourModelReconstructsDFLsColours() throws {
        let dir = temporaryDirectory(self)
        let model = dir + "/m"
        let r = try runTrainer(["--model", model, "--import-dfl", DFLFixture.root + "/df-ud-64-color", "--quiet"], in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        let reference = DFLFixture.root + "/df-ud-64-color/reference.safetensors"
        for (side, key) in [("src", "pred_src_src"), ("dst", "pred_dst_dst"), ("swap", "pred_src_dst")] {
            let swapped = try checkReconstructions(model: model, side: side, key: key, reference: reference)
            XCTAssertGreaterThan(swapped, 0.3, "\(side): the fixture must tell the channel orders apart")
        }
    }

    /// The same straight from DFL's folder (read only) and for DFL's own df-ud-64, whose faces are natural
    /// colours.
    func testDFLFolderReconstructsDirectly() throws {
        let color = DFLFixture.root + "/df-ud-64-color", plain = DFLFixture.root + "/df-ud-64"
        try checkReconstructions(model: color, side: "swap", key: "pred_src_dst", reference: color + "/reference.safetensors")
        let swapped = try checkReconstructions(model: plain, side: "dst", key: "pred_dst_dst",
                                               reference: plain + "/reference-faces64.safetensors")
        XCTAssertGreaterThan(swapped, 0.02, "DFL's own model's faces differ between the channel orders too")
    }

    /// `dfl-merge --model DFLDIR` on the faces' own frames pastes DFL's colours: inside the mask the merged
    /// face has the mean colour of DFL's swap prediction (blue), not its mirror image (red).
    func testMergeWithDFLFolderPastesDFLsColours() throws {
        let dir = temporaryDirectory(self)
        let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("examples/data").path
        let frames = dir + "/frames"
        try FileManager.default.createDirectory(atPath: frames, withIntermediateDirectories: true)
        for name in ["grace_hopper_navy_1984.jpg", "obama_speech_2009.jpg"] {
            try FileManager.default.copyItem(atPath: examples + "/" + name, toPath: frames + "/" + name)
        }
        let color = DFLFixture.root + "/df-ud-64-color"
        let r = try runTrainer(["--model", color, "--aligned", Self.faces64, "--out", dir + "/merged",
                                "--mask-out", dir + "/masks", "-q", frames], in: dir, tool: "dfl-merge")
        XCTAssertEqual(r.status, 0, r.stderr)
        let (tensors, _) = try reference(color + "/reference.safetensors")
        let swap = try XCTUnwrap(tensors["pred_src_dst"]).values
        var bgrMean = [0.0, 0.0, 0.0]
        for (i, v) in swap.enumerated() { bgrMean[i % 3] += Double(v) / Double(swap.count / 3) }
        for name in ["grace_hopper_navy_1984", "obama_speech_2009"] {
            let merged = try decodeImage([UInt8](try XCTUnwrap(FileManager.default.contents(atPath: dir + "/merged/" + name + ".jpg"))))
            let mask = try decodeImage([UInt8](try XCTUnwrap(FileManager.default.contents(atPath: dir + "/masks/" + name + ".png"))))
            var sum = [0.0, 0.0, 0.0], n = 0.0
            for p in 0..<(mask.width * mask.height) where mask.pixels[p] == 255 {
                for c in 0..<3 { sum[c] += Double(merged.pixels[3 * p + c]) / 255 }
                n += 1
            }
            XCTAssertGreaterThan(n, 1000, name)
            let rgbMean = sum.map { $0 / n }
            // The face cut from the frame is not the faces64 crop, but the heads' biases dominate: each channel's
            // mean is within 0.1 of the reference's, and blue and red are far apart.
            for c in 0..<3 {
                XCTAssertEqual(rgbMean[c], bgrMean[2 - c], accuracy: 0.1, "\(name) channel \(c) (RGB)")
            }
            XCTAssertGreaterThan(rgbMean[2] - rgbMean[0], 0.5, "\(name): DFL's src decoder paints blue")
        }
    }

    /// A colour model trained here and exported runs in DFL with the same colours: the exported files, read
    /// the way DFL reads them (each key's array into the variable of that name, nothing turned), fed the
    /// faces in BGR, give our RGB reconstruction files with the channels reversed.
    func testExportedColourModelGivesDFLOurColours() throws {
        let dir = temporaryDirectory(self)
        let model = dir + "/m"
        var r = try runTrainer(["--model", model, "--import-dfl", DFLFixture.root + "/df-ud-64-color", "--quiet"], in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try runTrainer(["--model", model, "--src", Self.faces64, "--dst", Self.faces64, "--batch-size", "2",
                            "--iterations", "3", "--preview-every", "0", "--quiet"], in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try runTrainer(["--model", model, "--export-dfl", dir + "/dfl", "--quiet"], in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try runTrainer(["--model", model, "--reconstruct", Self.faces64, "--side", "swap", "--out", dir + "/ours"], in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)

        // DFL's view of the exported folder: a fresh network with every weight copied in by its key.
        let config = try ModelConfig("df-ud-64-16-8-8-4", channels: 3)
        let dfl = SAEHDModel(config: config)
        for network in DFLFiles.networks(config.archi) {
            let arrays = try DFLFiles.readArrays(dir + "/dfl/new_SAEHD_" + network + ".npy")
            for p in dfl.parameters where p.name.hasPrefix(network + ".") {
                let a = try XCTUnwrap(arrays[SAEHDModel.dflKey(for: p.name).key], p.name)
                try DFLFiles.copy(a, into: p.value, what: p.name, path: network)
            }
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.faces64).filter { $0.hasSuffix(".jpg") }.sorted()
        XCTAssertEqual(names.count, 3)
        let input = Tensor(shape: [names.count, 64, 64, 3])
        for (i, name) in names.enumerated() {
            let rgb = try pixels(Self.faces64 + "/" + name)
            let bgr = reversedChannels(rgb, channels: 3)   // as cv2.imread gives it to DFL
            for j in bgr.indices { input.data[i * bgr.count + j] = bgr[j] }
        }
        let out = dfl.predict(input, masks: []).image.array
        let per = out.count / names.count
        var worst: Float = 0, swappedMean = 0.0
        for (i, name) in names.enumerated() {
            let ours = try pixels(dir + "/ours/" + (name as NSString).deletingPathExtension + ".png")
            let theirs = reversedChannels(Array(out[(i * per)..<((i + 1) * per)]), channels: 3)
            for j in ours.indices {
                worst = max(worst, abs(ours[j] - theirs[j]))
                swappedMean += Double(abs(ours[j] - out[i * per + j])) / Double(out.count)
            }
        }
        XCTAssertLessThan(worst, 0.6 / 255, "DFL's forward on the exported files vs our PNGs")
        XCTAssertGreaterThan(swappedMean, 0.3, "the exported model's colours must tell the orders apart")
    }

    /// The reversal is an involution on weights and every optimizer slot, and changes only the image-facing
    /// tensors; 1-channel models have none.
    func testChannelReversalTouchesOnlyImageFacingTensors() throws {
        let model = SAEHDModel(config: try ModelConfig("df-ud-64-16-8-8-4", channels: 3),
                               lossOptions: LossOptions(ganPower: 0.1, ganPatchSize: 8, ganDims: 4))
        let batch = TrainingBatch(batch: 2, resolution: 64, channels: 3)
        batch.fillRandom(seed: 3)
        _ = model.computeGradients(batch)
        model.optimizer.step()
        let all = model.parameters + model.discriminators.flatMap(\.parameters)
        let before = all.map(\.value.array)
        let slotsBefore = model.optimizer.slots.map { $0.map(\.array) }
        let touched = Set(model.imageChannelAxes.map(\.parameter.name))
        let heads = ["decoder_src", "decoder_dst"].flatMap { d in
            ["out_conv", "out_conv1", "out_conv2", "out_conv3"].flatMap { ["\(d).\($0).weight", "\(d).\($0).bias"] }
        }
        XCTAssertEqual(touched, Set(["encoder.down1.downs_0.conv1.weight", "GAN.in_conv.weight"] + heads))
        model.reverseImageChannelOrder(includingOptimizerSlots: true)
        for (p, b) in zip(all, before) {
            if touched.contains(p.name) { XCTAssertNotEqual(p.value.array, b, p.name) } else { XCTAssertEqual(p.value.array, b, p.name) }
        }
        model.reverseImageChannelOrder(includingOptimizerSlots: true)
        XCTAssertEqual(all.map(\.value.array), before)
        XCTAssertEqual(model.optimizer.slots.map { $0.map(\.array) }, slotsBefore)
        let gray = SAEHDModel(config: try ModelConfig("df-ud-64-16-8-8-4", channels: 1))
        XCTAssertTrue(gray.imageChannelAxes.isEmpty)
    }
}
