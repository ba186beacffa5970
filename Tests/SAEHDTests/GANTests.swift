import XCTest
import NeuralNet
@testable import SAEHD

/// GAN power and true-face power against the independent float64 PyTorch reference written from DFL's
/// behaviour (docs/dfl-model-folder.md §1–6; tools/fixtures/neuralnet/make_gan_crosscheck.py): the two discriminators' forward and backward passes
/// for layer plans that differ, and the full generator + discriminator step.
final class GANTests: XCTestCase {
    func fixture(_ name: String) throws -> (tensors: [String: SafeTensors.Entry], metadata: [String: String]) {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: "safetensors"), name)
        return try SafeTensors.read(path: url.path)
    }

    /// max |a − b| relative to max |b|.
    func relativeError(_ a: [Float], _ b: [Float]) -> Double {
        XCTAssertEqual(a.count, b.count)
        var num = 0.0, den = 1e-30
        for i in a.indices { num = max(num, Double(abs(a[i] - b[i]))); den = max(den, Double(abs(b[i]))) }
        return num / den
    }

    func tensor(_ e: SafeTensors.Entry) -> Tensor { Tensor(shape: e.shape, values: e.values) }

    func load(_ parameters: [Parameter], from f: [String: SafeTensors.Entry], prefix: String,
              file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(parameters.count, f.keys.filter { $0.hasPrefix(prefix) }.count, "parameter count", file: file, line: line)
        for p in parameters {
            let e = try XCTUnwrap(f[prefix + p.name], p.name, file: file, line: line)
            XCTAssertEqual(e.shape, p.value.shape, p.name, file: file, line: line)
            p.value.copy(from: tensor(e))
        }
    }

    // MARK: Layer plans and the transposed convolution

    func testLayerPlansAreTheSpecTable() {
        let table: [(Int, [Int])] = [(4, [2]), (8, [2, 2]), (12, [2, 1, 2]), (16, [2, 2, 2]), (20, [2, 1, 2, 2]),
                                     (24, [2, 2, 1, 2]), (32, [2, 2, 2, 2]), (48, [2, 2, 2, 1, 2]), (64, [2, 2, 2, 2, 2])]
        for (patch, strides) in table { XCTAssertEqual(UNetPatchDiscriminator.layerStrides(patchSize: patch), strides, "patch \(patch)") }
        XCTAssertNil(UNetPatchDiscriminator.unsupportedReason(resolution: 96, patchSize: 12))
        XCTAssertNil(UNetPatchDiscriminator.unsupportedReason(resolution: 96, patchSize: 64))   // 96 → 3 after 5 halvings
        // 96 = 3·32: the 128-patch plan would halve the odd size 3 a sixth time.
        XCTAssertEqual(UNetPatchDiscriminator.layerStrides(patchSize: 128), [2, 2, 2, 2, 2, 2])
        XCTAssertNotNil(UNetPatchDiscriminator.unsupportedReason(resolution: 96, patchSize: 128))
    }

    /// The transposed convolution against the index formula of docs/dfl-model-folder.md §2, written as a plain loop:
    /// out[i] = Σ_{o, k : o·s + k − before = i} in[o]·w[k], before = 1 (stride 1) or 0 (stride 2).
    func testTransposedConvolutionIsTheSpecFormula() {
        for stride in [1, 2] {
            var rng = SeededRNG(seed: UInt64(10 + stride))
            let (n, h, w, cin, cout) = (2, 5, 4, 3, 2)
            let layer = Conv2DTranspose(name: "t", inChannels: cin, outChannels: cout, stride: stride, workspace: Workspace(), rng: &rng)
            for i in 0..<cout { layer.bias.value.data[i] = rng.nextUnitFloat() - 0.5 }
            let x = Tensor(shape: [n, h, w, cin])
            for i in 0..<x.count { x.data[i] = rng.nextUnitFloat() * 2 - 1 }
            let y = layer.forward(x)
            let (oh, ow) = (h * stride, w * stride), before = stride == 1 ? 1 : 0
            XCTAssertEqual(y.shape, [n, oh, ow, cout])
            var want = [Double](repeating: 0, count: n * oh * ow * cout)
            for b in 0..<n { for oy in 0..<h { for ox in 0..<w { for ky in 0..<3 { for kx in 0..<3 {
                let iy = oy * stride + ky - before, ix = ox * stride + kx - before
                guard iy >= 0, iy < oh, ix >= 0, ix < ow else { continue }
                for co in 0..<cout { for ci in 0..<cin {
                    want[((b * oh + iy) * ow + ix) * cout + co] += Double(x.data[((b * h + oy) * w + ox) * cin + ci])
                        * Double(layer.weight.value.data[((ky * 3 + kx) * cout + co) * cin + ci])
                } }
            } } } } }
            for i in want.indices { want[i] += Double(layer.bias.value.data[i % cout]) }
            XCTAssertLessThan(relativeError(y.array, want.map(Float.init)), 1e-6, "stride \(stride)")
        }
    }

    // MARK: Discriminators

    func testUNetPatchDiscriminatorMatchesReference() throws {
        for name in ["gan-unet-p4-c3", "gan-unet-p12-c1", "gan-unet-p16-c3", "gan-unet-p24-c1"] {
            let (f, meta) = try fixture(name)
            let patch = Int(meta["patch_size"]!)!, inCh = Int(meta["in_ch"]!)!, base = Int(meta["base_ch"]!)!
            var rng = SeededRNG(seed: 1)
            let d = UNetPatchDiscriminator(name: "GAN", inChannels: inCh, patchSize: patch, baseChannels: base,
                                           workspace: Workspace(), rng: &rng)
            XCTAssertEqual(d.strides.map(String.init).joined(separator: ","), meta["strides"], name)
            try load(d.parameters, from: f, prefix: "param.")
            let (center, full) = d.forward(tensor(f["input"]!))
            XCTAssertEqual(center.shape, f["out.center"]!.shape, name)
            XCTAssertLessThan(relativeError(center.array, f["out.center"]!.values), 1e-5, "\(name) center")
            XCTAssertLessThan(relativeError(full.array, f["out.full"]!.values), 1e-5, "\(name) full")
            let dx = d.backward(center: tensor(f["dout.center"]!), full: tensor(f["dout.full"]!))
            XCTAssertLessThan(relativeError(dx.array, f["grad.input"]!.values), 1e-4, "\(name) input gradient")
            for p in d.parameters {
                XCTAssertLessThan(relativeError(p.grad.array, f["grad." + p.name]!.values), 1e-4, "\(name) \(p.name)")
            }
        }
    }

    func testCodeDiscriminatorMatchesReference() throws {
        for name in ["gan-code-r6", "gan-code-r8", "gan-code-r16"] {
            let (f, meta) = try fixture(name)
            var rng = SeededRNG(seed: 1)
            let d = CodeDiscriminator(name: "code_discriminator", inChannels: Int(meta["in_ch"]!)!, codeResolution: Int(meta["code_res"]!)!,
                                      baseChannels: Int(meta["base_ch"] ?? "256")!, workspace: Workspace(), rng: &rng)
            try load(d.parameters, from: f, prefix: "param.")
            let y = d.forward(tensor(f["input"]!))
            XCTAssertEqual(y.shape, f["out"]!.shape, name)
            XCTAssertLessThan(relativeError(y.array, f["out"]!.values), 1e-5, "\(name) out")
            let dx = d.backward(tensor(f["dout"]!))
            XCTAssertLessThan(relativeError(dx.array, f["grad.input"]!.values), 1e-4, "\(name) input gradient")
            for p in d.parameters {
                XCTAssertLessThan(relativeError(p.grad.array, f["grad." + p.name]!.values), 1e-4, "\(name) \(p.name)")
            }
        }
    }

    // MARK: The full step

    func checkStep(_ name: String, config: String, channels: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        let (f, meta) = try fixture("crosscheck-gan-" + name)
        let options = LossOptions(maskedTraining: meta["masked_training"] == "true", eyesMouthPriority: meta["eyes_mouth_prio"] == "true",
                                  ganPower: Float(meta["gan_power"]!)!, ganPatchSize: Int(meta["gan_patch_size"]!)!,
                                  ganDims: Int(meta["gan_dims"]!)!, trueFacePower: Float(meta["true_face_power"]!)!)
        let model = SAEHDModel(config: try ModelConfig(config, channels: channels), lossOptions: options)
        try load(model.parameters, from: f, prefix: "param.", file: file, line: line)
        let dParameters = model.discriminators.flatMap(\.parameters)
        try load(dParameters, from: f, prefix: "dparam.", file: file, line: line)
        let warped = try XCTUnwrap(f["batch.warped"])
        let batch = TrainingBatch(batch: warped.shape[0] / 2, resolution: warped.shape[1], channels: channels)
        for (t, key) in [(batch.warped, "warped"), (batch.target, "target"), (batch.targetMask, "target_mask"),
                         (batch.targetEyesMouth, "target_em")] {
            t.copy(from: tensor(try XCTUnwrap(f["batch." + key])))
        }
        // 1. The generator step with the GAN / true-face terms in the src loss. The terms the model computes are
        // exactly those its options call for (tv and antimask only with masked training; true face only for df);
        // the fixture writes the others as zeros.
        let losses = model.computeGradients(batch)
        let n = batch.batch
        var expected: Set<String> = []
        if options.ganPower > 0 { expected.insert("gan"); if options.maskedTraining { expected.formUnion(["tv", "antimask"]) } }
        if options.trueFacePower > 0 && config.hasPrefix("df") { expected.insert("true_face") }
        XCTAssertEqual(Set(losses.adversarialTerms.keys), expected, "\(name): the generator terms", file: file, line: line)
        for term in ["gan", "tv", "antimask", "true_face"] {
            let want = try XCTUnwrap(f["gterm." + term], term, file: file, line: line).values
            XCTAssertEqual(want.count, n, "\(name) fixture term \(term)", file: file, line: line)
            guard expected.contains(term) else {
                XCTAssertTrue(want.allSatisfy { $0 == 0 }, "\(name): the fixture's \(term) is off", file: file, line: line)
                continue
            }
            let got = try XCTUnwrap(losses.adversarialTerms[term], term, file: file, line: line)
            XCTAssertEqual(got.count, n, "\(name) term \(term)", file: file, line: line)
            for (a, b) in zip(got, want) {
                XCTAssertEqual(a, Double(b), accuracy: 1e-4 * abs(Double(b)) + 1e-9, "\(name) term \(term)", file: file, line: line)
            }
        }
        // The fixture's loss.src is the generator's src objective (with the G terms); the logged src excludes them.
        for (got, key) in [(losses.generatorSrc, "loss.src"), (losses.dst, "loss.dst")] {
            let want = try XCTUnwrap(f[key], key, file: file, line: line).values
            XCTAssertEqual(got.count, n, "\(name) \(key)", file: file, line: line)
            XCTAssertEqual(want.count, n, "\(name) fixture \(key)", file: file, line: line)
            for (a, b) in zip(got, want) { XCTAssertEqual(a, Double(b), accuracy: 1e-4 * abs(Double(b)), "\(name) \(key)", file: file, line: line) }
        }
        // The src loss as DFL logs it (loss history, loss.csv): the objective without the G terms.
        let fixtureSrc = f["loss.src"]!.values
        XCTAssertEqual(losses.src.count, fixtureSrc.count, file: file, line: line)
        for i in fixtureSrc.indices {
            let terms = ["gan", "tv", "antimask", "true_face"].reduce(0.0) { $0 + Double(f["gterm." + $1]!.values[i]) }
            XCTAssertEqual(losses.src[i], Double(fixtureSrc[i]) - terms, accuracy: 1e-4 * abs(Double(fixtureSrc[i])),
                           "\(name) logged src loss", file: file, line: line)
        }
        // Generator gradients: to 1e-4 of the tensor's largest element, and element by element (see
        // assertElementwise; measured worst: 2.1e-4 relative, 1.7e-6 of the largest element for the elements
        // under 1 % of it).
        for p in model.parameters {
            let want = try XCTUnwrap(f["grad." + p.name], p.name, file: file, line: line).values
            XCTAssertLessThan(relativeError(p.grad.array, want), 1e-4, "\(name) grad \(p.name)", file: file, line: line)
            assertElementwise(p.grad.array, want, relative: 1e-3, absolute: 1e-5, "\(name) grad \(p.name)", file: file, line: line)
        }
        for p in dParameters { XCTAssertTrue(p.grad.array.allSatisfy { $0 == 0 }, "the generator step trains no discriminator weight", file: file, line: line) }
        var initial = Dictionary(uniqueKeysWithValues: (model.parameters + dParameters).map { ($0.name, $0.value.array) })
        var gradients = Dictionary(uniqueKeysWithValues: model.parameters.map { ($0.name, $0.grad.array) })
        model.optimizer.step()
        for p in model.parameters {
            try assertFirstUpdate(p, from: initial[p.name]!, gradient: gradients[p.name]!, matches: f["updated." + p.name],
                                  reference: f["grad." + p.name], "\(name) updated", file: file, line: line)
        }
        // 2–3. The discriminator steps on the same batch, with the updated generator.
        let d = model.computeDiscriminatorGradients(batch)
        XCTAssertEqual(model.discriminators.map(\.network),
                       (options.ganPower > 0 ? ["GAN"] : []) + (expected.contains("true_face") ? ["code_discriminator"] : []),
                       "\(name): the discriminators", file: file, line: line)
        for (got, key) in [(d.gan, "dloss.gan"), (d.trueFace, "dloss.true_face")] {
            guard let want = f[key]?.values else { XCTAssertNil(got, "\(name): \(key) is off", file: file, line: line); continue }
            let values = try XCTUnwrap(got, key, file: file, line: line)
            XCTAssertEqual(values.count, n, "\(name) \(key)", file: file, line: line)
            XCTAssertEqual(want.count, n, "\(name) fixture \(key)", file: file, line: line)
            for (a, b) in zip(values, want) { XCTAssertEqual(a, Double(b), accuracy: 1e-4 * abs(Double(b)), "\(name) \(key)", file: file, line: line) }
        }
        for p in dParameters {
            let want = try XCTUnwrap(f["dgrad." + p.name], p.name, file: file, line: line).values
            XCTAssertLessThan(relativeError(p.grad.array, want), 1e-3, "\(name) dgrad \(p.name)", file: file, line: line)
            assertElementwise(p.grad.array, want, relative: 1e-3, absolute: 1e-5, "\(name) dgrad \(p.name)", file: file, line: line)
        }
        initial = Dictionary(uniqueKeysWithValues: dParameters.map { ($0.name, $0.value.array) })
        gradients = Dictionary(uniqueKeysWithValues: dParameters.map { ($0.name, $0.grad.array) })
        for n in model.discriminators { n.optimizer.step() }
        for p in dParameters {
            try assertFirstUpdate(p, from: initial[p.name]!, gradient: gradients[p.name]!, matches: f["dupdated." + p.name],
                                  reference: f["dgrad." + p.name], "\(name) dupdated", file: file, line: line)
        }
    }

    /// Elementwise |a − b| ≤ relative·|b| + absolute·max|b|, with the worst element named.
    ///
    /// Used for the discriminator gradients (relative 1e-3, absolute 1e-5 of the tensor's largest element),
    /// and the generator's alike. The D step runs on the generator's float32 update, so its inputs differ from
    /// the float64 reference's by that update's rounding, and each gradient element is a sum over the batch and the pixels of products
    /// whose float32 rounding (2⁻²⁴ ≈ 6e-8 relative each, growing like the square root of the number of terms,
    /// thousands here) does not shrink when the sum cancels: an element much smaller than the tensor's
    /// largest carries an absolute error of the size of the terms that cancelled in it, which the tensor's
    /// scale bounds, not the element's own size. Hence the absolute term, about 20 times the measured worst
    /// for the D gradients (5.7e-7 of the largest element, over the elements under 1 % of it; 1.7e-6 for the
    /// generator's), and 1e-3 relative for the rest (measured worst 1.3e-4; the generator's 2.1e-4). A bound of
    /// 1e-3 of the largest element for every element, alone, lets an element under 1e-3 of the largest be
    /// anything at all, its sign included. GAN_REPORT=1 prints the figures.
    func assertElementwise(_ a: [Float], _ b: [Float], relative: Double, absolute: Double, _ label: String,
                           file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, label, file: file, line: line)
        guard a.count == b.count, !b.isEmpty else { return }
        let scale = b.map { abs(Double($0)) }.max()!
        var worst = (excess: 0.0, index: -1), worstRelative = 0.0, worstAbsolute = 0.0
        for i in b.indices {
            let d = abs(Double(a[i]) - Double(b[i]))
            let excess = d - (relative * abs(Double(b[i])) + absolute * scale)
            if excess > worst.excess { worst = (excess, i) }
            if abs(Double(b[i])) < 0.01 * scale { worstAbsolute = max(worstAbsolute, d / scale) }
            if abs(Double(b[i])) >= 0.01 * scale { worstRelative = max(worstRelative, d / abs(Double(b[i]))) }
        }
        if ProcessInfo.processInfo.environment["GAN_REPORT"] != nil {
            print("\(label): elements under 1 % of the largest: worst |a − b| \(worstAbsolute) of it; the others: worst relative \(worstRelative)")
        }
        if worst.index >= 0 {
            let i = worst.index
            XCTFail("\(label): element \(i) is \(a[i]), the reference \(b[i]) (tensor scale \(scale))", file: file, line: line)
        }
    }

    /// AdaBelief's first step from zeroed slots (docs/saehd-model.md §4: β1 0.9, β2 0.999, ε 1e-6 after the
    /// square root, no bias correction, lr 5e-5), in float64: m = 0.1·g, v = 0.001·(0.9·g)², Δ = −lr·m/(√v + ε).
    static func adaBeliefFirstUpdate(_ g: Double) -> Double { -5e-5 * 0.1 * g / ((0.001 * 0.81 * g * g).squareRoot() + 1e-6) }

    /// The optimizer's first update of `p` (its value now minus `initial`) against the fixture's (updated −
    /// initial), element by element, relative to the update's own size.
    ///
    /// AdaBelief's first step is about −3.5·lr·sign(g) (1.76e-4) wherever |g| ≫ ε/0.0285 ≈ 3.5e-5 and
    /// proportional to g below that, so an absolute tolerance of 1e-6 on the weights checks the sign and not
    /// much else. Here each element's update must match to 1e-4 of its own size (the measured worst, past the
    /// two parts below, is 7e-6), so that a learning rate off by 0.05 % fails,
    /// plus two parts that are not the optimizer's error:
    /// - what the difference between our gradient and the reference's (checked above, to 1e-4 of the tensor's
    ///   largest element) explains: |U(g_ours) − U(g_ref)| for the first-step update U above; it matters only
    ///   where |g| is of the order of ε/0.0285 or less, where the update follows |g|;
    /// - the float32 rounding of the two stored weights the update is the difference of: one ulp of
    ///   max(|initial|, |updated|) each (the fixture rounds its float64 result once, we round w + Δ once).
    func assertFirstUpdate(_ p: Parameter, from initial: [Float], gradient: [Float], matches entry: SafeTensors.Entry?,
                           reference: SafeTensors.Entry?, _ label: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let want = try XCTUnwrap(entry, "\(label) \(p.name)", file: file, line: line).values
        let referenceGradient = try XCTUnwrap(reference, "\(label) \(p.name) gradient", file: file, line: line).values
        let got = p.value.array
        for (count, what) in [(got.count, "updated"), (initial.count, "initial"), (gradient.count, "gradient"), (referenceGradient.count, "reference gradient")] {
            XCTAssertEqual(count, want.count, "\(label) \(p.name): \(what) count", file: file, line: line)
        }
        guard [got.count, initial.count, gradient.count, referenceGradient.count].allSatisfy({ $0 == want.count }) else { return }
        var failures = 0, first = "", worst = 0.0
        for i in want.indices {
            let w0 = Double(initial[i]), ours = Double(got[i]) - w0, theirs = Double(want[i]) - w0
            let explained = abs(Self.adaBeliefFirstUpdate(Double(gradient[i])) - Self.adaBeliefFirstUpdate(Double(referenceGradient[i])))
            let ulp = Double(max(abs(initial[i]), abs(want[i])).ulp)
            worst = max(worst, max(0, abs(ours - theirs) - explained - 2 * ulp) / abs(theirs))
            if abs(ours - theirs) > 1e-4 * abs(theirs) + explained + 2 * ulp {
                if failures == 0 { first = "element \(i): update \(ours), the reference's \(theirs) (gradient \(gradient[i]), the reference's \(referenceGradient[i]))" }
                failures += 1
            }
        }
        XCTAssertEqual(failures, 0, "\(label) \(p.name): \(failures) of \(want.count) elements, first \(first)", file: file, line: line)
        if ProcessInfo.processInfo.environment["GAN_REPORT"] != nil { print("\(label) \(p.name): worst unexplained relative update error \(worst)") }
    }

    func testDFGANAndTrueFaceStepMatchesReference() throws {
        try checkStep("df-ud-64-8-2-2-2-c3", config: "df-ud-64-8-2-2-2", channels: 3)
    }

    func testLIAEGANStepMatchesReference() throws {
        try checkStep("liae-ud-64-8-2-2-2-c1", config: "liae-ud-64-8-2-2-2", channels: 1)
    }

    func testUnmaskedGANStepMatchesReference() throws {
        try checkStep("df-ud-64-8-2-2-2-c1", config: "df-ud-64-8-2-2-2", channels: 1)
    }

    /// What GAN and true-face power add to the generator's gradient is the gradient of the terms they add to
    /// its objective, and nothing else: for the same weights and batch, (gradient with the powers − gradient
    /// without) must be the gradient of (objective with − objective without) = the sum of the G terms. Checked
    /// along random directions with PathProbe (GradientProbe.swift) on weights the terms reach (the src decoder's
    /// image head and a middle layer, the first encoder layer: GAN through the src prediction, true face
    /// through the code); decoder_dst, which they do not reach, gets the same
    /// gradient bit for bit. The fixtures above check the step for three configurations against the float64
    /// reference; this one holds for any.
    func testGeneratorTermsGradientIsTheGradientDifference() throws {
        let config = try ModelConfig("df-ud-32-8-4-4-4", channels: 3)
        let with = SAEHDModel(config: config, seed: 3, lossOptions: LossOptions(maskedTraining: true, ganPower: 0.1, trueFacePower: 0.01))
        let without = SAEHDModel(config: config, seed: 3, lossOptions: LossOptions(maskedTraining: true))
        XCTAssertEqual(with.parameters.map(\.name), without.parameters.map(\.name))
        let batch = TrainingBatch(batch: 2, resolution: 32, channels: 3)
        batch.fillRandom(seed: 12)
        /// Σ G terms and their gradient for the weights of parameter `index`, at the current weights.
        func terms(_ index: Int) -> (value: Double, gradient: [Float]) {
            for m in [with, without] { for p in m.parameters { p.grad.zero() } }
            let a = with.computeGradients(batch), b = without.computeGradients(batch)
            let value = a.generatorSrc.reduce(0, +) + a.dst.reduce(0, +) - b.src.reduce(0, +) - b.dst.reduce(0, +)
            let gradient = zip(with.parameters[index].grad.array, without.parameters[index].grad.array).map { $0 - $1 }
            return (value, gradient)
        }
        // At the start, the difference is zero exactly where the terms do not reach.
        _ = terms(0)
        for (p, q) in zip(with.parameters, without.parameters) where p.name.hasPrefix("decoder_dst.") {
            XCTAssertEqual(p.grad.array, q.grad.array, p.name)
        }
        var rng = SeededRNG(seed: 21)
        var judged = 0
        for name in ["encoder.down1.downs_0.conv1.weight", "decoder_src.res1.conv1.weight", "decoder_src.out_conv.weight"] {
            let index = try XCTUnwrap(with.parameters.firstIndex { $0.name == name }, name)
            let p = with.parameters[index], q = without.parameters[index]
            let start = terms(index).gradient
            XCTAssertTrue(start.contains { $0 != 0 }, "\(name): the terms reach it")
            // Both models move together: PathProbe moves `with`'s weights, `without` follows.
            judged += checkAlongRandomDirections(p, gradient: start, rng: &rng, label: "G terms \(name)") {
                q.value.copy(from: p.value)
                return terms(index)
            }
            q.value.copy(from: p.value)
        }
        XCTAssertGreaterThanOrEqual(judged, 10, "random-direction probes with an error bound under 10 % of |g|/√n")
    }

    /// With both powers at 0 nothing of the discriminators exists; liae never builds the code discriminator.
    func testDiscriminatorsExistOnlyWhenOn() throws {
        let df = try ModelConfig("df-ud-64-8-2-2-2", channels: 3), liae = try ModelConfig("liae-ud-64-8-2-2-2", channels: 3)
        XCTAssertTrue(SAEHDModel(config: df).discriminators.isEmpty)
        XCTAssertEqual(SAEHDModel(config: df, lossOptions: LossOptions(trueFacePower: 0.01)).discriminators.map(\.network), ["code_discriminator"])
        XCTAssertEqual(SAEHDModel(config: liae, lossOptions: LossOptions(ganPower: 0.1, trueFacePower: 0.01)).discriminators.map(\.network), ["GAN"])
        // The generator's initial weights do not depend on the discriminators (their own random streams).
        let plain = SAEHDModel(config: df, seed: 3), gan = SAEHDModel(config: df, seed: 3, lossOptions: LossOptions(ganPower: 0.1, trueFacePower: 0.01))
        XCTAssertEqual(plain.parameters.map(\.name), gan.parameters.map(\.name))
        for (a, b) in zip(plain.parameters, gan.parameters) { XCTAssertEqual(a.value.array, b.value.array, a.name) }
        let batch = TrainingBatch(batch: 2, resolution: 64, channels: 3)
        batch.fillRandom(seed: 4)
        let losses = gan.trainStep(batch)
        XCTAssertNotNil(losses.ganDiscriminator)
        XCTAssertNotNil(losses.trueFaceDiscriminator)
        // Untrained discriminators output about 0: each D loss starts near 2·ln 2 (GAN) or ln 2 (true face).
        XCTAssertEqual(losses.ganDiscriminatorMean!, 2 * log(2), accuracy: 0.3)
        XCTAssertEqual(losses.trueFaceDiscriminatorMean!, log(2), accuracy: 0.3)
    }
}
