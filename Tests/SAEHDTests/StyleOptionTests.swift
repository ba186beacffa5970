import TestSupport
import XCTest
import NeuralNet
@testable import SAEHD

/// blur_out_mask, face_style_power and bg_style_power (docs/saehd-model.md §3.2, §3.4). The whole step with them is checked
/// against PyTorch in CrossCheckTests; these tests check the pieces and the stop-gradient on their own.
final class StyleOptionTests: XCTestCase {
    func random(_ shape: [Int], seed: UInt64, binary: Bool = false) -> Tensor {
        var rng = SeededRNG(seed: seed)
        let t = Tensor(shape: shape)
        for i in 0..<t.count { let v = rng.nextUnitFloat(); t.data[i] = binary ? (v < 0.5 ? 0 : 1) : v }
        return t
    }

    /// The blur of docs/saehd-model.md §3.2 from its rule (TestSupport), for a tensor.
    func referenceBlur(_ t: Tensor, sigma: Double) -> [Double] {
        referenceGaussianBlur(t.array, shape: t.shape, sigma: sigma)
    }

    // MARK: blur_out_mask

    func testBlurOutMaskKeepsTheMaskedFaceAndBlursTheRest() {
        for (resolution, ch) in [(64, 3), (256, 1)] {       // σ = 0.5 (k 3) and σ = 2 (k 9)
            let op = BlurOutMask(resolution: resolution)
            let sigma = Double(resolution) / 128
            let t = random([2, 14, 13, ch], seed: 1), m = random([2, 14, 13, 1], seed: 2, binary: true)
            let out = Tensor(shape: t.shape)
            // Mask all ones: unchanged.
            let ones = Tensor(shape: m.shape); for i in 0..<ones.count { ones.data[i] = 1 }
            op.apply(target: t, mask: ones, into: out)
            XCTAssertEqual(out.array, t.array)
            // Mask all zeros: y = 1, so the plain blur.
            op.apply(target: t, mask: Tensor(shape: m.shape), into: out)
            for (a, b) in zip(out.array, referenceBlur(t, sigma: sigma)) { XCTAssertEqual(Double(a), b, accuracy: 1e-5) }
            // Random mask: inside unchanged, outside = blur(t·(1−m)) / (1 − blur(m)).
            op.apply(target: t, mask: m, into: out)
            let outside = Tensor(shape: t.shape)
            for i in 0..<t.count { outside.data[i] = t.data[i] * (1 - m.data[i / ch]) }
            let x = referenceBlur(outside, sigma: sigma), bm = referenceBlur(m, sigma: sigma)
            var outsideCount = 0
            for i in 0..<t.count {
                if m.data[i / ch] == 1 { XCTAssertEqual(out.data[i], t.data[i]); continue }
                outsideCount += 1
                var y = 1 - bm[i / ch]; if abs(y) < 1e-12 { y = 1 }
                XCTAssertEqual(Double(out.data[i]), x[i] / y, accuracy: 1e-5 * max(1, abs(x[i] / y)), "r \(resolution) [\(i)]")
            }
            XCTAssertGreaterThan(outsideCount, t.count / 4)
        }
    }

    /// Worked by hand: away from the border the kernel weights sum to 1, so for a constant image v,
    /// x = v·Σ g(1−m) and y = 1 − Σ g·m = Σ g(1−m): x/y = v whatever the mask. At the border (zero padding)
    /// the weights sum to less than 1 and the blurred-out value falls below v.
    func testBlurOutMaskOfAConstantImageIsConstantAwayFromTheBorder() {
        let op = BlurOutMask(resolution: 256)           // σ 2, k 9, radius 4
        let (h, w) = (16, 16)
        let t = Tensor(shape: [1, h, w, 1]); for i in 0..<t.count { t.data[i] = 0.7 }
        let m = random([1, h, w, 1], seed: 3, binary: true)
        let out = Tensor(shape: t.shape)
        op.apply(target: t, mask: m, into: out)
        for y in 0..<h { for x in 0..<w {
            let v = out.data[y * w + x]
            if (4..<(h - 4)).contains(y) && (4..<(w - 4)).contains(x) || m.data[y * w + x] == 1 {
                XCTAssertEqual(v, 0.7, accuracy: 1e-5, "(\(y), \(x))")
            } else {
                XCTAssertLessThan(v, 0.7, "(\(y), \(x))")
            }
        }}
    }

    // MARK: the style terms on their own

    /// ∂/∂P of each term against central differences (Pm, the dst pass, targets and masks are constants).
    func testSwapStyleGradientsMatchFiniteDifferences() throws {
        for (face, background) in [(Float(20), Float(0)), (0, 100)] {
            let loss = try XCTUnwrap(SwapStyleLoss(resolution: 64, faceStylePower: face, backgroundStylePower: background))
            let shape = [2, 64, 64, 3], maskShape = [2, 64, 64, 1]
            let p = random(shape, seed: 1), pm = random(maskShape, seed: 2), pdd = random(shape, seed: 3)
            let pddm = random(maskShape, seed: 4), t = random(shape, seed: 5)
            // src mask: a square in the middle, so the background term sees both sides of its edge.
            let m = Tensor(shape: maskShape)
            for i in 0..<m.count { let y = (i / 64) % 64, x = i % 64; m.data[i] = (16..<48).contains(y) && (20..<44).contains(x) ? 1 : 0 }
            for i in 0..<pdd.count { pdd.data[i] = pdd.data[i] * 0.5 + 0.4 }
            func total() -> Double {
                loss.evaluate(swapImage: p, swapMask: pm, dstImage: pdd, dstMask: pddm, targetDst: t, srcMask: m).reduce(0, +)
            }
            _ = total()
            let g = try XCTUnwrap(face > 0 ? loss.faceGradient : loss.backgroundGradient)
            XCTAssertNil(face > 0 ? loss.backgroundGradient : loss.faceGradient)
            let analytic = g.array
            var rng = SeededRNG(seed: 7)
            var checked = 0
            for _ in 0..<24 {
                let i = Int(rng.next() % UInt64(p.count))
                let old = p.data[i], eps: Float = 3e-2
                p.data[i] = old + eps; let fp = total()
                p.data[i] = old - eps; let fm = total()
                p.data[i] = old
                let numeric = (fp - fm) / (2 * Double(eps))
                XCTAssertEqual(Double(analytic[i]), numeric, accuracy: 0.03 * max(abs(numeric), 5e-5),
                               "face \(face) bg \(background) [\(i)]")
                if abs(numeric) > 5e-5 { checked += 1 }
            }
            XCTAssertGreaterThan(checked, 10)
        }
    }

    // MARK: the training step

    func grads(_ model: SAEHDModel, _ batch: TrainingBatch) -> [String: [Float]] {
        for p in model.parameters { p.grad.zero() }
        _ = model.computeGradients(batch)
        return Dictionary(uniqueKeysWithValues: model.parameters.map { ($0.name, $0.grad.array) })
    }

    func maxDifference(_ a: [Float], _ b: [Float]) -> Double {
        zip(a, b).map { abs(Double($0 - $1)) }.max() ?? 0
    }

    /// Only the style term differs between the two models: the face-style gradient reaches the decoder that
    /// makes the swap (df: decoder_src; liae: decoder) but no encoder or inter weight; the background-style
    /// one does reach the encoder (so the comparison can see a code gradient).
    func testFaceStyleTrainsTheDecoderOnly() throws {
        for name in ["df-ud-32-8-4-4-4", "liae-ud-32-8-4-4-4"] {
            let config = try ModelConfig(name, channels: 3)
            let batch = TrainingBatch(batch: 2, resolution: 32, channels: 3)
            batch.fillRandom(seed: 8)
            let base = grads(SAEHDModel(config: config, seed: 4), batch)
            let face = grads(SAEHDModel(config: config, seed: 4, lossOptions: LossOptions(faceStylePower: 50)), batch)
            let bg = grads(SAEHDModel(config: config, seed: 4, lossOptions: LossOptions(backgroundStylePower: 50)), batch)
            var decoderChanged = false, encoderChangedByBackground = false
            for (key, g) in base {
                let scale = g.map { abs(Double($0)) }.max() ?? 0
                let faceDiff = maxDifference(face[key]!, g)
                if key.hasPrefix("decoder_dst") || !key.hasPrefix("decoder") {
                    XCTAssertLessThanOrEqual(faceDiff, 1e-4 * scale + 1e-9, "\(name) \(key)")
                } else if faceDiff > 1e-2 * scale {
                    decoderChanged = true
                }
                if key.hasPrefix("encoder"), maxDifference(bg[key]!, g) > 1e-2 * scale { encoderChangedByBackground = true }
            }
            XCTAssertTrue(decoderChanged, name)
            XCTAssertTrue(encoderChangedByBackground, name)
        }
    }

    /// bg_style_power stops no gradient, so the whole step's gradient is the derivative of the reported
    /// objective: central differences on weights of every network (df and liae, with blur_out_mask on).
    func testBackgroundStyleStepGradientsMatchFiniteDifferences() throws {
        for name in ["df-ud-32-8-4-4-4", "liae-ud-32-8-4-4-4"] {
            let model = SAEHDModel(config: try ModelConfig(name, channels: 3), seed: 3,
                                   lossOptions: LossOptions(blurOutMask: true, backgroundStylePower: 60))
            let batch = TrainingBatch(batch: 2, resolution: 32, channels: 3)
            batch.fillRandom(seed: 5)
            checkWeightGradientsByFiniteDifferences(model, batch: batch, name: name)
        }
    }

    /// With the options at their defaults the model builds neither the style terms nor the blur-out, so the
    /// step is the default one (no swap pass); explicit zero powers give bit-identical losses and gradients.
    func testZeroPowersAreTheDefaultStep() throws {
        let config = try ModelConfig("liae-ud-32-8-4-4-4", channels: 3)
        let a = SAEHDModel(config: config, seed: 2)
        let b = SAEHDModel(config: config, seed: 2, lossOptions: LossOptions(blurOutMask: false, faceStylePower: 0, backgroundStylePower: 0))
        XCTAssertNil(b.swapStyle); XCTAssertNil(b.blurOutMask)
        let batch = TrainingBatch(batch: 2, resolution: 32, channels: 3)
        batch.fillRandom(seed: 9)
        let la = a.computeGradients(batch), lb = b.computeGradients(batch)
        XCTAssertEqual(la.src, lb.src); XCTAssertEqual(la.dst, lb.dst)
        XCTAssertEqual(a.predictedImage?.shape, [4, 32, 32, 3])
        for (p, q) in zip(a.parameters, b.parameters) { XCTAssertEqual(p.grad.array, q.grad.array, p.name) }
        // With a power on, the predictions exposed are still src→src then dst→dst, and the dst loss has no
        // style term. It is not bit-identical: the swap pass makes liae's decoder run on 3B samples instead
        // of 2B, and whether another GEMM shape rounds differently depends on the OpenBLAS kernel (Zen 2's
        // does, at 2e-9 relative). The style term is well above that.
        let c = SAEHDModel(config: config, seed: 2, lossOptions: LossOptions(faceStylePower: 100))
        let lc = c.computeGradients(batch)
        XCTAssertEqual(c.predictedImage?.shape, [4, 32, 32, 3])
        for (x, y) in zip(lc.dst, la.dst) { XCTAssertEqual(x, y, accuracy: 1e-7 * abs(y), "dst loss has no style term") }
        for (x, y) in zip(lc.src, la.src) { XCTAssertGreaterThan(x - y, 3e-7 * y, "src loss has the style term") }
    }
}
