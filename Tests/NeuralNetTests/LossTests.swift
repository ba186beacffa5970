import XCTest
@testable import NeuralNet

final class LossTests: XCTestCase {
    /// DSSIM straight from docs/saehd-model.md §3.3 in Double with the 2-D window (softmax form), no separability.
    func referenceDSSIM(_ a: Tensor, _ b: Tensor, k: Int) -> [Double] {
        let (n, h, w, ch) = (a.shape[0], a.shape[1], a.shape[2], a.shape[3])
        let c = Double(k - 1) / 2
        var win = [Double](repeating: 0, count: k * k)
        for i in 0..<k { for j in 0..<k { win[i * k + j] = exp(-0.5 * ((Double(i) - c) * (Double(i) - c) + (Double(j) - c) * (Double(j) - c)) / 2.25) } }
        let sum = win.reduce(0, +); win = win.map { $0 / sum }
        let c1 = 1e-4, c2 = 9e-4
        return (0..<n).map { s in
            var perChannel = 0.0
            for cc in 0..<ch {
                func px(_ t: Tensor, _ y: Int, _ x: Int) -> Double { Double(t.data[((s * h + y) * w + x) * ch + cc]) }
                var total = 0.0
                for y in 0...(h - k) { for x in 0...(w - k) {
                    var ma = 0.0, mb = 0.0, sab = 0.0, q = 0.0
                    for i in 0..<k { for j in 0..<k {
                        let wt = win[i * k + j], av = px(a, y + i, x + j), bv = px(b, y + i, x + j)
                        ma += wt * av; mb += wt * bv; sab += wt * av * bv; q += wt * (av * av + bv * bv)
                    }}
                    let lum = (2 * ma * mb + c1) / (ma * ma + mb * mb + c1)
                    let cs = (2 * sab - 2 * ma * mb + c2) / (q - ma * ma - mb * mb + c2)
                    total += lum * cs
                }}
                perChannel += (1 - total / Double((h - k + 1) * (w - k + 1))) / 2
            }
            return perChannel / Double(ch)
        }
    }

    func image(_ shape: [Int], seed: UInt64) -> Tensor {
        var rng = SeededRNG(seed: seed)
        let t = Tensor(shape: shape)
        for i in 0..<t.count { t.data[i] = rng.nextUnitFloat() }
        return t
    }

    func testDSSIMFilterSizesAndWindow() {
        XCTAssertEqual([64, 96, 128, 160, 192, 224, 256].map { DSSIM.filterSize(resolution: $0) }, [5, 8, 11, 13, 16, 19, 22])
        XCTAssertEqual(DSSIM.filterSize(resolution: 256, second: true), 11)
        let d = DSSIM(filterSize: 8)
        XCTAssertEqual(Double(d.window.reduce(0, +)), 1, accuracy: 1e-6)
        XCTAssertEqual(d.window[3], d.window[4])  // even size: centre at 3.5
    }

    func testDSSIMValueMatchesDefinition() {
        for (k, ch) in [(5, 1), (8, 3), (4, 2)] {
            let a = image([2, 12, 11, ch], seed: 1), b = image([2, 12, 11, ch], seed: 2)
            let got = DSSIM(filterSize: k).evaluate(target: a, prediction: b)
            let want = referenceDSSIM(a, b, k: k)
            for s in 0..<2 { XCTAssertEqual(got[s], want[s], accuracy: 1e-5) }
            XCTAssertEqual(DSSIM(filterSize: k).evaluate(target: a, prediction: a)[0], 0, accuracy: 1e-5)
        }
    }

    /// The 16-lane passes give the scalar loops' bits: values and gradients, widths with and without a
    /// scalar tail, windows of 5 and 11 (the inner columns of the gradient's last pass need w ≥ k + 30).
    func testDSSIMVectorPassesEqualScalarLoops() {
        defer { DSSIM.vectorPasses = true }
        for (shape, k) in [([2, 40, 37, 1], 5), ([1, 50, 64, 3], 11), ([2, 20, 20, 2], 5)] {
            let a = image(shape, seed: 31), b = image(shape, seed: 32)
            var results: [([Double], [Float])] = []
            for vector in [true, false] {
                DSSIM.vectorPasses = vector
                let g = Tensor(shape: b.shape)
                let v = DSSIM(filterSize: k).evaluate(target: a, prediction: b, gradientScale: 3, gradient: g)
                results.append((v, g.array))
            }
            XCTAssertEqual(results[0].0, results[1].0, "\(shape) k\(k)")
            XCTAssertEqual(results[0].1.map(\.bitPattern), results[1].1.map(\.bitPattern), "\(shape) k\(k)")
        }
    }

    /// DSSIMs sharing a workspace (as a model's losses do) give the values and gradients of DSSIMs with their
    /// own scratch, called in turn on images of different sizes (the shared buffer grows between calls).
    func testDSSIMsSharingAWorkspaceMatchOwnScratch() {
        let ws = Workspace()
        let shared = [DSSIM(filterSize: 5, workspace: ws), DSSIM(filterSize: 3, workspace: ws)]
        let own = [DSSIM(filterSize: 5), DSSIM(filterSize: 3)]
        for (round, shape) in [[2, 10, 9, 2], [1, 16, 14, 3], [2, 10, 9, 2]].enumerated() {
            let a = image(shape, seed: UInt64(10 + round)), b = image(shape, seed: UInt64(20 + round))
            for i in 0..<2 {
                let g1 = Tensor(shape: b.shape), g2 = Tensor(shape: b.shape)
                let v1 = shared[i].evaluate(target: a, prediction: b, gradientScale: 2, gradient: g1)
                let v2 = own[i].evaluate(target: a, prediction: b, gradientScale: 2, gradient: g2)
                XCTAssertEqual(v1, v2, "round \(round) dssim \(i)")
                XCTAssertEqual(g1.array, g2.array, "round \(round) dssim \(i)")
            }
        }
    }

    func testDSSIMGradient() {
        let a = image([2, 10, 9, 2], seed: 3), b = image([2, 10, 9, 2], seed: 4)
        let d = DSSIM(filterSize: 5)
        let g = Tensor(shape: b.shape)
        _ = d.evaluate(target: a, prediction: b, gradientScale: 3, gradient: g)
        var rng = SeededRNG(seed: 5)
        for _ in 0..<25 {
            let i = Int(rng.next() % UInt64(b.count))
            let old = b.data[i], eps: Float = 1e-3
            b.data[i] = old + eps; let p = referenceDSSIM(a, b, k: 5).reduce(0, +)
            b.data[i] = old - eps; let m = referenceDSSIM(a, b, k: 5).reduce(0, +)
            b.data[i] = old
            let numeric = 3 * (p - m) / (2 * Double(eps))
            XCTAssertEqual(Double(g.data[i]), numeric, accuracy: 2e-3 * max(1e-3, abs(numeric)) + 2e-5)
        }
    }

    func testElementwiseLossesAndGradients() {
        let t = image([2, 3, 3, 2], seed: 1), p = image([2, 3, 3, 2], seed: 2), m = image([2, 3, 3, 1], seed: 3)
        let mse = ElementwiseLoss.meanSquaredError(target: t, prediction: p, mask: m, weight: 10)
        var want = 0.0
        for i in 0..<18 { let mm = Double(m.data[i / 2]); let d = mm * Double(p.data[i] - t.data[i]); want += d * d }
        XCTAssertEqual(mse[0], 10 * want / 18, accuracy: 1e-5)
        for loss in [ElementwiseLoss.meanSquaredError, ElementwiseLoss.meanAbsoluteError] {
            let g = Tensor(shape: p.shape)
            _ = loss(t, p, m, 7, g)
            for i in [0, 5, 17, 20, 35] {
                let old = p.data[i], eps: Float = 1e-3
                p.data[i] = old + eps; let a = loss(t, p, m, 7, nil).reduce(0, +)
                p.data[i] = old - eps; let b = loss(t, p, m, 7, nil).reduce(0, +)
                p.data[i] = old
                XCTAssertEqual(Double(g.data[i]), (a - b) / (2e-3), accuracy: 2e-2 * max(1, abs(Double(g.data[i]))))
            }
        }
    }

    func testGaussianBlurKernelAndAdjoint() {
        // docs/saehd-model.md §2, §3.2: r96 σ3 k13; r192 σ6 k25; r256 σ8 k33.
        XCTAssertEqual(GaussianBlur(sigma: 3).size, 13)
        XCTAssertEqual(GaussianBlur(sigma: 6).size, 25)
        XCTAssertEqual(GaussianBlur(sigma: 8).size, 33)
        XCTAssertEqual(GaussianBlur(sigma: 1).size, 5)
        let blur = GaussianBlur(sigma: 1)
        XCTAssertEqual(Double(blur.weights.reduce(0, +)), 1, accuracy: 1e-6)
        // A unit impulse far from the border spreads into the outer product of the 1-D weights.
        let x = Tensor(shape: [1, 9, 9, 1]); x.data[4 * 9 + 4] = 1
        let y = Tensor(shape: x.shape), scratch = Tensor(shape: [x.count])
        blur.apply(x, into: y, scratch: scratch.data)
        XCTAssertEqual(y.data[3 * 9 + 5], blur.weights[1] * blur.weights[3], accuracy: 1e-7)
        // Adjoint: <blur(u), v> = <u, blur(v)> (zero padding included).
        let u = image([2, 6, 7, 2], seed: 1), v = image([2, 6, 7, 2], seed: 2)
        let bu = Tensor(shape: u.shape), bv = Tensor(shape: v.shape), s = Tensor(shape: [u.count])
        blur.apply(u, into: bu, scratch: s.data); blur.backward(v, into: bv, scratch: s.data)
        XCTAssertEqual(GradientCheck.dot(bu, v), GradientCheck.dot(u, bv), accuracy: 1e-4)
        // Border: zero padding lowers the edge value of a constant image.
        let ones = Tensor(shape: [1, 9, 9, 1]); for i in 0..<81 { ones.data[i] = 1 }
        blur.apply(ones, into: y, scratch: scratch.data)
        XCTAssertEqual(y.data[4 * 9 + 4], 1, accuracy: 1e-6)
        XCTAssertLessThan(y.data[0], 0.6)
    }
}
