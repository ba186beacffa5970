import TestSupport
import XCTest
@testable import NeuralNet

/// DFL's style loss (docs/saehd-model.md §3.4): value against a direct Double implementation (2-D blur, no
/// separability),
/// gradient against central differences.
final class StyleLossTests: XCTestCase {
    func image(_ shape: [Int], seed: UInt64) -> Tensor {
        var rng = SeededRNG(seed: seed)
        let t = Tensor(shape: shape)
        for i in 0..<t.count { t.data[i] = rng.nextUnitFloat() }
        return t
    }

    /// The blur of docs/saehd-model.md §3.2 from its rule (TestSupport), for a tensor.
    func referenceBlur(_ t: Tensor, sigma: Double) -> [Double] {
        referenceGaussianBlur(t.array, shape: t.shape, sigma: sigma)
    }

    func referenceStyle(_ a: Tensor, _ b: Tensor, sigma: Double, weight: Double) -> [Double] {
        let (n, h, w, ch) = (a.shape[0], a.shape[1], a.shape[2], a.shape[3])
        let x = sigma > 0 ? referenceBlur(a, sigma: sigma) : a.array.map(Double.init)
        let y = sigma > 0 ? referenceBlur(b, sigma: sigma) : b.array.map(Double.init)
        let hw = Double(h * w)
        return (0..<n).map { s in
            var total = 0.0
            for c in 0..<ch {
                func moments(_ v: [Double]) -> (Double, Double) {
                    let vals = (0..<(h * w)).map { v[(s * h * w + $0) * ch + c] }
                    let m = vals.reduce(0, +) / hw
                    return (m, (vals.map { ($0 - m) * ($0 - m) }.reduce(0, +) / hw + 1e-5).squareRoot())
                }
                let (m1, s1) = moments(x), (m2, s2) = moments(y)
                total += (m1 - m2) * (m1 - m2) + (s1 - s2) * (s1 - s2)
            }
            return total * weight / Double(ch)
        }
    }

    func testValueMatchesDefinition() {
        for (sigma, ch) in [(Float(0), 3), (2, 1), (3, 3)] {
            let a = image([2, 12, 10, ch], seed: 1), b = image([2, 12, 10, ch], seed: 2)
            for i in 0..<b.count { b.data[i] = b.data[i] * 0.5 + 0.3 }
            let got = StyleLoss(blurSigma: sigma, weight: 7).evaluate(content: a, style: b)
            let want = referenceStyle(a, b, sigma: Double(sigma), weight: 7)
            for s in 0..<2 { XCTAssertEqual(got[s], want[s], accuracy: 1e-6 * max(1, abs(want[s])), "σ \(sigma) C \(ch)") }
            XCTAssertGreaterThan(want[0], 1e-3)
            XCTAssertEqual(StyleLoss(blurSigma: sigma, weight: 7).evaluate(content: a, style: a)[0], 0, accuracy: 1e-9)
        }
    }

    func testGradientMatchesFiniteDifferences() {
        for (sigma, ch) in [(Float(0), 2), (2, 3)] {
            let a = image([2, 11, 9, ch], seed: 3), b = image([2, 11, 9, ch], seed: 4)
            for i in 0..<b.count { b.data[i] = b.data[i] * 0.4 + 0.5 }
            let loss = StyleLoss(blurSigma: sigma, weight: 3)
            let g = Tensor(shape: a.shape)
            _ = loss.evaluate(content: a, style: b, gradient: g)
            func total() -> Double { loss.evaluate(content: a, style: b).reduce(0, +) }
            var rng = SeededRNG(seed: 5)
            for _ in 0..<20 {
                let i = Int(rng.next() % UInt64(a.count))
                let old = a.data[i], eps: Float = 1e-2
                a.data[i] = old + eps; let fp = total()
                a.data[i] = old - eps; let fm = total()
                a.data[i] = old
                let numeric = (fp - fm) / (2 * Double(eps))
                XCTAssertEqual(Double(g.data[i]), numeric, accuracy: 2e-3 * max(abs(numeric), 1e-3), "σ \(sigma) [\(i)]")
            }
        }
    }
}
