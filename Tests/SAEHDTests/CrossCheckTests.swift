import XCTest
import NeuralNet
@testable import SAEHD

/// One training step against the independent PyTorch (float64) reference written by
/// tools/fixtures/neuralnet/make_crosscheck.py: same initial weights and batch; outputs, per-sample losses,
/// every parameter gradient and the AdaBelief update must agree.
final class CrossCheckTests: XCTestCase {
    func fixture(_ name: String) throws -> [String: SafeTensors.Entry] {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/crosscheck-\(name)", withExtension: "safetensors"))
        return try SafeTensors.read(path: url.path).tensors
    }

    /// max |a − b| relative to max |b| (a tensor-level relative error, robust to tiny elements).
    func relativeError(_ a: [Float], _ b: [Float]) -> Double {
        var num = 0.0, den = 1e-30
        for i in a.indices { num = max(num, Double(abs(a[i] - b[i]))); den = max(den, Double(abs(b[i]))) }
        return num / den
    }

    func check(_ fixtureName: String, config: String, channels: Int,
               options: LossOptions = LossOptions(maskedTraining: true, eyesMouthPriority: true),
               file: StaticString = #filePath, line: UInt = #line) throws {
        let f = try fixture(fixtureName)
        let model = SAEHDModel(config: try ModelConfig(config, channels: channels), lossOptions: options)
        XCTAssertEqual(model.parameters.count, f.keys.filter { $0.hasPrefix("param.") }.count, file: file, line: line)
        for p in model.parameters {
            let e = try XCTUnwrap(f["param." + p.name], p.name, file: file, line: line)
            XCTAssertEqual(e.shape, p.value.shape, p.name, file: file, line: line)
            for i in 0..<p.value.count { p.value.data[i] = e.values[i] }
        }
        let warped = try XCTUnwrap(f["batch.warped"])
        let batch = TrainingBatch(batch: warped.shape[0] / 2, resolution: warped.shape[1], channels: channels)
        for (t, key) in [(batch.warped, "warped"), (batch.target, "target"), (batch.targetMask, "target_mask"),
                         (batch.targetEyesMouth, "target_em")] {
            let e = try XCTUnwrap(f["batch." + key])
            XCTAssertEqual(e.shape, t.shape)
            for i in 0..<t.count { t.data[i] = e.values[i] }
        }
        let losses = model.computeGradients(batch)
        XCTAssertLessThan(relativeError(model.predictedImage!.array, f["out.image"]!.values), 1e-4, "image", file: file, line: line)
        XCTAssertLessThan(relativeError(model.predictedMask!.array, f["out.mask"]!.values), 1e-4, "mask", file: file, line: line)
        for (got, key) in [(losses.src, "loss.src"), (losses.dst, "loss.dst")] {
            for (a, b) in zip(got, f[key]!.values) { XCTAssertEqual(a, Double(b), accuracy: 1e-4 * abs(Double(b)), key, file: file, line: line) }
        }
        for p in model.parameters {
            let want = f["grad." + p.name]!.values
            XCTAssertLessThan(relativeError(p.grad.array, want), 1e-4, "grad \(p.name)", file: file, line: line)
        }
        // AdaBelief's first step is ≈ 3.5·lr·sign(g) (1.75e-4): elements whose gradient is near the 1e-6
        // epsilon are ill-conditioned, so the updated weights are compared in absolute terms (< 1 % of a step).
        model.optimizer.step()
        for p in model.parameters {
            let want = f["updated." + p.name]!.values
            let worst = zip(p.value.array, want).map { abs(Double($0) - Double($1)) }.max() ?? 0
            XCTAssertLessThan(worst, 1e-6, "updated \(p.name)", file: file, line: line)
        }
    }

    func testDFUDMatchesReference() throws { try check("df-ud-64-8-2-2-2-c3", config: "df-ud-64-8-2-2-2", channels: 3) }
    func testLIAEUDMatchesReference() throws { try check("liae-ud-64-8-2-2-2-c1", config: "liae-ud-64-8-2-2-2", channels: 1) }
    func testDFUDTMatchesReference() throws { try check("df-udt-64-8-2-2-2-c1", config: "df-udt-64-8-2-2-2", channels: 1) }

    // blur_out_mask and the style powers against tools/fixtures/neuralnet/make_style_crosscheck.py.
    func styleOptions(blurOut: Bool, face: Float, background: Float) -> LossOptions {
        LossOptions(maskedTraining: true, eyesMouthPriority: true, blurOutMask: blurOut, faceStylePower: face,
                    backgroundStylePower: background)
    }
    func testDFStylesAndBlurOutMatchReference() throws {
        try check("style-df-ud-64-8-2-2-2-c3", config: "df-ud-64-8-2-2-2", channels: 3,
                  options: styleOptions(blurOut: true, face: 30, background: 40))
    }
    func testLIAEStylesAndBlurOutMatchReference() throws {
        try check("style-liae-ud-64-8-2-2-2-c1", config: "liae-ud-64-8-2-2-2", channels: 1,
                  options: styleOptions(blurOut: true, face: 30, background: 40))
    }
    func testLIAEFaceStyleAloneMatchesReference() throws {
        try check("style-liae-ud-64-8-2-2-2-c3", config: "liae-ud-64-8-2-2-2", channels: 3,
                  options: styleOptions(blurOut: false, face: 50, background: 0))
    }
}
