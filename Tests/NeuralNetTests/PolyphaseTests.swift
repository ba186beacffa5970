import XCTest
@testable import NeuralNet

/// 5×5 stride-2 convolutions run as a 3×3 stride-1 Winograd convolution over the space-to-depth input
/// (`PolyphaseConvolution`): against a direct 5×5 stride-2 convolution written from the definition (float64),
/// against the dense im2col path (forward, input gradient, weight gradient), and against finite differences.
final class PolyphaseTests: XCTestCase {
    override func tearDown() { ConvolutionSelection.choice = .fast; ConvolutionSelection.polyphase = true }

    func makeConv(cin: Int, cout: Int, seed: UInt64) -> Conv2D {
        var rng = SeededRNG(seed: seed)
        // No activation: a leaky ReLU's kink flips the gradient of a value that rounds to either side of 0
        // (the fused activation is the 3×3 path's code, tested in WinogradTests).
        let conv = Conv2D(name: "d", inChannels: cin, outChannels: cout, kernel: 5, stride: 2,
                          workspace: Workspace(), rng: &rng)
        for i in 0..<cout { conv.bias.value.data[i] = Float(i % 5) * 0.1 - 0.2 }
        return conv
    }

    /// Direct 5×5 stride-2 pad-2 convolution plus bias at (n, oy, ox, co): (value, Σ|x·w|).
    static func direct(_ x: Tensor, _ conv: Conv2D, n: Int, oy: Int, ox: Int, co: Int) -> (Double, Double) {
        let h = x.shape[1], w = x.shape[2], cin = x.shape[3], cout = conv.outChannels
        var value = Double(conv.bias.value.data[co]), scale = abs(value)
        for ky in 0..<5 { for kx in 0..<5 {
            let iy = 2 * oy + ky - 2, ix = 2 * ox + kx - 2
            if iy < 0 || ix < 0 || iy >= h || ix >= w { continue }
            for ci in 0..<cin {
                let p = Double(x.data[((n * h + iy) * w + ix) * cin + ci]) * Double(conv.weight.value.data[((ky * 5 + kx) * cin + ci) * cout + co])
                value += p; scale += abs(p)
            }
        }}
        return (value, scale)
    }

    /// Downscale shapes of the bench configurations (input size, in → out) where the fast choice takes the
    /// rewrite, one with channel counts off the vector width, and one that takes F(2×2) when forced.
    func testDownscaleShapesMatchDirectAndDense() {
        let shapes: [(size: Int, cin: Int, cout: Int, choice: ConvAlgorithmChoice)] = [
            (48, 32, 64, .fast), (24, 64, 128, .fast), (96, 48, 96, .fast), (24, 20, 12, .f4), (12, 128, 256, .f2),
            // The tiny cross-check model's layers: phase images of 8×8 down to 1×1 (one partial Winograd tile).
            (16, 16, 32, .f4), (8, 32, 64, .f4), (4, 64, 128, .f4), (2, 8, 8, .f4), (32, 1, 16, .f4), (4, 64, 128, .f2),
        ]
        for (size, cin, cout, choice) in shapes {
            let line = "\(size)x\(size) \(cin)->\(cout) \(choice)"
            let conv = makeConv(cin: cin, cout: cout, seed: UInt64(size + cin))
            let x = GradientCheck.random([2, size, size, cin], seed: 3)
            let dy = GradientCheck.random([2, size / 2, size / 2, cout], seed: 4)

            ConvolutionSelection.choice = .dense
            let yDense = conv.forward(x).array
            conv.weight.grad.zero(); conv.bias.grad.zero()
            let dxDense = conv.backward(dy)
            let dense = (dx: dxDense.array, dw: conv.weight.grad.array, db: conv.bias.grad.array)
            GradientPool.give(dxDense)
            XCTAssertEqual(conv.algorithm, .dense)

            ConvolutionSelection.choice = choice
            let y = conv.forward(x)
            conv.weight.grad.zero(); conv.bias.grad.zero()
            let dx = conv.backward(dy)
            XCTAssertNotEqual(conv.algorithm, .dense, "the rewrite should run: \(line)")
            XCTAssertNotEqual(conv.weightGradientAlgorithm, .dense, line)

            // Values against the direct definition, at every pixel of sample 1's first channels.
            var worst = 0.0
            let h2 = size / 2
            for oy in 0..<h2 { for ox in 0..<h2 { for co in 0..<min(cout, 4) {
                let (value, scale) = Self.direct(x, conv, n: 1, oy: oy, ox: ox, co: co)
                let got = Double(y.data[((h2 + oy) * h2 + ox) * cout + co])
                worst = max(worst, abs(got - value) / max(scale, 1e-30))
            }}}
            XCTAssertLessThan(worst, 2e-5, "forward vs direct \(line)")

            // Every element against the dense path, relative to the largest dense magnitude.
            for (got, want, what) in [(y.array, yDense, "y"), (dx.array, dense.dx, "dx"),
                                      (conv.weight.grad.array, dense.dw, "dW"), (conv.bias.grad.array, dense.db, "db")] {
                var num = 0.0, den = 1e-30
                for i in got.indices { num = max(num, Double(abs(got[i] - want[i]))); den = max(den, Double(abs(want[i]))) }
                XCTAssertLessThan(num / den, 1e-4, "\(what) vs dense \(line)")
            }
            GradientPool.give(dx)
        }
    }

    /// The first layer of a 1-channel model (4 channels in the rewrite) and odd input sizes stay dense under
    /// the fast choice; switching the rewrite off keeps every k5s2 layer dense.
    func testFallsBackToDenseWhereTheRewriteDoesNotApply() {
        ConvolutionSelection.choice = .fast
        let first = makeConv(cin: 1, cout: 32, seed: 1)
        _ = first.forward(GradientCheck.random([1, 96, 96, 1], seed: 1))
        XCTAssertEqual(first.algorithm, .dense)
        let odd = makeConv(cin: 32, cout: 64, seed: 2)
        _ = odd.forward(GradientCheck.random([1, 47, 48, 32], seed: 2))
        XCTAssertEqual(odd.algorithm, .dense)
        _ = odd.forward(GradientCheck.random([1, 48, 48, 32], seed: 2))
        XCTAssertEqual(odd.algorithm, .winogradF4)
        ConvolutionSelection.polyphase = false
        _ = odd.forward(GradientCheck.random([1, 48, 48, 32], seed: 2))
        XCTAssertEqual(odd.algorithm, .dense)
    }

    /// Under the fast choice a 12×12 layer, whose rewrite (6×6) gets F(2×2), stays dense in fp32 and runs
    /// the rewrite under bf16 (`ConvolutionSelection.usesPolyphase`).
    func testTwelvePixelLayerRunsTheRewriteOnlyUnderBF16() {
        ConvolutionSelection.choice = .fast
        defer { MatmulPrecision.global = .fp32 }
        for (precision, want) in [(MatmulPrecision.fp32, ConvAlgorithm.dense), (.bf16, .winogradF2)] {
            MatmulPrecision.global = precision
            let conv = makeConv(cin: 32, cout: 48, seed: 5)
            _ = conv.forward(GradientCheck.random([2, 12, 12, 32], seed: 5))
            XCTAssertEqual(conv.algorithm, want, "\(precision)")
        }
    }

    /// Input, weight and bias gradients of a rewritten layer against finite differences (F(2×2) and F(4×4)).
    func testGradientsMatchFiniteDifferences() {
        for choice in [ConvAlgorithmChoice.f2, .f4] {
            ConvolutionSelection.choice = choice
            var rng = SeededRNG(seed: 5)
            // Linear, so eps 1e-2 is exact up to rounding (see WinogradTests).
            let conv = Conv2D(name: "d", inChannels: 3, outChannels: 4, kernel: 5, stride: 2, workspace: Workspace(), rng: &rng)
            GradientCheck.check(conv, input: GradientCheck.random([2, 8, 6, 3], seed: 6), samples: 16, eps: 1e-2)
            XCTAssertEqual(conv.algorithm.winogradTile != nil, true, "\(choice)")
        }
    }
}
