import AtomicIO
import FaceSet
import Foundation
import Imaging
import NeuralNet
import XCTest
@testable import XSeg

/// Our XSeg network on DFL's own model folders against DFL's own forward pass (Fixtures/README.md,
/// docs/xseg.md): from the face image files to the masks.
final class XSegFixtureTests: XCTestCase {
    /// Face files → input (Lanczos-4 on floats, clipped) → logits, sigmoid, pretrain sigmoid, extract.
    func checkForward(_ resolution: Int, baseChannels: Int, inputTolerance: Float, logitTolerance: Float,
                      maskTolerance: Float, file: StaticString = #filePath, line: UInt = #line) throws {
        let model = try XSegModelFolder.read(Fixture.folder(resolution))
        let net = model.network
        XCTAssertEqual(net.resolution, resolution, file: file, line: line)
        XCTAssertEqual(net.baseChannels, baseChannels, file: file, line: line)
        let ref = try Fixture.reference(resolution)
        let x = try net.inputTensor(try Fixture.faceImages())
        let inputDiff = maxAbsDifference(channelsReversed(x.array, channels: 3), ref["input"]!.values)
        XCTAssertLessThanOrEqual(inputDiff, inputTolerance, "input", file: file, line: line)

        let logits = net.forward(x)
        let logitDiff = maxAbsDifference(logits.array, ref["logits"]!.values)
        let maskDiff = maxAbsDifference(XSegNetwork.mask(logits).array, ref["pred"]!.values)
        let extractDiff = maxAbsDifference(XSegNetwork.extract(logits).array, ref["extract"]!.values)
        net.pretrain = true
        let pretrainDiff = maxAbsDifference(XSegNetwork.mask(net.forward(x)).array, ref["pred_pretrain"]!.values)
        net.pretrain = false
        print("xseg-\(resolution): max |diff| input \(inputDiff) logits \(logitDiff) pred \(maskDiff) "
              + "pred_pretrain \(pretrainDiff) extract \(extractDiff)")
        XCTAssertLessThanOrEqual(logitDiff, logitTolerance, "logits", file: file, line: line)
        XCTAssertLessThanOrEqual(maskDiff, maskTolerance, "pred", file: file, line: line)
        XCTAssertLessThanOrEqual(pretrainDiff, maskTolerance, "pred_pretrain", file: file, line: line)
        XCTAssertLessThanOrEqual(extractDiff, maskTolerance, "extract", file: file, line: line)
    }

    func testForward64MatchesDFL() throws {
        try checkForward(64, baseChannels: 4, inputTolerance: 1e-6, logitTolerance: 1e-4, maskTolerance: 5e-5)
    }

    func testForward128MatchesDFL() throws {
        try checkForward(128, baseChannels: 8, inputTolerance: 1e-6, logitTolerance: 1e-4, maskTolerance: 5e-5)
    }

    /// DFL's layer list: our parameters, in order, are the weight file's keys with their shapes, and the
    /// parameter count follows the formula of docs/xseg.md (DFL's 17,569,317 at 256 px, base 32).
    func testParametersAreDFLsKeysInOrder() throws {
        for resolution in [64, 128] {
            let path = Fixture.folder(resolution) + "/XSeg_\(resolution).npy"
            guard case let .dict(pairs) = try PickleReader.read(try FileBytes.read(path)) else { return XCTFail("not a dict") }
            let net = try XSegModelFolder.read(Fixture.folder(resolution)).network
            XCTAssertEqual(net.parameters.map { XSegNetwork.dflKey($0.name) }, pairs.map { $0.key.stringValue ?? "?" })
            for (p, pair) in zip(net.parameters, pairs) {
                guard case let .ndarray(a) = pair.value else { return XCTFail("\(pair.key) is not an array") }
                XCTAssertEqual(p.value.shape, a.shape, p.name)
            }
            XCTAssertEqual(net.parameters.count, 222)
        }
        func count(_ r: Int, _ b: Int) -> Int {
            XSegNetwork(resolution: r, baseChannels: b).parameters.reduce(0) { $0 + $1.value.count }
        }
        XCTAssertEqual(count(64, 4), 245_061)
        XCTAssertEqual(count(256, 4), 737_061)
        XCTAssertEqual(count(256, 32), 17_569_317)
    }

    /// Every layer's output of xseg-64-b4 against DFL's (`act/<name>`), on DFL's own input.
    func testEveryLayerMatchesDFL() throws {
        let model = try XSegModelFolder.read(Fixture.folder(64))
        let net = model.network
        let ref = try Fixture.reference(64)
        let input = ref["input"]!
        let x = Tensor(shape: input.shape, values: channelsReversed(input.values, channels: 3))
        _ = net.forward(x)
        XCTAssertEqual(net.trace.count, 45)
        var report: [String] = []
        for (name, t) in net.trace {
            guard let want = ref["act/" + name] else { XCTFail("no act/\(name) in the reference"); continue }
            XCTAssertEqual(t.shape, want.shape, name)
            guard t.shape == want.shape else { continue }
            let scale = want.values.reduce(0) { max($0, abs($1)) }
            let d = maxAbsDifference(t.array, want.values)
            report.append("\(name) \(d)/\(scale)")
            XCTAssertLessThanOrEqual(d, 1e-5 * max(1, scale), name)
        }
        print("xseg-64 per layer max |diff| / max |value|: " + report.joined(separator: ", "))
    }
}
