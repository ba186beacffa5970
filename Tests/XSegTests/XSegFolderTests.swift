import AtomicIO
import FaceSet
import Foundation
import NeuralNet
import XCTest
@testable import XSeg

/// DFL's XSeg model folder (docs/xseg.md, "Model folder"): import → export against DFL's own files, the
/// channel order at the boundary, and what is refused.
final class XSegFolderTests: XCTestCase {
    static func pickle(_ path: String) throws -> PickleValue { try PickleReader.read(try FileBytes.read(path)) }

    static func copyFolder(_ source: String, to dir: String) throws -> String {
        let target = dir + "/model"
        try FileManager.default.copyItem(atPath: source, toPath: target)
        for name in try FileManager.default.contentsOfDirectory(atPath: target) {
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: target + "/" + name)
        }
        return target
    }

    /// Export of an imported DFL folder: every file DFL's loader reads has DFL's keys in DFL's order with
    /// bit-identical arrays, data.dat and the default options are the same Python values, the summary is
    /// DFL's text; a second import → export gives the same bytes.
    func testRoundTripKeepsDFLsFiles() throws {
        for res in [64, 128] {
            let dfl = Fixture.folder(res), dir = Fixture.temporaryDirectory(self)
            let first = dir + "/first", second = dir + "/second"
            let files = try XSegModelFolder.write(try XSegModelFolder.read(dfl), to: first)
            XCTAssertEqual(files.map { ($0 as NSString).lastPathComponent },
                           ["XSeg_summary.txt", "XSeg_\(res)_opt.npy", "XSeg_\(res).npy", "XSeg_data.dat", "XSeg_default_options.dat"])
            for name in ["XSeg_\(res).npy", "XSeg_\(res)_opt.npy"] {
                guard case let .dict(want) = try Self.pickle(dfl + "/" + name), case let .dict(got) = try Self.pickle(first + "/" + name) else {
                    return XCTFail("\(name): not a dict")
                }
                XCTAssertEqual(got.map(\.key), want.map(\.key), name)
                for (g, w) in zip(got, want) {
                    switch (g.value, w.value) {
                    case let (.ndarray(a), .ndarray(b)):
                        XCTAssertEqual([a.typeString, a.shape.description], [b.typeString, b.shape.description], "\(name) \(g.key)")
                        XCTAssertTrue(a.data == b.data, "\(name) \(g.key): values differ")
                    case let (.ndarray(a), .int(i)):
                        // iters:0 — DFL pickles a numpy int64 scalar, we a 0-d int64 array (DFL reshapes both alike).
                        XCTAssertEqual(a.typeString, "i8")
                        XCTAssertEqual(try a.ints(), [i], "\(name) \(g.key)")
                    default: XCTFail("\(name) \(g.key): \(g.value) vs \(w.value)")
                    }
                }
            }
            for name in ["XSeg_data.dat", "XSeg_default_options.dat"] {
                XCTAssertEqual(try Self.pickle(first + "/" + name), try Self.pickle(dfl + "/" + name), name)
            }
            XCTAssertEqual(try String(contentsOfFile: first + "/XSeg_summary.txt", encoding: .utf8),
                           try String(contentsOfFile: dfl + "/XSeg_summary.txt", encoding: .utf8))
            try XSegModelFolder.write(try XSegModelFolder.read(first), to: second)
            for name in files.map({ ($0 as NSString).lastPathComponent }) {
                XCTAssertEqual(try FileBytes.read(second + "/" + name), try FileBytes.read(first + "/" + name), "\(name) is not byte-stable")
            }
        }
    }

    /// What import reads: DFL's state, optimizer step count and slots; the first convolution's input channels
    /// (and its slot) turned from BGR to RGB, every other tensor as stored.
    func testImportTurnsTheInputConvolutionToRGB() throws {
        let model = try XSegModelFolder.read(Fixture.folder(64))
        let state = try XCTUnwrap(model.state)
        XCTAssertEqual(state.iteration, 10)
        XCTAssertEqual([state.faceType, "\(state.pretrain)", "\(state.batchSize)"], ["wf", "false", "3"])
        XCTAssertEqual(state.lossHistory.count, 10)
        XCTAssertEqual(state.lossHistory.first!, 0.7011869549751282, accuracy: 0)
        XCTAssertEqual(model.optimizer.iterations, 10)
        guard case let .dict(weights) = try Self.pickle(Fixture.folder(64) + "/XSeg_64.npy"),
              case let .dict(slots) = try Self.pickle(Fixture.folder(64) + "/XSeg_64_opt.npy") else { return XCTFail() }
        func stored(_ pairs: [PicklePair], _ key: String) throws -> [Float] {
            guard case let .ndarray(a)? = PickleValue.dict(pairs)[key] else { throw XSegError("no \(key)") }
            return try a.floats()
        }
        for (i, p) in model.network.parameters.enumerated() {
            var want = try stored(weights, XSegNetwork.dflKey(p.name))
            var wantSlot = try stored(slots, XSegNetwork.dflSlotKey(p.name))
            if i == 0 {
                XCTAssertEqual(p.value.shape, [3, 3, 3, 4])
                // HWIO: reverse the I axis (3 channels of 4 outputs each).
                want = inputAxisReversed(want, shape: p.value.shape)
                wantSlot = inputAxisReversed(wantSlot, shape: p.value.shape)
            }
            XCTAssertEqual(p.value.array, want, p.name)
            XCTAssertEqual(model.optimizer.slots[i][0].array, wantSlot, p.name)
        }
        // FRN eps as stored (it drifted, and is negative here: the network uses |eps|).
        XCTAssertEqual(model.network.parameters[4].name, "XSeg.conv01.frn.eps")
        XCTAssertLessThan(model.network.parameters[4].value.data[0], 0)
    }

    /// A weight file may refer only to numpy's array globals: `os.system` (or any other global) is refused
    /// by name and never run, in any of the three pickles. Lengths past the end of the data are refused.
    func testHostilePicklesAreRefusedAndNothingRuns() throws {
        let dir = Fixture.temporaryDirectory(self)
        let marker = dir + "/ran"
        func str(_ s: String) -> [UInt8] {
            let u = Array(s.utf8)
            return [0x58] + withUnsafeBytes(of: UInt32(u.count).littleEndian, Array.init) + u
        }
        // {'conv01/conv/weight:0': os.system('touch <marker>')}
        let hostile: [UInt8] = [0x80, 0x02, 0x7D, 0x28] + str("conv01/conv/weight:0") + Array("cos\nsystem\n".utf8)
            + str("touch " + marker) + [0x85, 0x52, 0x75, 0x2E]
        // builtins.eval on a string, at the top level.
        let eval: [UInt8] = [0x80, 0x04] + Array("cbuiltins\neval\n".utf8) + str("open('\(marker)', 'w')") + [0x85, 0x52, 0x2E]
        // A string that claims 2^31 bytes.
        let overrun: [UInt8] = [0x80, 0x02, 0x58, 0x00, 0x00, 0x00, 0x80, 0x61, 0x62, 0x2E]
        for (file, bytes, expect) in [("XSeg_64.npy", hostile, "os.system"), ("XSeg_64_opt.npy", hostile, "os.system"),
                                      ("XSeg_data.dat", eval, "builtins.eval"), ("XSeg_64.npy", overrun, "runs past the end")] {
            let folder = try Self.copyFolder(Fixture.folder(64), to: dir + "/" + UUID().uuidString)
            try AtomicFile.write(bytes, to: folder + "/" + file)
            XCTAssertThrowsError(try XSegModelFolder.read(folder)) { error in
                let message = "\(error)"
                XCTAssertTrue(message.contains(file) && message.contains(expect), message)
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: marker), "the pickle's global ran")
        }
    }

    /// An SAEHD model folder is no XSeg folder; an SAEHD weight file under an XSeg name is no XSeg weight file;
    /// a pre-2021 XSeg layout, a wrong shape, a missing or an extra key are refused by name.
    func testOtherKindsOfFilesAreRefused() throws {
        let saehd = Fixture.root + "/saehd-liae-64"
        XCTAssertThrowsError(try XSegModelFolder.read(saehd)) { error in
            XCTAssertEqual("\(error)", "\(saehd): a DeepFaceLab SAEHD model folder (new_SAEHD_data.dat), not an XSeg model: it has no XSeg_<res>.npy")
        }
        let dir = Fixture.temporaryDirectory(self)
        XCTAssertThrowsError(try XSegModelFolder.read(dir)) { error in
            XCTAssertEqual("\(error)", "\(dir): no XSeg model (no XSeg_<res>.npy)")
        }
        let renamed = dir + "/renamed"
        try FileManager.default.createDirectory(atPath: renamed, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: saehd + "/new_SAEHD_encoder.npy", toPath: renamed + "/XSeg_64.npy")
        XCTAssertThrowsError(try XSegModelFolder.read(renamed)) { error in
            XCTAssertTrue("\(error)".hasSuffix("XSeg_64.npy: not an XSeg weight file (no conv01/conv/weight:0)"), "\(error)")
        }
        guard case let .dict(weights) = try Self.pickle(Fixture.folder(64) + "/XSeg_64.npy") else { return XCTFail() }
        func refuse(_ pairs: [PicklePair], _ expected: String, line: UInt = #line) throws {
            let folder = try Self.copyFolder(Fixture.folder(64), to: dir + "/" + UUID().uuidString)
            try AtomicFile.write(try PickleWriter.write(.dict(pairs)), to: folder + "/XSeg_64.npy")
            XCTAssertThrowsError(try XSegModelFolder.read(folder), line: line) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(error)", line: line)
            }
        }
        let old = weights.filter { !($0.key.stringValue ?? "").hasPrefix("dense") }
            + [PicklePair(.string("conv_center/conv/weight:0"), weights[0].value)]
        try refuse(old, "before DeepFaceLab's May 2021 change")
        var reshaped = weights
        reshaped[6].value = weights[0].value   // conv02's kernel (3,3,4,4) gets conv01's (3,3,3,4)
        try refuse(reshaped, "weight conv02/conv/weight:0 has shape [3, 3, 3, 4], the network needs [3, 3, 4, 4]")
        try refuse(weights.filter { $0.key != .string("uconv22/frn/eps:0") }, "weight uconv22/frn/eps:0 is missing")
        try refuse(weights + [PicklePair(.string("conv23/conv/weight:0"), weights[0].value)], "unexpected key conv23/conv/weight:0")
    }

    /// Without the optimizer file the slots start at zero (as DFL); without data.dat there is no state, and
    /// such a model is not written. An existing model is replaced only with `force`.
    func testPartialFoldersAndOverwriting() throws {
        let dir = Fixture.temporaryDirectory(self)
        let folder = try Self.copyFolder(Fixture.folder(64), to: dir + "/a")
        try FileManager.default.removeItem(atPath: folder + "/XSeg_64_opt.npy")
        try FileManager.default.removeItem(atPath: folder + "/XSeg_data.dat")
        let model = try XSegModelFolder.read(folder)
        XCTAssertNil(model.state)
        XCTAssertEqual(model.optimizer.iterations, 0)
        XCTAssertTrue(model.optimizer.slots.allSatisfy { $0[0].array.allSatisfy { $0 == 0 } })
        XCTAssertThrowsError(try XSegModelFolder.write(model, to: dir + "/b"))
        let full = try XSegModelFolder.read(Fixture.folder(64))
        XCTAssertThrowsError(try XSegModelFolder.write(full, to: folder)) { error in
            XCTAssertTrue("\(error)".contains("an XSeg model is already there"), "\(error)")
        }
        try XSegModelFolder.write(full, to: folder, force: true)
        XCTAssertEqual(try XSegModelFolder.read(folder).network.parameters.map(\.value.array),
                       full.network.parameters.map(\.value.array))
    }
}

/// An HWIO kernel's values with the input-channel axis reversed, written out index by index.
func inputAxisReversed(_ v: [Float], shape s: [Int]) -> [Float] {
    var out = v
    for tap in 0..<(s[0] * s[1]) {
        for i in 0..<s[2] { for o in 0..<s[3] { out[(tap * s[2] + i) * s[3] + o] = v[(tap * s[2] + s[2] - 1 - i) * s[3] + o] } }
    }
    return out
}
