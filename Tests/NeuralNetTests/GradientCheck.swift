import XCTest
@testable import NeuralNet

/// Central finite differences against analytic gradients, for the objective Σ y·r with a fixed random r.
enum GradientCheck {
    static func random(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
        var rng = SeededRNG(seed: seed)
        let t = Tensor(shape: shape)
        for i in 0..<t.count { t.data[i] = (rng.nextUnitFloat() * 2 - 1) * scale }
        return t
    }

    static func dot(_ a: Tensor, _ b: Tensor) -> Double {
        var s: Double = 0
        for i in 0..<a.count { s += Double(a.data[i]) * Double(b.data[i]) }
        return s
    }

    /// Checks dObjective/dx and every parameter gradient of `layer` at `x` on up to `samples` coordinates each.
    static func check(_ layer: Layer, input x: Tensor, samples: Int = 12, eps: Float = 1e-3, tol: Double = 1e-2,
                      checkInput: Bool = true, file: StaticString = #filePath, line: UInt = #line) {
        let y0 = layer.forward(x)
        let r = random(y0.shape, seed: 99)
        for p in layer.parameters { p.grad.zero() }
        let dx = layer.backward(r)
        let dxCopy = Tensor(shape: dx.shape); if dx.count == x.count { dxCopy.copy(from: dx) }
        let grads = layer.parameters.map { p -> [Float] in p.grad.array }
        func objective() -> Double { dot(layer.forward(x), r) }
        // A coordinate whose ±eps probe straddles a kink of a leaky ReLU has different one-sided slopes;
        // the function is not differentiable there, so such probes are skipped (and counted).
        func probe(_ t: Tensor, _ analytic: (Int) -> Float, what: String) {
            var rng = SeededRNG(seed: 7)
            var skipped = 0
            let n = min(samples, t.count)
            for s in 0..<n {
                let i = samples >= t.count ? s : Int(rng.next() % UInt64(t.count))
                let old = t.data[i]
                let f0 = objective()
                t.data[i] = old + eps; let fp = objective()
                t.data[i] = old - eps; let fm = objective()
                t.data[i] = old
                let right = (fp - f0) / Double(eps), left = (f0 - fm) / Double(eps)
                if abs(right - left) > 0.05 * max(abs(right), abs(left), 0.05) { skipped += 1; continue }
                let numeric = (fp - fm) / (2 * Double(eps))
                let a = Double(analytic(i))
                let err = abs(numeric - a) / max(0.05, abs(numeric), abs(a))
                XCTAssertLessThan(err, tol, "\(what)[\(i)]: numeric \(numeric) analytic \(a)", file: file, line: line)
            }
            XCTAssertLessThanOrEqual(skipped, n / 3, "\(what): too many probes at kinks", file: file, line: line)
        }
        if checkInput { probe(x, { dxCopy.data[$0] }, what: "input") }
        for (k, p) in layer.parameters.enumerated() { probe(p.value, { grads[k][$0] }, what: p.name) }
    }
}
