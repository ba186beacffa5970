import XCTest
@testable import NeuralNet

final class LayerGradientTests: XCTestCase {
    let ws = Workspace()

    func testConvolutionGradients() {
        for (k, s, act) in [(1, 1, Activation.identity), (3, 1, .leakyReLU(0.2)), (5, 2, .leakyReLU(0.1)),
                            (3, 2, .sigmoid), (3, 1, .sigmoid)] {
            var rng = SeededRNG(seed: UInt64(k * 10 + s))
            let conv = Conv2D(name: "c", inChannels: 3, outChannels: 4, kernel: k, stride: s, activation: act,
                              workspace: ws, rng: &rng)
            for i in 0..<conv.bias.value.count { conv.bias.value.data[i] = Float(i) * 0.1 - 0.15 }
            GradientCheck.check(conv, input: GradientCheck.random([2, 6, 6, 3], seed: 1), samples: 16)
        }
    }

    /// The symmetric padding of docs/saehd-model.md §1.0 against a direct convolution written from the definition.
    func testConvolutionMatchesDirectDefinition() {
        for (k, s, h) in [(5, 2, 8), (3, 1, 5), (3, 2, 7), (1, 1, 4)] {
            var rng = SeededRNG(seed: 3)
            let cin = 2, cout = 3
            let conv = Conv2D(name: "c", inChannels: cin, outChannels: cout, kernel: k, stride: s, workspace: ws, rng: &rng)
            for i in 0..<cout { conv.bias.value.data[i] = Float(i) }
            let x = GradientCheck.random([2, h, h, cin], seed: 5)
            let y = conv.forward(x)
            let pad = (k - 1) / 2, ho = (h + 2 * pad - k) / s + 1
            XCTAssertEqual(y.shape, [2, ho, ho, cout])
            if k == 5 && s == 2 { XCTAssertEqual(ho, h / 2) }
            for n in 0..<2 { for oy in 0..<ho { for ox in 0..<ho { for co in 0..<cout {
                var acc = Double(co)
                for ky in 0..<k { for kx in 0..<k { for ci in 0..<cin {
                    let iy = oy * s + ky - pad, ix = ox * s + kx - pad
                    if iy < 0 || ix < 0 || iy >= h || ix >= h { continue }
                    acc += Double(x.data[((n * h + iy) * h + ix) * cin + ci]) *
                        Double(conv.weight.value.data[((ky * k + kx) * cin + ci) * cout + co])
                }}}
                XCTAssertEqual(Double(y.data[((n * ho + oy) * ho + ox) * cout + co]), acc, accuracy: 1e-5)
            }}}}
        }
    }

    func testConvolutionChunkedColumnsMatchOneChunk() {
        // A batch larger than one column chunk must give the same result as one sample at a time.
        var rng = SeededRNG(seed: 11)
        let conv = Conv2D(name: "c", inChannels: 2, outChannels: 2, kernel: 3, workspace: ws, rng: &rng)
        let x = GradientCheck.random([3, 4, 4, 2], seed: 12)
        let all = conv.forward(x).array
        for n in 0..<3 {
            let one = conv.forward(Tensor(viewOf: x, batch: n..<(n + 1))).array
            XCTAssertEqual(Array(all[(n * 32)..<((n + 1) * 32)]), one)
        }
    }

    func testPixelShuffledConvolutionEqualsConvThenDepthToSpace() {
        var rng = SeededRNG(seed: 31)
        let plain = Conv2D(name: "a", inChannels: 3, outChannels: 8, kernel: 3, activation: .leakyReLU(0.1), workspace: ws, rng: &rng)
        rng = SeededRNG(seed: 31)
        let fused = Conv2D(name: "a", inChannels: 3, outChannels: 8, kernel: 3, activation: .leakyReLU(0.1),
                           pixelShuffle: true, workspace: ws, rng: &rng)
        for i in 0..<8 { plain.bias.value.data[i] = Float(i) * 0.05; fused.bias.value.data[i] = Float(i) * 0.05 }
        let x = GradientCheck.random([2, 5, 4, 3], seed: 4)
        let want = DepthToSpace().forward(plain.forward(x))
        let got = fused.forward(x)
        XCTAssertEqual(got.shape, [2, 10, 8, 2])
        XCTAssertEqual(got.array, want.array)
        GradientCheck.check(fused, input: x, samples: 16)
    }

    /// Wide layers split the weight gradient by output columns across threads (a different code path).
    func testWideConvolutionGradients() {
        let saved = Threads.count
        Threads.set(2)
        defer { Threads.set(saved) }
        for (k, s) in [(3, 1), (1, 1), (5, 2)] {
            var rng = SeededRNG(seed: 41)
            let conv = Conv2D(name: "w", inChannels: 2, outChannels: 260, kernel: k, stride: s, activation: .sigmoid,
                              workspace: ws, rng: &rng)
            GradientCheck.check(conv, input: GradientCheck.random([2, 4, 4, 2], seed: 3), samples: 24, eps: 1e-2)
        }
    }

    func testDenseGradients() {
        var rng = SeededRNG(seed: 2)
        let d = Dense(name: "d", inFeatures: 7, outFeatures: 5, rng: &rng)
        GradientCheck.check(d, input: GradientCheck.random([3, 7], seed: 4), samples: 20)
    }

    func testActivationGradients() {
        GradientCheck.check(ActivationLayer(.leakyReLU(0.1)), input: GradientCheck.random([2, 3, 3, 2], seed: 8))
        GradientCheck.check(ActivationLayer(.sigmoid), input: GradientCheck.random([2, 3, 3, 2], seed: 9, scale: 3))
    }

    func testLeakyReLUAndSigmoidValues() {
        let x = Tensor(shape: [1, 4], values: [-2, -0.5, 0.5, 3])
        XCTAssertEqual(ActivationLayer(.leakyReLU(0.1)).forward(x).array, [-0.2, -0.05, 0.5, 3])
        XCTAssertEqual(ActivationLayer(.leakyReLU(0.2)).forward(x).array, [-0.4, -0.1, 0.5, 3])
        let s = ActivationLayer(.sigmoid).forward(Tensor(shape: [1, 1], values: [0])).array
        XCTAssertEqual(s, [0.5])
    }

    func testDepthToSpaceIsDCR() {
        // in (1,1,1,8): channel (dy*2+dx)*C + c with C = 2.
        let x = Tensor(shape: [1, 1, 1, 8], values: [0, 1, 2, 3, 4, 5, 6, 7])
        let y = DepthToSpace().forward(x)
        XCTAssertEqual(y.shape, [1, 2, 2, 2])
        // out[dy][dx][c] = in[(dy*2+dx)*2 + c] → row-major (dy, dx, c) is the identity order here.
        XCTAssertEqual(y.array, [0, 1, 2, 3, 4, 5, 6, 7])
        let x2 = GradientCheck.random([1, 2, 2, 4], seed: 3)
        let y2 = DepthToSpace().forward(x2)
        // out[2h+dy, 2w+dx, 0] = in[h, w, dy*2+dx]
        XCTAssertEqual(y2.data[(1 * 4 + 2) * 1], x2.data[(0 * 2 + 1) * 4 + 2])  // h0 w1 dy1 dx0
        GradientCheck.check(DepthToSpace(), input: GradientCheck.random([2, 2, 3, 8], seed: 4))
    }

    func testFlattenAndReshapeUseCHWOrder() {
        // (1, h=1, w=2, c=3): NHWC [p0c0 p0c1 p0c2 p1c0 p1c1 p1c2] → CHW [c0p0 c0p1 c1p0 c1p1 c2p0 c2p1].
        let x = Tensor(shape: [1, 1, 2, 3], values: [0, 1, 2, 3, 4, 5])
        XCTAssertEqual(FlattenCHW().forward(x).array, [0, 3, 1, 4, 2, 5])
        let r = ReshapeCHW(height: 1, width: 2, channels: 3).forward(Tensor(shape: [1, 6], values: [0, 3, 1, 4, 2, 5]))
        XCTAssertEqual(r.array, [0, 1, 2, 3, 4, 5])
        GradientCheck.check(FlattenCHW(), input: GradientCheck.random([2, 2, 3, 4], seed: 4))
        GradientCheck.check(ReshapeCHW(height: 2, width: 3, channels: 2), input: GradientCheck.random([2, 12], seed: 4))
    }

    func testPixelNorm() {
        let x = Tensor(shape: [1, 2], values: [3, 4])
        let y = PixelNorm().forward(x).array
        let r = 1 / (12.5 + 1e-6).squareRoot()
        XCTAssertEqual(Double(y[0]), 3 * r, accuracy: 1e-6)
        XCTAssertEqual(Double(y[1]), 4 * r, accuracy: 1e-6)
        GradientCheck.check(PixelNorm(), input: GradientCheck.random([3, 10], seed: 6), samples: 30, eps: 1e-3)
    }

    func testBlocks() {
        var rng = SeededRNG(seed: 21)
        GradientCheck.check(ResidualBlock(name: "rb", channels: 3, workspace: ws, rng: &rng),
                            input: GradientCheck.random([2, 4, 4, 3], seed: 2), samples: 16)
        let up = Upscale(name: "up", inChannels: 3, outChannels: 2, workspace: ws, rng: &rng)
        XCTAssertEqual(up.forward(GradientCheck.random([1, 3, 3, 3], seed: 1)).shape, [1, 6, 6, 2])
        GradientCheck.check(up, input: GradientCheck.random([2, 3, 3, 3], seed: 2), samples: 16)
        let down = makeDownscale(name: "down", inChannels: 2, outChannels: 3, workspace: ws, rng: &rng)
        GradientCheck.check(down, input: GradientCheck.random([2, 6, 6, 2], seed: 2), samples: 16)
    }

    func testAddAndConcat() {
        let a = GradientCheck.random([1, 2, 2, 1], seed: 1), b = GradientCheck.random([1, 2, 2, 2], seed: 2)
        let cat = Concat()
        let y = cat.forward([a, b])
        XCTAssertEqual(y.shape, [1, 2, 2, 3])
        XCTAssertEqual(y.data[3], a.data[1]); XCTAssertEqual(y.data[4], b.data[2]); XCTAssertEqual(y.data[5], b.data[3])
        let parts = cat.backward(y)
        XCTAssertEqual(parts[0].array, a.array); XCTAssertEqual(parts[1].array, b.array)
        let s = Add().forward(a, a)
        XCTAssertEqual(s.array, a.array.map { 2 * $0 })
    }
}
