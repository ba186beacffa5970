import XCTest
@testable import NeuralNet

/// The direct stride-2 transposed convolution (`TransposedConvolution`) against the index formula of
/// docs/dfl-model-folder.md §2, against the 4-phase-group convolution it replaces (`directStride2 = false`),
/// and against finite differences.
final class TransposedConvTests: XCTestCase {
    override func tearDown() {
        Conv2DTranspose.directStride2 = true
        TransposedConvolution.columnBudget = TransposedConvolution.defaultColumnBudget
        TransposedConvolution.minimumChunkRows = TransposedConvolution.defaultChunkRows
        super.tearDown()
    }

    func layer(_ cin: Int, _ cout: Int, stride: Int = 2, activation: Activation = .leakyReLU(0.2), seed: UInt64) -> Conv2DTranspose {
        var rng = SeededRNG(seed: seed)
        let t = Conv2DTranspose(name: "t", inChannels: cin, outChannels: cout, stride: stride, activation: activation,
                                workspace: Workspace(), rng: &rng)
        for i in 0..<cout { t.bias.value.data[i] = rng.nextUnitFloat() - 0.5 }
        return t
    }

    /// out[n, 2·oy + ky, 2·ox + kx, co] += x[n, oy, ox, ci] · w[ky, kx, co, ci] (inside the output), + bias,
    /// then the activation; float64.
    func formula(_ t: Conv2DTranspose, _ x: Tensor) -> [Double] {
        let (n, h, w, cin, cout) = (x.shape[0], x.shape[1], x.shape[2], t.inChannels, t.outChannels)
        let (oh, ow) = (2 * h, 2 * w)
        var out = [Double](repeating: 0, count: n * oh * ow * cout)
        for b in 0..<n { for oy in 0..<h { for ox in 0..<w { for ky in 0..<3 { for kx in 0..<3 {
            let iy = 2 * oy + ky, ix = 2 * ox + kx
            guard iy < oh, ix < ow else { continue }
            for co in 0..<cout { for ci in 0..<cin {
                out[((b * oh + iy) * ow + ix) * cout + co] += Double(x.data[((b * h + oy) * w + ox) * cin + ci])
                    * Double(t.weight.value.data[((ky * 3 + kx) * cout + co) * cin + ci])
            } }
        } } } } }
        for i in out.indices {
            out[i] += Double(t.bias.value.data[i % cout])
            if case .leakyReLU(let a) = t.activation, out[i] < 0 { out[i] *= Double(a) }
        }
        return out
    }

    func maxRelativeError(_ a: [Float], _ b: [Double]) -> Double {
        XCTAssertEqual(a.count, b.count)
        var num = 0.0, den = 1e-30
        for i in a.indices { num = max(num, abs(Double(a[i]) - b[i])); den = max(den, abs(b[i])) }
        return num / den
    }

    /// The chunks of the column-then-gather passes: about 1 MB of columns (the discriminator's 96×96 stride-2
    /// layer and 24→48 transposed layer: one sample), at least 512 rows (the encoder's 12×12 5×5 stride-2
    /// layer at b16, 36 rows a sample: two equal chunks of 8), all samples when they are small, one sample
    /// when a sample's columns pass 16 MB.
    func testColumnChunksAreAboutOneMegabyteWithRowsEnough() {
        XCTAssertEqual(Im2colConvolution.gatherChunk(batch: 8, rowsPerSample: 48 * 48, rowFloats: 9 * 16), 1)
        XCTAssertEqual(Im2colConvolution.gatherChunk(batch: 8, rowsPerSample: 24 * 24, rowFloats: 9 * 64), 1)
        XCTAssertEqual(Im2colConvolution.gatherChunk(batch: 16, rowsPerSample: 6 * 6, rowFloats: 25 * 128), 8)
        XCTAssertEqual(Im2colConvolution.gatherChunk(batch: 4, rowsPerSample: 16, rowFloats: 10), 4)
        XCTAssertEqual(Im2colConvolution.gatherChunk(batch: 64, rowsPerSample: 4096, rowFloats: 1100), 1)
    }

    /// Odd and even sizes, non-square, channel counts around the column layout's edges, several samples;
    /// a column budget of one sample so the forward pass runs in chunks too.
    func testDirectForwardIsTheSpecFormula() {
        for (n, h, w, cin, cout, budget) in [(2, 5, 4, 3, 2, 1 << 22), (3, 6, 6, 16, 8, 1), (1, 1, 1, 2, 3, 1 << 22),
                                             (2, 7, 3, 5, 17, 1)] {
            TransposedConvolution.columnBudget = budget
            TransposedConvolution.minimumChunkRows = budget == 1 ? 1 : TransposedConvolution.defaultChunkRows
            let t = layer(cin, cout, seed: UInt64(h * 10 + w))
            let x = GradientCheck.random([n, h, w, cin], seed: 3)
            let y = t.forward(x)
            XCTAssertEqual(y.shape, [n, 2 * h, 2 * w, cout])
            XCTAssertLessThan(maxRelativeError(y.array, formula(t, x)), 1e-6, "\(n)×\(h)×\(w) \(cin)->\(cout)")
        }
    }

    /// Forward, input gradient, weight and bias gradients equal the 4-phase-group convolution's, with and
    /// without the flags that skip the input or weight gradient.
    func testDirectMatchesPhaseGroupConvolution() {
        for (n, h, w, cin, cout) in [(2, 6, 5, 8, 4), (4, 12, 12, 32, 16), (1, 3, 7, 6, 9), (3, 1, 1, 16, 8), (3, 2, 2, 32, 16), (2, 4, 4, 64, 32)] {
            for (needsInput, needsWeight) in [(true, true), (true, false), (false, true)] {
                let t = layer(cin, cout, seed: UInt64(cin * 100 + cout))
                t.needsInputGradient = needsInput
                t.needsWeightGradient = needsWeight
                let x = GradientCheck.random([n, h, w, cin], seed: 5)
                let dy = GradientCheck.random([n, 2 * h, 2 * w, cout], seed: 6)
                func run(direct: Bool) -> (y: [Float], dx: [Float], dw: [Float], db: [Float]) {
                    Conv2DTranspose.directStride2 = direct
                    t.weight.grad.data.update(repeating: 0.25, count: t.weight.grad.count)   // accumulates onto it
                    t.bias.grad.data.update(repeating: -0.5, count: t.bias.grad.count)
                    let y = t.forward(x).array
                    let dx = t.backward(dy).array
                    return (y, dx, t.weight.grad.array, t.bias.grad.array)
                }
                let ref = run(direct: false), got = run(direct: true)
                let what = "\(n)×\(h)×\(w) \(cin)->\(cout) input \(needsInput) weight \(needsWeight)"
                XCTAssertLessThan(maxRelativeError(got.y, ref.y.map(Double.init)), 1e-6, what + " y")
                XCTAssertEqual(got.dx.count, needsInput ? x.count : 0, what)
                if needsInput { XCTAssertLessThan(maxRelativeError(got.dx, ref.dx.map(Double.init)), 1e-5, what + " dx") }
                XCTAssertLessThan(maxRelativeError(got.dw, ref.dw.map(Double.init)), 1e-5, what + " dw")
                XCTAssertLessThan(maxRelativeError(got.db, ref.db.map(Double.init)), 1e-5, what + " db")
                if !needsWeight {
                    XCTAssertEqual(Set(got.dw), [0.25], what)
                    XCTAssertEqual(Set(got.db), [-0.5], what)
                }
            }
        }
    }

    /// Central differences (GradientCheck) of input, weight and bias. With the leaky ReLU a probe of a bias
    /// moves every output of its channel, and a ±eps step that crosses a kink the check's one-sided slopes
    /// cannot see spoils it; a small input keeps such crossings rare (the smooth activations take a larger one).
    func testDirectGradientsMatchFiniteDifferences() {
        for (activation, seed, shape) in [(Activation.identity, UInt64(1), [2, 5, 4, 3]), (.sigmoid, 3, [2, 5, 4, 3]),
                                          (.leakyReLU(0.2), 2, [1, 3, 2, 3])] {
            let t = layer(3, 4, activation: activation, seed: seed)
            GradientCheck.check(t, input: GradientCheck.random(shape, seed: seed + 10), samples: 24)
        }
    }

    /// Identical steps give identical bits (the weight gradient's per-thread partials over fixed runs).
    func testDirectIsDeterministic() {
        let t = layer(16, 8, seed: 9)
        let x = GradientCheck.random([4, 24, 24, 16], seed: 1)
        let dy = GradientCheck.random([4, 48, 48, 8], seed: 2)
        var results: [[Float]] = []
        for _ in 0..<3 {
            t.weight.grad.zero()
            let y = t.forward(x).array
            let dx = t.backward(dy).array
            results.append(y + dx + t.weight.grad.array)
        }
        XCTAssertEqual(results[0].map(\.bitPattern), results[1].map(\.bitPattern))
        XCTAssertEqual(results[0].map(\.bitPattern), results[2].map(\.bitPattern))
    }
}
