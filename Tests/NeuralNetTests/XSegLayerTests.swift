import XCTest
@testable import NeuralNet

/// The layers XSeg adds (docs/xseg.md): FRN, TLU and BlurPool against their definitions and against
/// finite differences.
final class XSegLayerTests: XCTestCase {
    /// FRN against y = x / sqrt(mean(x²) + |eps|) · weight + bias, per sample and channel, in float64.
    func testFilterResponseNormMatchesDefinition() {
        // 20 channels: more than one channel block.
        let (n, h, w, c) = (2, 3, 5, 20)
        let frn = FilterResponseNorm(name: "f", channels: c)
        for i in 0..<c { frn.weight.value.data[i] = 0.5 + Float(i) * 0.1; frn.bias.value.data[i] = Float(i) * 0.01 - 0.1 }
        frn.eps.value.data[0] = -0.3   // DFL uses |eps|
        let x = GradientCheck.random([n, h, w, c], seed: 3)
        let y = frn.forward(x)
        for b in 0..<n {
            for ch in 0..<c {
                var s = 0.0
                for p in 0..<(h * w) { let v = Double(x.data[(b * h * w + p) * c + ch]); s += v * v }
                let scale = 1 / (s / Double(h * w) + 0.3).squareRoot()
                for p in 0..<(h * w) {
                    let i = (b * h * w + p) * c + ch
                    let want = Double(x.data[i]) * scale * Double(frn.weight.value.data[ch]) + Double(frn.bias.value.data[ch])
                    XCTAssertEqual(Double(y.data[i]), want, accuracy: 1e-5)
                }
            }
        }
    }

    func testFilterResponseNormGradients() {
        for (eps, c) in [(Float(0.3), 3), (-0.2, 20)] {   // |eps| near mean(x²): a measurable slope
            let frn = FilterResponseNorm(name: "f", channels: c)
            for i in 0..<c { frn.weight.value.data[i] = 1.5 - Float(i) * 0.05; frn.bias.value.data[i] = Float(i) * 0.03 }
            frn.eps.value.data[0] = eps
            GradientCheck.check(frn, input: GradientCheck.random([2, 4, 3, c], seed: 5), samples: 24)
        }
    }

    /// FRN's reductions do not depend on the thread count.
    func testFilterResponseNormIsThreadIndependent() {
        let saved = Threads.count
        defer { Threads.set(saved) }
        func run(_ threads: Int) -> [[Float]] {
            Threads.set(threads)
            let frn = FilterResponseNorm(name: "f", channels: 40)
            frn.eps.value.data[0] = 0.01
            let x = GradientCheck.random([4, 32, 32, 40], seed: 9)
            let y = frn.forward(x).array
            let dx = frn.backward(GradientCheck.random([4, 32, 32, 40], seed: 10)).array
            return [y, dx] + frn.parameters.map(\.grad.array)
        }
        XCTAssertEqual(run(1), run(2))
    }

    func testTLUMatchesDefinitionAndGradients() {
        let tlu = TLU(name: "t", channels: 3)
        tlu.tau.value.data[0] = -0.2; tlu.tau.value.data[1] = 0.1; tlu.tau.value.data[2] = 0.4
        let x = GradientCheck.random([2, 3, 3, 3], seed: 11)
        let y = tlu.forward(x)
        for i in 0..<x.count { XCTAssertEqual(y.data[i], max(x.data[i], tlu.tau.value.data[i % 3])) }
        GradientCheck.check(tlu, input: x, samples: 40)
        // A tie sends the gradient to x, as TF's maximum does.
        let tie = Tensor(shape: [1, 1, 1, 3], values: [-0.2, 0.1, 0.4])
        _ = tlu.forward(tie)
        tlu.tau.grad.zero()
        XCTAssertEqual(tlu.backward(Tensor(shape: [1, 1, 1, 3], values: [1, 2, 3])).array, [1, 2, 3])
        XCTAssertEqual(tlu.tau.grad.array, [0, 0, 0])
    }

    /// BlurPool against the definition: binomial taps, zero padding ⌊(f−1)/2⌋ before and ⌈(f−1)/2⌉ after,
    /// stride 2; an impulse shows the phases.
    func testBlurPoolMatchesDefinition() {
        let oneD: [[Double]] = [[1, 1], [1, 2, 1], [1, 3, 3, 1]]
        for f in 2...4 {
            for h in [6, 7, 8] {
                let pool = BlurPool(filterSize: f)
                let c = 3, k = oneD[f - 2], total = k.reduce(0, +) * k.reduce(0, +), pad = (f - 1) / 2
                let x = GradientCheck.random([2, h, h + 1, c], seed: UInt64(f * 10 + h))
                let y = pool.forward(x)
                let ho = (h + 1) / 2, wo = (h + 2) / 2
                XCTAssertEqual(y.shape, [2, ho, wo, c])
                for b in 0..<2 { for i in 0..<ho { for j in 0..<wo { for ch in 0..<c {
                    var want = 0.0
                    for a in 0..<f { for t in 0..<f {
                        let u = 2 * i - pad + a, v = 2 * j - pad + t
                        guard u >= 0, u < h, v >= 0, v < h + 1 else { continue }
                        want += k[a] * k[t] / total * Double(x.data[((b * h + u) * (h + 1) + v) * c + ch])
                    }}
                    XCTAssertEqual(Double(y.data[((b * ho + i) * wo + j) * c + ch]), want, accuracy: 1e-6)
                }}}}
            }
        }
        // An impulse at input (2, 2): f = 2 reads rows 2i, 2i+1; f = 3 is centred on row 2i (tap 2/4 at
        // output 1); f = 4 reads rows 2i−1 … 2i+2 (tap 3/8 at output 1, 1/8 at output 0).
        let impulse = Tensor(shape: [1, 6, 6, 1])
        impulse.data[2 * 6 + 2] = 1
        func out(_ f: Int) -> [Float] { BlurPool(filterSize: f).forward(impulse).array }
        XCTAssertEqual(out(2)[1 * 3 + 1], 0.25)
        XCTAssertEqual(out(2).reduce(0, +), 0.25)
        XCTAssertEqual(out(3)[1 * 3 + 1], 0.5 * 0.5)
        XCTAssertEqual(out(3).reduce(0, +), 0.25)   // only output (1, 1) reads row and column 2
        XCTAssertEqual(out(4)[1 * 3 + 1], 0.375 * 0.375)
        XCTAssertEqual(out(4)[0], 0.125 * 0.125)
        XCTAssertEqual(out(4)[2 * 3 + 2], 0)
    }

    func testBlurPoolGradients() {
        for f in 2...4 {
            for h in [6, 5] {
                GradientCheck.check(BlurPool(filterSize: f), input: GradientCheck.random([2, h, h + 1, 3], seed: UInt64(f)), samples: 30)
            }
        }
    }

    /// Each backward writes every element of the gradient it takes from the pool: a second backward into a
    /// poisoned buffer gives the first one's result.
    func testBackwardWritesAllOfItsGradient() {
        let frn = FilterResponseNorm(name: "f", channels: 20)
        frn.eps.value.data[0] = 0.1
        let tlu = TLU(name: "t", channels: 20)
        let layers: [Layer] = [frn, tlu, BlurPool(filterSize: 2), BlurPool(filterSize: 3), BlurPool(filterSize: 4)]
        for layer in layers {
            let x = GradientCheck.random([2, 7, 6, 20], seed: 31)
            let dy = GradientCheck.random(layer.forward(x).shape, seed: 32)
            let first = layer.backward(dy)
            let want = first.array
            GradientPool.give(first)
            GradientPool.poisonFreeBuffers(with: .nan)
            let second = layer.backward(dy)
            XCTAssertTrue(second === first || second.root === first.root, "\(type(of: layer)): the pool gave another buffer")
            XCTAssertEqual(second.array, want, "\(type(of: layer))")
            GradientPool.give(second)
        }
    }

    /// The transposed convolution XSeg's UpConvBlocks use is the spec's scatter: input (i, j) adds its 3×3
    /// footprint, kernel `(3, 3, out, in)`, to output rows 2i…2i+2 and columns 2j…2j+2; row/column 2H dropped.
    func testTransposedConvolutionIsTheScatter() {
        var rng = SeededRNG(seed: 21)
        let (cin, cout, h) = (3, 2, 4)
        let up = Conv2DTranspose(name: "u", inChannels: cin, outChannels: cout, stride: 2, workspace: Workspace(), rng: &rng)
        for i in 0..<cout { up.bias.value.data[i] = Float(i) * 0.5 }
        let x = GradientCheck.random([1, h, h, cin], seed: 22)
        let y = up.forward(x)
        var want = [Double](repeating: 0, count: (2 * h + 2) * (2 * h + 2) * cout)
        for i in 0..<h { for j in 0..<h { for a in 0..<3 { for t in 0..<3 { for o in 0..<cout { for ci in 0..<cin {
            let target: Int = ((2 * i + a) * (2 * h + 2) + 2 * j + t) * cout + o
            let xv = Double(x.data[(i * h + j) * cin + ci])
            let wv = Double(up.weight.value.data[((a * 3 + t) * cout + o) * cin + ci])
            want[target] += xv * wv
        }}}}}}
        for yy in 0..<(2 * h) { for xx in 0..<(2 * h) { for o in 0..<cout {
            let got = Double(y.data[(yy * 2 * h + xx) * cout + o])
            let expected: Double = want[(yy * (2 * h + 2) + xx) * cout + o] + Double(o) * 0.5
            XCTAssertEqual(got, expected, accuracy: 1e-5)
        }}}
    }
}
