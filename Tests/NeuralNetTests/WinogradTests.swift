import XCTest
@testable import NeuralNet

/// Winograd F(2×2,3×3) and F(4×4,3×3) (forward, input gradient, weight gradient) against a direct convolution written from the definition (float64
/// accumulation) and against the dense im2col path.
///
/// Error measure, per element i: |got_i − ref_i| / Σ_taps |x·w| at i — the error relative to the scale that
/// bounds a float32 dot product's rounding error (a plain |got − ref| / |ref| is unbounded where the
/// sum cancels to near zero). Measured maxima (this file's shapes, random inputs in [-1, 1], Glorot
/// weights): dense ≈ 1e-7, F(2×2) ≈ 2e-7, F(4×4) ≈ 1e-6; the bounds below leave a margin of ~10×.
final class WinogradTests: XCTestCase {
    static let tolerance: [ConvAlgorithmChoice: Double] = [.dense: 2e-6, .f2: 5e-6, .f4: 2e-5]

    override func tearDown() { ConvolutionSelection.choice = .fast }

    /// Every 3×3 stride-1 convolution (height = width, in → out) of the four bench configurations, as built by
    /// `SAEHD/Networks.swift` (Upscale convs have 4× the block's outputs; the `d` head runs as one 3×3 conv
    /// with 4·C outputs; `t` adds the encoder's residual blocks).
    static let benchShapes: [(size: Int, cin: Int, cout: Int)] = [
        // df-ud-96-256-64-64-22 (3 channels): inter upscale, decoder, mask decoder, head.
        (3, 256, 1024), (6, 256, 2048), (12, 512, 512), (12, 512, 1024), (24, 256, 256), (24, 256, 512),
        (48, 128, 128), (48, 128, 12), (6, 256, 704), (12, 176, 352), (24, 88, 176), (48, 44, 88),
        // liae-ud-96-32-32-32-16 (1 channel)
        (3, 64, 256), (6, 128, 1024), (12, 256, 256), (12, 256, 512), (24, 128, 128), (24, 128, 256),
        (48, 64, 64), (48, 64, 4), (6, 128, 512), (12, 128, 256), (24, 64, 128), (48, 32, 64),
        // df-udt-192-128-48-32-16 (1 channel): encoder residual blocks, decoder, mask decoder, head.
        (96, 48, 48), (6, 384, 384), (6, 128, 1024), (12, 256, 1024), (24, 256, 512), (48, 128, 256),
        (96, 64, 64), (96, 64, 4), (6, 128, 512), (12, 128, 512), (24, 128, 256), (48, 64, 128), (96, 32, 64),
        // df-udt-256-96-32-32-16 (1 channel)
        (128, 32, 32), (8, 256, 256), (8, 96, 1024), (16, 256, 256), (16, 256, 1024), (32, 256, 256),
        (32, 256, 512), (64, 128, 128), (64, 128, 256), (128, 64, 64), (128, 64, 4), (8, 96, 512),
        (16, 128, 512), (32, 128, 256), (64, 64, 128), (128, 32, 64),
    ]

    // MARK: - Reference

    /// Direct 3×3 padding-1 convolution at output pixel (n, oy, ox): (value, Σ|x·w|) per output channel.
    static func direct(_ x: Tensor, _ w: UnsafePointer<Float>, cout: Int, n: Int, oy: Int, ox: Int)
        -> (value: [Double], scale: [Double]) {
        let h = x.shape[1], wd = x.shape[2], cin = x.shape[3]
        var value = [Double](repeating: 0, count: cout), scale = value
        for ky in 0..<3 { for kx in 0..<3 {
            let iy = oy + ky - 1, ix = ox + kx - 1
            if iy < 0 || ix < 0 || iy >= h || ix >= wd { continue }
            let px = x.data + ((n * h + iy) * wd + ix) * cin
            for ci in 0..<cin {
                let xv = Double(px[ci]), row = w + ((ky * 3 + kx) * cin + ci) * cout
                for co in 0..<cout { let p = xv * Double(row[co]); value[co] += p; scale[co] += abs(p) }
            }
        }}
        return (value, scale)
    }

    /// Output pixels to check against the direct reference: all border pixels of the first sample, and up
    /// to `interior` random ones of every sample (the direct reference is slow for the big shapes).
    static func checkedPixels(batch: Int, h: Int, w: Int, interior: Int, seed: UInt64) -> [(Int, Int, Int)] {
        var out: [(Int, Int, Int)] = []
        for oy in 0..<h { for ox in 0..<w where oy < 2 || ox < 2 || oy >= h - 2 || ox >= w - 2 { out.append((0, oy, ox)) } }
        var rng = SeededRNG(seed: seed)
        for n in 0..<batch { for _ in 0..<interior {
            out.append((n, Int(rng.next() % UInt64(h)), Int(rng.next() % UInt64(w))))
        }}
        return out
    }

    /// Largest per-element error of `y` (n, h, w, cout) against the direct convolution of `x` with HWIO `w`.
    static func worstError(_ y: Tensor, _ x: Tensor, _ w: UnsafePointer<Float>, bias: [Float]?, interior: Int) -> Double {
        let h = y.shape[1], wd = y.shape[2], cout = y.shape[3]
        var worst = 0.0
        for (n, oy, ox) in checkedPixels(batch: y.shape[0], h: h, w: wd, interior: interior, seed: UInt64(h * 131 + cout)) {
            let (value, scale) = direct(x, w, cout: cout, n: n, oy: oy, ox: ox)
            let got = y.data + ((n * h + oy) * wd + ox) * cout
            for co in 0..<cout {
                let ref = value[co] + Double(bias?[co] ?? 0)
                worst = max(worst, abs(Double(got[co]) - ref) / max(scale[co], 1e-30))
            }
        }
        return worst
    }

    /// Largest per-element error of the weight gradient `dw` (3, 3, cin, cout) against its definition
    /// dW[ky, kx, ci, co] = Σ x[n, oy+ky-1, ox+kx-1, ci] · dy[n, oy, ox, co], relative to Σ |x · dy|.
    static func worstWeightGradientError(_ dw: Tensor, _ x: Tensor, _ dy: Tensor) -> Double {
        let n = x.shape[0], h = x.shape[1], w = x.shape[2], cin = x.shape[3], cout = dy.shape[3]
        var worst = 0.0
        for ky in 0..<3 { for kx in 0..<3 {
            var value = [Double](repeating: 0, count: cin * cout), scale = value
            for s in 0..<n { for oy in 0..<h { for ox in 0..<w {
                let iy = oy + ky - 1, ix = ox + kx - 1
                if iy < 0 || ix < 0 || iy >= h || ix >= w { continue }
                let px = x.data + ((s * h + iy) * w + ix) * cin, g = dy.data + ((s * h + oy) * w + ox) * cout
                for ci in 0..<cin { for co in 0..<cout {
                    let p = Double(px[ci]) * Double(g[co]); value[ci * cout + co] += p; scale[ci * cout + co] += abs(p)
                }}
            }}}
            let got = dw.data + (ky * 3 + kx) * cin * cout
            for i in 0..<(cin * cout) { worst = max(worst, abs(Double(got[i]) - value[i]) / max(scale[i], 1e-30)) }
        }}
        return worst
    }

    /// The flipped, transposed kernel W'[ky, kx, co, ci] = W[2-ky, 2-kx, ci, co] (HWIO of the dx convolution).
    static func flipped(_ w: Tensor, cin: Int, cout: Int) -> [Float] {
        var f = [Float](repeating: 0, count: 9 * cin * cout)
        for tap in 0..<9 { for ci in 0..<cin { for co in 0..<cout {
            f[(tap * cout + co) * cin + ci] = w.data[((8 - tap) * cin + ci) * cout + co]
        }}}
        return f
    }

    func makeConv(cin: Int, cout: Int, activation: Activation = .identity, shuffle: Bool = false, seed: UInt64) -> Conv2D {
        var rng = SeededRNG(seed: seed)
        let conv = Conv2D(name: "c", inChannels: cin, outChannels: cout, kernel: 3, activation: activation,
                          pixelShuffle: shuffle, workspace: Workspace(), rng: &rng)
        for i in 0..<cout { conv.bias.value.data[i] = Float(i % 7) * 0.1 - 0.3 }
        return conv
    }

    // MARK: - Tests

    /// Odd heights and widths (partial border tiles), channel counts off the 8-lane vector width, batch > 1.
    func testForwardAndInputGradientOnOddSizesAndBorders() {
        for choice in [ConvAlgorithmChoice.dense, .f2, .f4] {
            ConvolutionSelection.choice = choice
            for (n, h, w, cin, cout) in [(1, 1, 1, 1, 1), (2, 2, 3, 3, 5), (2, 5, 7, 9, 4), (1, 7, 7, 17, 11),
                                         (3, 9, 4, 8, 16), (1, 13, 6, 12, 3)] {
                let conv = makeConv(cin: cin, cout: cout, seed: UInt64(h * 10 + w))
                let x = GradientCheck.random([n, h, w, cin], seed: 1)
                let y = conv.forward(x)
                XCTAssertEqual(conv.algorithm.winogradTile?.rawValue, choice == .dense ? nil : (choice == .f2 ? 2 : 4))
                let bias = conv.bias.value.array
                let fwd = Self.worstError(y, x, conv.weight.value.data, bias: bias, interior: h * w)
                XCTAssertLessThan(fwd, Self.tolerance[choice]!, "\(choice) forward \(n)x\(h)x\(w) \(cin)->\(cout)")
                let dy = GradientCheck.random(y.shape, seed: 2)
                conv.weight.grad.zero()
                let dx = conv.backward(dy)
                let dw = Self.worstWeightGradientError(conv.weight.grad, x, dy)
                XCTAssertLessThan(dw, Self.tolerance[choice]!, "\(choice) dW \(n)x\(h)x\(w) \(cin)->\(cout)")
                let f = Self.flipped(conv.weight.value, cin: cin, cout: cout)
                let bwd = f.withUnsafeBufferPointer { Self.worstError(dx, dy, $0.baseAddress!, bias: nil, interior: h * w) }
                XCTAssertLessThan(bwd, Self.tolerance[choice]!, "\(choice) dx \(n)x\(h)x\(w) \(cin)->\(cout)")
                GradientPool.give(dx)
            }
        }
    }

    /// Bias, leaky ReLU and the fused pixel shuffle of the Upscale block give the same output as the dense path.
    func testFusedActivationAndPixelShuffleMatchDense() {
        for act in [Activation.leakyReLU(0.1), .sigmoid] {
            var outputs: [ConvAlgorithmChoice: [Float]] = [:]
            for choice in [ConvAlgorithmChoice.dense, .f2, .f4] {
                ConvolutionSelection.choice = choice
                let conv = makeConv(cin: 10, cout: 12, activation: act, shuffle: true, seed: 4)
                let y = conv.forward(GradientCheck.random([2, 5, 6, 10], seed: 3))
                XCTAssertEqual(y.shape, [2, 10, 12, 3])
                outputs[choice] = y.array
            }
            for choice in [ConvAlgorithmChoice.f2, .f4] {
                let worst = zip(outputs[choice]!, outputs[.dense]!).map { abs(Double($0) - Double($1)) }.max()!
                XCTAssertLessThan(worst, 1e-5, "\(choice) \(act)")
            }
        }
    }

    /// Full gradients (input, weight, bias) of a Winograd layer against finite differences.
    func testWinogradLayerGradientsMatchFiniteDifferences() {
        for choice in [ConvAlgorithmChoice.f2, .f4] {
            ConvolutionSelection.choice = choice
            // Linear (no kinks), so eps 1e-2 is exact up to rounding; F(4×4)'s float32 rounding would dominate
            // differences of 1e-3.
            let conv = makeConv(cin: 3, cout: 4, activation: .identity, seed: 9)
            GradientCheck.check(conv, input: GradientCheck.random([2, 6, 5, 3], seed: 1), samples: 16, eps: 1e-2)
        }
    }

    /// Every 3×3 stride-1 layer shape of the bench configurations, batch 2, forward and input gradient:
    /// Winograd against the direct reference (border pixels and random interior ones) and against the dense
    /// path (every element).
    func testBenchLayerShapesAgreeWithDirectAndDense() {
        var report: [String] = []
        for (size, cin, cout) in Self.benchShapes {
            let conv = makeConv(cin: cin, cout: cout, seed: UInt64(size * 7 + cin))
            let x = GradientCheck.random([2, size, size, cin], seed: 5)
            let dy = GradientCheck.random([2, size, size, cout], seed: 6)
            var dense: (y: [Float], dx: [Float], dw: [Float]) = ([], [], [])
            var line = "\(size)x\(size) \(cin)->\(cout)"
            for choice in [ConvAlgorithmChoice.dense, .f2, .f4] {
                ConvolutionSelection.choice = choice
                let y = conv.forward(x)
                conv.weight.grad.zero()
                let dx = conv.backward(dy)
                let interior = max(4, 64 / max(1, cin * cout / 4096))
                let fwd = Self.worstError(y, x, conv.weight.value.data, bias: conv.bias.value.array, interior: interior)
                let f = Self.flipped(conv.weight.value, cin: cin, cout: cout)
                let bwd = f.withUnsafeBufferPointer { Self.worstError(dx, dy, $0.baseAddress!, bias: nil, interior: interior) }
                XCTAssertLessThan(fwd, Self.tolerance[choice]!, "\(choice) forward \(line)")
                XCTAssertLessThan(bwd, Self.tolerance[choice]!, "\(choice) dx \(line)")
                if choice == .dense {
                    dense = (y.array, dx.array, conv.weight.grad.array)
                } else {
                    // Against dense over all elements, relative to the largest dense magnitude.
                    for (got, want, what) in [(y.array, dense.y, "y"), (dx.array, dense.dx, "dx"),
                                              (conv.weight.grad.array, dense.dw, "dW")] {
                        var num = 0.0, den = 1e-30
                        for i in got.indices { num = max(num, Double(abs(got[i] - want[i]))); den = max(den, Double(abs(want[i]))) }
                        XCTAssertLessThan(num / den, choice == .f2 ? 1e-5 : 1e-4, "\(choice) \(what) vs dense \(line)")
                        if what == "dW" { line += String(format: " %@ dW-vs-dense=%.1e", choice.rawValue, num / den) }
                    }
                }
                line += String(format: " %@ fwd=%.1e dx=%.1e", choice.rawValue, fwd, bwd)
                GradientPool.give(dx)
            }
            report.append(line)
        }
        print("Winograd per-element errors (|got-ref| / Σ|x·w|):\n" + report.joined(separator: "\n"))
    }
}
