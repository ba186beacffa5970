// DeepFaceLab model folders: import, export and the forward pass against DFL's own outputs, on folders
// written by DeepFaceLab's code (Fixtures/dfl-model/README.md).
import FaceSet
import Foundation
import NeuralNet
import SAEHD
import Samples
@testable import ModelStore
@testable import Trainer
import XCTest

enum DFLFixture {
    static let root = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/dfl-model").path
    static let all = ["df-ud-64", "liae-udt-64", "liae-64"]

    /// A writable copy of fixture `name` in `dir`.
    static func copy(_ name: String, to dir: String) throws -> String {
        let dest = dir + "/" + name
        try FileManager.default.copyItem(atPath: root + "/" + name, toPath: dest)
        return dest
    }

    static func pickle(_ path: String) throws -> PickleValue {
        try PickleReader.read([UInt8](try XCTUnwrap(FileManager.default.contents(atPath: path))))
    }

    static func writePickle(_ v: PickleValue, to path: String) throws {
        try Data(try PickleWriter.write(v)).write(to: URL(fileURLWithPath: path))
    }
}

/// `values` (NHWC) with each pixel's channels in reverse order: BGR ↔ RGB (1-channel data unchanged).
func reversedChannels(_ values: [Float], channels c: Int) -> [Float] {
    guard c > 1 else { return values }
    var out = values
    for p in stride(from: 0, to: values.count, by: c) { for k in 0..<c { out[p + k] = values[p + c - 1 - k] } }
    return out
}

final class DFLModelTests: XCTestCase {
    // MARK: Forward pass

    /// Our forward pass on the opened weights equals DFL's recorded outputs. DFL's tensors are BGR and an
    /// opened model takes RGB, so the input's channels are reversed on the way in and the images' on the way
    /// out (the tests through image files, below, need no such step).
    func checkForward(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let reference = try SafeTensors.read(path: DFLFixture.root + "/" + name + "/reference.safetensors").tensors
        let opened = try ModelStore.open(DFLFixture.root + "/" + name, includeOptimizer: false)
        let model = opened.model
        XCTAssertEqual(model.config.description, name.replacingOccurrences(of: "-64", with: "-64-16-8-8-4"), file: file, line: line)
        let bgrInput = try XCTUnwrap(reference["input"])
        let input = (shape: bgrInput.shape, values: reversedChannels(bgrInput.values, channels: bgrInput.shape[3]))
        let n = input.shape[0], r = model.config.resolution, c = model.config.channels
        XCTAssertEqual(input.shape, [n, r, r, c])
        let faces = Tensor(shape: input.shape)
        for i in 0..<faces.count { faces.data[i] = input.values[i] }
        // Every path through the inference pass, and the training pass's src→src / dst→dst halves.
        let srcPath = model.forward(faces, path: .src, outputs: .both)
        let dstPath = model.forward(faces, path: .dst, outputs: .both)
        let swapPath = model.forward(faces, path: .swap, outputs: .both)
        let merge = model.predict(faces, masks: .all)
        let batch = TrainingBatch(batch: n, resolution: r, channels: c)
        for t in [batch.warped, batch.target] {
            for half in 0..<2 { for i in 0..<input.values.count { t.data[half * input.values.count + i] = input.values[i] } }
        }
        _ = model.computeGradients(batch)
        let image = model.predictedImage!.array, mask = model.predictedMask!.array
        let imageHalf = image.count / 2, maskHalf = mask.count / 2
        let outputs: [(String, [Float])] = [
            ("pred_src_src", srcPath.image!.array), ("pred_src_srcm", srcPath.mask!.array),
            ("pred_dst_dst", dstPath.image!.array), ("pred_dst_dstm", dstPath.mask!.array),
            ("pred_src_dst", swapPath.image!.array), ("pred_src_dstm", swapPath.mask!.array),
            ("pred_src_dst", merge.image.array), ("pred_src_dstm", merge.sourceMask!.array),
            ("pred_dst_dstm", merge.destinationMask!.array),
            ("pred_src_src", Array(image[..<imageHalf])), ("pred_src_srcm", Array(mask[..<maskHalf])),
            ("pred_dst_dst", Array(image[imageHalf...])), ("pred_dst_dstm", Array(mask[maskHalf...])),
        ]
        for (key, got) in outputs {
            let stored = try XCTUnwrap(reference[key], key)
            let want = reversedChannels(stored.values, channels: stored.shape[3])
            XCTAssertEqual(got.count, want.count, key, file: file, line: line)
            let worst = zip(got, want).map { abs($0 - $1) }.max() ?? .infinity
            XCTAssertLessThan(worst, 1e-4, "\(name) \(key)", file: file, line: line)
            if ProcessInfo.processInfo.environment["DFL_REPORT"] != nil { print("\(name) \(key) max |diff| \(worst)") }
        }
    }

    func testDFUDForwardMatchesDFL() throws { try checkForward("df-ud-64") }
    func testLIAEUDTForwardMatchesDFL() throws { try checkForward("liae-udt-64") }
    func testPlainLIAEForwardMatchesDFL() throws { try checkForward("liae-64") }

    // MARK: Import and export

    /// The files of DFL model `new` in `dir`.
    func modelFiles(_ dir: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix("new_SAEHD") && !$0.contains("reference") }.sorted()
    }

    /// Same keys (in the same order) and the same values; numpy scalars equal 0-d arrays of their dtype.
    func assertSameDict(_ a: PickleValue, _ b: PickleValue, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        guard case let .dict(pa) = a, case let .dict(pb) = b else { return XCTFail("\(what): not dicts", file: file, line: line) }
        XCTAssertEqual(pa.map(\.key), pb.map(\.key), "\(what): keys", file: file, line: line)
        for (x, y) in zip(pa, pb) where x.value != y.value {
            switch (x.value, y.value) {
            case let (.int(i), .ndarray(arr)), let (.ndarray(arr), .int(i)):
                XCTAssertEqual(arr.typeString, "i8", what, file: file, line: line)
                XCTAssertEqual(try? arr.ints(), [i], "\(what) \(x.key)", file: file, line: line)
            case (.dict, .dict):
                assertSameDict(x.value, y.value, "\(what) \(x.key)", file: file, line: line)
            default:
                XCTFail("\(what): \(x.key) differs", file: file, line: line)
            }
        }
    }

    func testImportThenExportGivesDFLsFilesBackAndIsByteStable() throws {
        for name in DFLFixture.all {
            let dir = temporaryDirectory(self)
            let source = DFLFixture.root + "/" + name
            let state = try ModelStore.importDFL(from: source, name: nil, into: dir + "/ours")
            XCTAssertEqual(state.iteration, 20)
            let opened = try ModelStore.open(dir + "/ours", includeOptimizer: true)
            XCTAssertEqual(opened.model.optimizer.iterations, 20)
            XCTAssertEqual(opened.losses.count, 20)
            let written = try DFLModelFolder.export(model: opened.model, state: opened.state, losses: opened.losses,
                                                    to: dir + "/back", name: "new", force: false)
            XCTAssertEqual(written.last, dir + "/back/new_SAEHD_data.dat")
            XCTAssertEqual(try modelFiles(dir + "/back"), try modelFiles(source), name)
            for f in try modelFiles(source) {
                assertSameDict(try DFLFixture.pickle(source + "/" + f), try DFLFixture.pickle(dir + "/back/" + f), "\(name) \(f)")
            }
            // export → import → export: identical bytes.
            try ModelStore.importDFL(from: dir + "/back", name: "new", into: dir + "/ours2")
            let again = try ModelStore.open(dir + "/ours2", includeOptimizer: true)
            try DFLModelFolder.export(model: again.model, state: again.state, losses: again.losses, to: dir + "/back2",
                                      name: "new", force: false)
            for f in try modelFiles(dir + "/back") {
                XCTAssertEqual(FileManager.default.contents(atPath: dir + "/back/" + f),
                               FileManager.default.contents(atPath: dir + "/back2/" + f), "\(name) \(f)")
            }
        }
    }

    func testImportedOptionsAreDFLs() throws {
        let dir = temporaryDirectory(self)
        let state = try ModelStore.importDFL(from: DFLFixture.root + "/df-ud-64", name: "new", into: dir + "/m")
        let o = state.options
        XCTAssertEqual(o.config, "df-ud-64-16-8-8-4")
        XCTAssertEqual(o.channels, 3)
        XCTAssertEqual(o.faceType, .wholeFace)
        XCTAssertEqual(o.optimizer, .adabelief)
        XCTAssertEqual(o.batchSize, 8)
        XCTAssertTrue(o.maskedTraining && o.randomWarp && o.randomDstFlip)
        XCTAssertFalse(o.randomSrcFlip || o.lrDropout || o.clipGradient || o.isPretraining)
        XCTAssertNil(o.ctMode)
        XCTAssertEqual(o.ganPatchSize, 8)
        XCTAssertEqual(o.ganPower, 0)
        XCTAssertEqual(o.ganDims, 16)
        let rows = LossLog.read(path: dir + "/m/loss.csv", upTo: 100)
        XCTAssertEqual(rows.map(\.iteration), Array(1...20))
        XCTAssertTrue(rows.allSatisfy { $0.src == 0.5 && $0.dst == 0.5 })
    }

    func testOneChannelModelsExportAsSAEHDBWAndImportBack() throws {
        let dir = temporaryDirectory(self)
        var o = tinyOptions(channels: 1, config: "liae-ud-64-16-8-8-4")
        o.ctMode = .lct
        let model = try makeModel(o)
        model.optimizer.iterations = 3
        let state = ModelState(iteration: 3, trainingSeconds: 1, options: o)
        let losses = [LossRecord(iteration: 1, src: 0.25, dst: 0.125, seconds: 0),
                      LossRecord(iteration: 2, src: 0.2, dst: 0.1, seconds: 0), LossRecord(iteration: 3, src: 0.1, dst: 0.3, seconds: 0)]
        let written = try DFLModelFolder.export(model: model, state: state, losses: losses, to: dir + "/dfl", name: "bw", force: false)
        XCTAssertTrue(written.allSatisfy { $0.contains("/bw_SAEHDBW_") }, "\(written)")
        XCTAssertEqual(written.count, 6)
        let data = try DFLFixture.pickle(dir + "/dfl/bw_SAEHDBW_data.dat")
        XCTAssertEqual(data["iter"], .int(3))
        XCTAssertEqual(data["options"]?["archi"], .string("liae-ud"))
        XCTAssertEqual(data["options"]?["ct_mode"], .string("lct"))
        XCTAssertEqual(data["loss_history"], .list(losses.map { .list([.float($0.src), .float($0.dst)]) }))
        let back = try ModelStore.open(dir + "/dfl", includeOptimizer: true)
        guard case .deepFaceLab(let folder) = back.location else { return XCTFail("not opened as a DFL folder") }
        XCTAssertEqual(folder.className, "SAEHDBW")
        XCTAssertEqual(back.state.options.channels, 1)
        XCTAssertEqual(back.state.options.config, o.config)
        XCTAssertEqual(back.losses, losses)
        XCTAssertEqual(back.model.parameters.map(\.name), model.parameters.map(\.name))
        for (a, b) in zip(model.parameters, back.model.parameters) { XCTAssertEqual(a.value.array, b.value.array, a.name) }
        // Exporting again under the same name needs --force.
        XCTAssertThrowsError(try DFLModelFolder.export(model: model, state: state, losses: losses, to: dir + "/dfl", name: "bw", force: false)) {
            XCTAssertTrue("\($0)".contains("--force"), "\($0)")
        }
        XCTAssertNoThrow(try DFLModelFolder.export(model: model, state: state, losses: losses, to: dir + "/dfl", name: "bw", force: true))
    }

    /// Other archis, resolutions and RMSprop: weights, `acc_` slots and the iteration survive export → import,
    /// and a second export is byte-identical.
    func testOtherArchisAndRMSpropRoundTrip() throws {
        for (config, optimizer) in [("df-udt-96-16-8-8-4", Optimizer.Kind.rmsprop), ("liae-d-64-16-8-8-4", .adabelief), ("df-32-8-8-8-2", .rmsprop)] {
            let dir = temporaryDirectory(self)
            var o = tinyOptions(channels: 3, config: config, batch: 2)
            o.optimizer = optimizer
            o.lrDropout = true
            o.randomSrcFlip = true
            let model = try makeModel(o)
            let batch = TrainingBatch(batch: 2, resolution: model.config.resolution, channels: 3)
            batch.fillRandom(seed: 3)
            model.trainStep(batch)
            let state = ModelState(iteration: 1, trainingSeconds: 0, options: o)
            let losses = [LossRecord(iteration: 1, src: 0.75, dst: 0.5, seconds: 0)]
            try DFLModelFolder.export(model: model, state: state, losses: losses, to: dir + "/a", name: "x", force: false)
            let opt = try DFLFixture.pickle(dir + "/a/x_SAEHD_src_dst_opt.npy")
            let slot = optimizer == .rmsprop ? "acc" : "ms"
            XCTAssertNotNil(opt[DFLFiles.slotKey(slot, parameter: "encoder." + (config.contains("t") ? "down1" : "down1.downs_0") + ".conv1.weight")], config)
            XCTAssertEqual(opt["vs_encoder/down1/downs_0/conv1/weight_0:0"] != nil, optimizer == .adabelief, config)
            let back = try ModelStore.open(dir + "/a", includeOptimizer: true)
            XCTAssertEqual(back.state.options.config, config)
            XCTAssertEqual(back.state.options.optimizer, optimizer)
            XCTAssertTrue(back.state.options.lrDropout && back.state.options.randomSrcFlip)
            XCTAssertEqual(back.model.optimizer.iterations, 1)
            XCTAssertEqual(back.model.parameters.map(\.name), model.parameters.map(\.name), config)
            XCTAssertEqual(back.model.optimizer.slots.map(\.count), model.optimizer.slots.map(\.count), config)
            for (i, p) in model.parameters.enumerated() where i < back.model.parameters.count {
                XCTAssertEqual(p.value.array, back.model.parameters[i].value.array, p.name)
                for j in model.optimizer.slots[i].indices {
                    XCTAssertEqual(model.optimizer.slots[i][j].array, back.model.optimizer.slots[i][j].array, p.name)
                }
            }
            try DFLModelFolder.export(model: back.model, state: back.state, losses: back.losses, to: dir + "/b", name: "x", force: false)
            for f in try FileManager.default.contentsOfDirectory(atPath: dir + "/a") {
                XCTAssertEqual(FileManager.default.contents(atPath: dir + "/a/" + f), FileManager.default.contents(atPath: dir + "/b/" + f), f)
            }
        }
    }

    func testFloat16WeightsAreWidened() throws {
        let dir = temporaryDirectory(self)
        let folder = try DFLFixture.copy("df-ud-64", to: dir)
        let path = folder + "/new_SAEHD_decoder_src.npy"
        guard case let .dict(pairs) = try DFLFixture.pickle(path) else { return XCTFail() }
        var halves: [String: [Float]] = [:]
        let converted: [PicklePair] = try pairs.map { p in
            guard case let .ndarray(a) = p.value else { return p }
            let values = try a.floats()
            var bytes: [UInt8] = []
            for v in values { let h = Float16(v).bitPattern; bytes += [UInt8(h & 0xFF), UInt8(h >> 8)] }
            halves[p.key.stringValue!] = values.map { Float(Float16($0)) }
            return PicklePair(p.key, .ndarray(try NDArray(typeString: "f2", byteOrder: "<", shape: a.shape, data: bytes)))
        }
        try DFLFixture.writePickle(.dict(converted), to: path)
        let model = try ModelStore.open(folder, includeOptimizer: false).model
        // The image heads were turned from DFL's BGR to RGB on opening; compare them in DFL's order.
        let axes = Dictionary(uniqueKeysWithValues: model.imageChannelAxes.map { ($0.parameter.name, $0.axis) })
        XCTAssertEqual(axes.keys.filter { $0.hasPrefix("decoder_src.") }.count, 8, "out_conv, out_conv1..3: weight and bias")
        var checked = 0
        for p in model.parameters where p.name.hasPrefix("decoder_src.") {
            let dflOrder = Tensor(shape: p.value.shape, values: p.value.array)
            if let axis = axes[p.name] { dflOrder.reverse(axis: axis) }
            XCTAssertEqual(dflOrder.array, halves[SAEHDModel.dflKey(for: p.name).key], p.name)
            checked += 1
        }
        XCTAssertEqual(checked, pairs.count)
    }

    // MARK: Bad input

    /// Importing `folder` fails with an error naming `file` (and containing `reason`), writing nothing.
    func assertImportFails(_ folder: String, naming file: String, _ reason: String, name: String? = nil,
                           line: UInt = #line) {
        let target = temporaryDirectory(self) + "/m"
        XCTAssertThrowsError(try ModelStore.importDFL(from: folder, name: name, into: target), line: line) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains(file), "\(text) does not name \(file)", line: line)
            XCTAssertTrue(text.contains(reason), "\(text) does not say \(reason)", line: line)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: target), "something was written", line: line)
    }

    func testBadFoldersGiveClearErrorsAndWriteNothing() throws {
        let dir = temporaryDirectory(self)
        func fresh(_ tag: String) throws -> String {
            let d = dir + "/" + tag
            try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
            return try DFLFixture.copy("df-ud-64", to: d)
        }
        var f = try fresh("missing")
        try FileManager.default.removeItem(atPath: f + "/new_SAEHD_inter.npy")
        assertImportFails(f, naming: "new_SAEHD_inter.npy", "missing")

        f = try fresh("truncated")
        let enc = try XCTUnwrap(FileManager.default.contents(atPath: f + "/new_SAEHD_encoder.npy"))
        try enc.prefix(enc.count / 2).write(to: URL(fileURLWithPath: f + "/new_SAEHD_encoder.npy"))
        assertImportFails(f, naming: "new_SAEHD_encoder.npy", "pickle")

        f = try fresh("garbage")
        try Data((0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 7919 &+ 13) }).write(to: URL(fileURLWithPath: f + "/new_SAEHD_decoder_dst.npy"))
        assertImportFails(f, naming: "new_SAEHD_decoder_dst.npy", "pickle")

        // {'down1/downs_0/conv1/weight:0': os.system('echo hi')}
        f = try fresh("global")
        var evil: [UInt8] = [0x80, 0x04, 0x7D, 0x28]
        for s in ["down1/downs_0/conv1/weight:0", "os", "system"] { evil += [0x8C, UInt8(s.utf8.count)] + Array(s.utf8) }
        evil += [0x93, 0x8C, 7] + Array("echo hi".utf8) + [0x85, 0x52, 0x75, 0x2E]
        try Data(evil).write(to: URL(fileURLWithPath: f + "/new_SAEHD_encoder.npy"))
        assertImportFails(f, naming: "new_SAEHD_encoder.npy", "os.system")

        f = try fresh("shape")
        guard case var .dict(pairs) = try DFLFixture.pickle(f + "/new_SAEHD_inter.npy"), case let .ndarray(a) = pairs[0].value else { return XCTFail() }
        var flat = a
        flat.shape = [a.count]
        pairs[0].value = .ndarray(flat)
        try DFLFixture.writePickle(.dict(pairs), to: f + "/new_SAEHD_inter.npy")
        assertImportFails(f, naming: "new_SAEHD_inter.npy", "shape")

        for (key, value, reason) in [("archi", PickleValue.string("df-udc"), "c option"), ("ct_mode", .string("fancy"), "ct-mode"),
                                     ("gan_power", .float(9), "GAN power"), ("face_type", .string("xx"), "face type"),
                                     ("resolution", .int(100), "resolution")] {
            f = try fresh("option-" + key)
            guard case var .dict(data) = try DFLFixture.pickle(f + "/new_SAEHD_data.dat"), case var .dict(options) = data[1].value else { return XCTFail() }
            let i = try XCTUnwrap(options.firstIndex { $0.key == .string(key) })
            options[i].value = value
            data[1].value = .dict(options)
            try DFLFixture.writePickle(.dict(data), to: f + "/new_SAEHD_data.dat")
            assertImportFails(f, naming: "new_SAEHD_data.dat", reason)
        }

        let empty = dir + "/empty"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        assertImportFails(empty, naming: empty, "no DeepFaceLab model")
    }

    /// A DFL model with GAN power on opens with its GAN discriminator (fresh: the fixture has no GAN.npy, as
    /// DFL itself starts one), exports it under DFL's file and scope names, and reads them back bit for bit.
    func testGANPowerModelsOpenAndExportTheirDiscriminators() throws {
        let dir = temporaryDirectory(self)
        let f = try DFLFixture.copy("df-ud-64", to: dir)
        guard case var .dict(data) = try DFLFixture.pickle(f + "/new_SAEHD_data.dat"), case var .dict(options) = data[1].value else { return XCTFail() }
        options[try XCTUnwrap(options.firstIndex { $0.key == .string("gan_power") })].value = .float(0.1)
        options[try XCTUnwrap(options.firstIndex { $0.key == .string("true_face_power") })].value = .float(0.01)
        data[1].value = .dict(options)
        try DFLFixture.writePickle(.dict(data), to: f + "/new_SAEHD_data.dat")
        let opened = try ModelStore.open(f, includeOptimizer: true)
        XCTAssertEqual(opened.state.options.ganPower, 0.1)
        XCTAssertEqual(opened.model.discriminators.map(\.network), ["GAN", "code_discriminator"])
        XCTAssertEqual(Set(opened.model.freshDiscriminators), ["GAN", "code_discriminator"])
        // Train the discriminators one step so that their weights and slots are not the initial ones.
        let batch = TrainingBatch(batch: 2, resolution: 64, channels: 3)
        batch.fillRandom(seed: 1)
        opened.model.trainStep(batch)
        let written = try DFLModelFolder.export(model: opened.model, state: opened.state, losses: [], to: dir + "/out", name: "g", force: false)
        for suffix in ["GAN.npy", "GAN_opt.npy", "code_discriminator.npy", "D_code_opt.npy"] {
            XCTAssertTrue(written.contains(dir + "/out/g_SAEHD_" + suffix), suffix)
        }
        // Every discriminator weight under its DFL key, in order, and nothing else; the optimizer file holds
        // `iters:0`, then every weight's `ms_` slot, then every `vs_` slot, keyed by the network's TF scope
        // (docs/dfl-model-folder.md §7): D_src for GAN, dis for the code discriminator. The names are
        // spelled out here from the doc's rule, not through DFLFiles.
        let discriminators = opened.model.discriminators
        XCTAssertEqual(discriminators.count, 2)
        let names: [(weights: String, optimizer: String, scope: String)] = [("GAN", "GAN_opt", "D_src"), ("code_discriminator", "D_code_opt", "dis")]
        for (d, name) in zip(discriminators, names) {
            let (weightsFile, optFile, scope) = name
            XCTAssertEqual(d.network, weightsFile)
            XCTAssertEqual(d.optimizer.kind, Optimizer.Kind.adabelief)
            XCTAssertFalse(d.parameters.isEmpty)
            guard case let .dict(weights) = try DFLFixture.pickle(dir + "/out/g_SAEHD_\(weightsFile).npy"),
                  case let .dict(slots) = try DFLFixture.pickle(dir + "/out/g_SAEHD_\(optFile).npy") else { return XCTFail(weightsFile) }
            let paths = d.parameters.map { p -> String in
                XCTAssertTrue(p.name.hasPrefix(weightsFile + "."), p.name)
                return p.name.dropFirst(weightsFile.count + 1).replacingOccurrences(of: ".", with: "/")
            }
            let weightKeys: [String] = weights.compactMap { $0.key.stringValue }
            let slotKeys: [String] = slots.compactMap { $0.key.stringValue }
            let firstSlots: [String] = paths.map { "ms_" + scope + "/" + $0 + "_0:0" }
            let secondSlots: [String] = paths.map { "vs_" + scope + "/" + $0 + "_0:0" }
            XCTAssertEqual(weightKeys, paths.map { $0 + ":0" }, "\(weightsFile) keys")
            XCTAssertEqual(slotKeys, ["iters:0"] + firstSlots + secondSlots, "\(optFile) keys")
            XCTAssertEqual(weights.count, d.parameters.count)
            XCTAssertEqual(slots.count, 1 + 2 * d.parameters.count)
            // Values: ours, in DFL's channel order — the GAN's input convolution reads BGR images in DFL, so its
            // kernel (HWIO) and its slots have the input-channel axis reversed (docs/dfl-model-folder.md, "Channel order").
            func dflOrder(_ t: Tensor, _ name: String) -> [Float] {
                guard name == "GAN.in_conv.weight" else { return t.array }
                let (kh, kw, ci, co) = (t.shape[0], t.shape[1], t.shape[2], t.shape[3])
                var out = t.array
                for y in 0..<kh { for x in 0..<kw { for i in 0..<ci { for o in 0..<co {
                    out[((y * kw + x) * ci + i) * co + o] = t.data[((y * kw + x) * ci + (ci - 1 - i)) * co + o]
                } } } }
                return out
            }
            for (i, p) in d.parameters.enumerated() where i < weights.count {
                guard case let .ndarray(a) = weights[i].value else { XCTFail("\(p.name): not an array"); continue }
                XCTAssertEqual(a.shape, p.value.shape, p.name)
                XCTAssertEqual(try a.floats(), dflOrder(p.value, p.name), p.name)
                for j in 0..<2 {
                    let k = 1 + j * d.parameters.count + i
                    guard k < slots.count, case let .ndarray(s) = slots[k].value else { XCTFail("\(p.name) slot"); continue }
                    XCTAssertEqual(try s.floats(), dflOrder(d.optimizer.slots[i][j], p.name), "\(p.name) slot \(j)")
                }
            }
            if case let .ndarray(iters)? = slots.first?.value { XCTAssertEqual(try iters.ints(), [1], "\(optFile) iters") } else { XCTFail("\(optFile) iters") }
        }
        let back = try ModelStore.open(dir + "/out", includeOptimizer: true)
        XCTAssertTrue(back.model.freshDiscriminators.isEmpty)
        XCTAssertEqual(back.state.options.ganPower, 0.1)
        XCTAssertEqual(back.model.discriminators.map(\.network), ["GAN", "code_discriminator"])
        XCTAssertEqual(back.model.discriminators.count, opened.model.discriminators.count)
        for (a, b) in zip(opened.model.discriminators, back.model.discriminators) {
            XCTAssertEqual(a.optimizer.iterations, 1)
            XCTAssertEqual(b.optimizer.iterations, 1)
            XCTAssertEqual(a.parameters.map(\.name), b.parameters.map(\.name))
            for (p, q) in zip(a.parameters, b.parameters) { XCTAssertEqual(p.value.array, q.value.array, p.name) }
            XCTAssertEqual(a.optimizer.slots.map(\.count), b.optimizer.slots.map(\.count))
            for (s, t) in zip(a.optimizer.slots, b.optimizer.slots) { for (x, y) in zip(s, t) { XCTAssertEqual(x.array, y.array) } }
        }
    }

    func testSeveralModelsNeedAName() throws {
        let dir = temporaryDirectory(self)
        let f = try DFLFixture.copy("df-ud-64", to: dir)
        for file in try FileManager.default.contentsOfDirectory(atPath: f) where file.hasPrefix("new_") {
            try FileManager.default.copyItem(atPath: f + "/" + file, toPath: f + "/" + file.replacingOccurrences(of: "new_", with: "other_"))
        }
        XCTAssertThrowsError(try ModelStore.importDFL(from: f, name: nil, into: dir + "/m")) { error in
            XCTAssertTrue("\(error)".contains("new (SAEHD), other (SAEHD)"), "\(error)")
        }
        XCTAssertEqual(try ModelStore.importDFL(from: f, name: "other", into: dir + "/m").iteration, 20)
        // A model directory that already holds a model is not imported into.
        XCTAssertThrowsError(try ModelStore.importDFL(from: f, name: "new", into: dir + "/m"))
    }

    // MARK: What DFL would not take back

    /// `--dfl-name` with a '_' (DFL would list the model by the part before it) and a model at iteration 0
    /// (DFL would take it for a new model) are refused through the tool, and nothing is written.
    func testExportRefusesNamesAndModelsDFLWouldNotTakeBack() throws {
        let dir = temporaryDirectory(self)
        let model = dir + "/m"
        var r = try runTrainer(["--model", model, "--import-dfl", DFLFixture.root + "/df-ud-64", "--quiet"], in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try runTrainer(["--model", model, "--export-dfl", dir + "/out", "--dfl-name", "my_model", "--quiet"], in: dir)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("'_'") && r.stderr.contains("'my'"), r.stderr)
        XCTAssertEqual((try? FileManager.default.contentsOfDirectory(atPath: dir + "/out")) ?? [], [])
        r = try runTrainer(["--model", model, "--export-dfl", dir + "/out", "--dfl-name", "my-model", "--quiet"], in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/out/my-model_SAEHD_data.dat"))

        let opened = try ModelStore.open(model, includeOptimizer: true)
        var fresh = opened.state
        fresh.iteration = 0
        XCTAssertThrowsError(try DFLModelFolder.export(model: opened.model, state: fresh, losses: [], to: dir + "/zero",
                                                       name: "new", force: false)) { error in
            XCTAssertTrue("\(error)".contains("iteration 0"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/zero"))
    }

    /// DFL's own `lr_dropout` value comes back as it was ('cpu' is on, run on the CPU by DFL), and follows
    /// the option when it is changed.
    func testLRDropoutKeepsDFLsValue() throws {
        let dir = temporaryDirectory(self)
        let folder = try DFLFixture.copy("df-ud-64", to: dir)
        let dataPath = folder + "/new_SAEHD_data.dat"
        guard case var .dict(root) = try DFLFixture.pickle(dataPath),
              let i = root.firstIndex(where: { $0.key == .string("options") }), case var .dict(options) = root[i].value,
              let j = options.firstIndex(where: { $0.key == .string("lr_dropout") }) else { return XCTFail("fixture layout") }
        options[j] = PicklePair(.string("lr_dropout"), .string("cpu"))
        root[i] = PicklePair(.string("options"), .dict(options))
        try DFLFixture.writePickle(.dict(root), to: dataPath)

        let model = dir + "/m"
        try ModelStore.importDFL(from: folder, name: nil, into: model)
        var opened = try ModelStore.open(model, includeOptimizer: true)
        XCTAssertTrue(opened.state.options.lrDropout)
        try DFLModelFolder.export(model: opened.model, state: opened.state, losses: opened.losses, to: dir + "/back",
                                  name: "new", force: false)
        XCTAssertEqual(try DFLFixture.pickle(dir + "/back/new_SAEHD_data.dat")["options"]?["lr_dropout"], .string("cpu"))
        // Turned off here, it is written as DFL's 'n'.
        var state = opened.state
        state.options.lrDropout = false
        opened = OpenedModel(location: opened.location, model: opened.model, state: state, losses: opened.losses)
        try DFLModelFolder.export(model: opened.model, state: opened.state, losses: opened.losses, to: dir + "/off",
                                  name: "new", force: false)
        XCTAssertEqual(try DFLFixture.pickle(dir + "/off/new_SAEHD_data.dat")["options"]?["lr_dropout"], .string("n"))
    }

    // MARK: dfl-info --model

    func info(_ arguments: [String]) throws -> (status: Int32, json: [String: Any]?, stderr: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: trainerExecutable).deletingLastPathComponent().appendingPathComponent("dfl-info")
        p.arguments = arguments
        let out = Pipe(), err = Pipe()
        p.standardOutput = out; p.standardError = err
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile(), errData = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, try? JSONSerialization.jsonObject(with: data) as? [String: Any], String(decoding: errData, as: UTF8.self))
    }

    func testInfoDescribesDFLFoldersAndOurModelsAlike() throws {
        let dir = temporaryDirectory(self)
        let source = DFLFixture.root + "/liae-udt-64"
        let theirs = try info(["--model", source])
        XCTAssertEqual(theirs.status, 0, theirs.stderr)
        let t = try XCTUnwrap(theirs.json)
        XCTAssertEqual(t["format"] as? String, "deepfacelab")
        XCTAssertEqual(t["name"] as? String, "new")
        XCTAssertEqual(t["class"] as? String, "SAEHD")
        XCTAssertEqual(t["config"] as? String, "liae-udt-64-16-8-8-4")
        XCTAssertEqual(t["iteration"] as? Int, 20)
        XCTAssertEqual(t["loss_rows"] as? Int, 20)
        XCTAssertEqual((t["dfl_options"] as? [String: Any])?["archi"] as? String, "liae-udt")
        try ModelStore.importDFL(from: source, name: nil, into: dir + "/m")
        let ours = try info(["--model", dir + "/m"])
        XCTAssertEqual(ours.status, 0, ours.stderr)
        let o = try XCTUnwrap(ours.json)
        XCTAssertEqual(o["format"] as? String, "dfl-train")
        for key in ["class", "config", "channels", "face_type", "iteration", "loss_rows"] {
            XCTAssertEqual("\(o[key]!)", "\(t[key]!)", key)
        }
        XCTAssertEqual(o["dfl_options"] as? NSDictionary, t["dfl_options"] as? NSDictionary)
        let none = try info(["--model", dir])
        XCTAssertEqual(none.status, 1)
        XCTAssertTrue(none.stderr.hasPrefix("dfl-info: " + dir), none.stderr)
    }

    // MARK: Training on

    /// An imported model trains on with our engine: it resumes at DFL's iteration, from DFL's weights and
    /// optimizer state, and its losses fall. Falling losses alone would not show that the state came across
    /// (fresh weights' losses fall too; on these faces faster, in fact: DFL's 20 steps on three other faces
    /// start at 9.2 where fresh weights start at 8.5, and fresh AdaBelief slots take large first steps). So
    /// the first two rows the trainer logs must be what DFL's own folder, opened directly, gives on the
    /// same two batches: iteration 21's loss is DFL's weights' (before any update), iteration 22's is after one
    /// step from DFL's weights and optimizer slots.
    func testImportedModelTrainsOnAndResumes() throws {
        let dir = temporaryDirectory(self)
        let model = dir + "/m"
        var r = try runTrainer(["--model", model, "--import-dfl", DFLFixture.root + "/df-ud-64", "--quiet"], in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, model + "\n")
        let args = ["--model", model, "--src", Fixture.folder("src", "train"), "--dst", Fixture.folder("dst", "train"),
                    "--batch-size", "4", "--preview-every", "0", "--quiet"]
        r = try runTrainer(args + ["--iterations", "100"], in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        let state = try ModelDirectory(model).loadState()
        XCTAssertEqual(state.iteration, 120)
        XCTAssertEqual(state.options.config, "df-ud-64-16-8-8-4")
        let rows = LossLog.read(path: model + "/loss.csv", upTo: 1000)
        XCTAssertEqual(rows.map(\.iteration), Array(1...120))
        let first = rows[20..<30].map { $0.src + $0.dst }.reduce(0, +), last = rows[110..<120].map { $0.src + $0.dst }.reduce(0, +)
        XCTAssertLessThan(last, first * 0.9, "losses did not fall: \(first / 10) → \(last / 10)")

        // DFL's state on the trainer's batches 21 and 22 (the sample generator of the saved options, past the
        // 20 batches DFL's iterations stand for, as a resumed session draws them).
        let options = state.options
        XCTAssertEqual(options.batchSize, 4)
        let producer = BatchProducer(generator: try TrainingSession.generator(options, try Fixture.store("src", "train", options: options),
                                                                             try Fixture.store("dst", "train", options: options)),
                                     skip: 20)
        defer { producer.stop() }
        let dfl = try ModelStore.open(DFLFixture.root + "/df-ud-64", includeOptimizer: true).model
        XCTAssertEqual(dfl.optimizer.iterations, 20)
        let batch = TrainingBatch(batch: 4, resolution: 64, channels: 3)
        for k in 0..<2 {
            let sample = try producer.next()
            sample.copyConcatenated(warped: batch.warped.buffer, target: batch.target.buffer,
                                    targetMask: batch.targetMask.buffer, targetEyesMouth: batch.targetEyesMouth.buffer)
            let losses = dfl.trainStep(batch)
            // loss.csv holds 6 decimals.
            XCTAssertEqual(rows[20 + k].src, losses.srcMean, accuracy: 1e-6, "iteration \(21 + k): src loss")
            XCTAssertEqual(rows[20 + k].dst, losses.dstMean, accuracy: 1e-6, "iteration \(21 + k): dst loss")
        }
        // Resumes like any model of ours, and goes back to DFL's format.
        r = try runTrainer(args + ["--iterations", "2"], in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try ModelDirectory(model).loadState().iteration, 122)
        r = try runTrainer(["--model", model, "--export-dfl", dir + "/dfl", "--quiet"], in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout.split(separator: "\n").count, 6)
        let data = try DFLFixture.pickle(dir + "/dfl/new_SAEHD_data.dat")
        XCTAssertEqual(data["iter"], .int(122))
        XCTAssertEqual(data["loss_history"]?.sequence?.count, 122)
        r = try runTrainer(["--model", model, "--export-dfl", dir + "/dfl", "--quiet"], in: dir)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("--force"), r.stderr)
    }
}
