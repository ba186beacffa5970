import XCTest
@testable import NeuralNet

final class OptimizerTests: XCTestCase {
    func param(_ values: [Float], grad: [Float]) -> Parameter {
        let p = Parameter(name: "p", shape: [values.count])
        for i in values.indices { p.value.data[i] = values[i]; p.grad.data[i] = grad[i] }
        return p
    }

    func testAdaBeliefStepsFromSpec() {
        let p = param([1, -1, 0.5], grad: [0.2, -3, 0])
        let opt = Optimizer(kind: .adabelief, parameters: [p])
        opt.step()
        // m = 0.1 g; v = 0.001 (0.9 g)^2; Δ = −lr m / (sqrt v + 1e-6), no bias correction.
        for (i, (w, g)) in zip([1.0, -1.0, 0.5], [0.2, -3.0, 0.0]).enumerated() {
            let m = 0.1 * g, v = 0.001 * (0.9 * g) * (0.9 * g)
            XCTAssertEqual(Double(p.value.data[i]), w - 5e-5 * m / (v.squareRoot() + 1e-6), accuracy: 1e-7)
            XCTAssertEqual(p.grad.data[i], 0)
        }
        // Second step with a new gradient uses the updated slots.
        p.grad.data[0] = 0.1
        let before = Double(p.value.data[0])
        opt.step()
        let m = 0.9 * 0.02 + 0.1 * 0.1, v = 0.999 * 0.001 * 0.18 * 0.18 + 0.001 * (0.1 - m) * (0.1 - m)
        XCTAssertEqual(Double(p.value.data[0]), before - 5e-5 * m / (v.squareRoot() + 1e-6), accuracy: 1e-7)
    }

    func testRMSpropAndClipNorm() {
        let p = param([0, 0], grad: [3, 4])
        var s = Optimizer.Settings(); s.clipNorm = 1
        let opt = Optimizer(kind: .rmsprop, parameters: [p], settings: s)
        opt.step()
        // Clipped to norm 1: g = (0.6, 0.8); a = 0.1 g²; Δ = −lr g/(sqrt a + 1e-6).
        for (i, g) in [0.6, 0.8].enumerated() {
            XCTAssertEqual(Double(p.value.data[i]), -5e-5 * g / ((0.1 * g * g).squareRoot() + 1e-6), accuracy: 1e-8)
        }
    }

    func testLearningRateDropoutMovesAboutThirtyPercent() {
        let n = 20_000
        let p = Parameter(name: "p", shape: [n])
        for i in 0..<n { p.grad.data[i] = 1 }
        var s = Optimizer.Settings(); s.learningRateDropout = 0.3; s.cosinePeriod = 500; s.seed = 9
        let opt = Optimizer(kind: .rmsprop, parameters: [p], settings: s)
        opt.step()
        let moved = (0..<n).filter { p.value.data[$0] != 0 }.count
        XCTAssertEqual(Double(moved) / Double(n), 0.3, accuracy: 0.02)
        // Cosine cycle: at t = 250 of 500 the rate is zero.
        opt.iterations = 250
        let before = p.value.array
        for i in 0..<n { p.grad.data[i] = 1 }
        opt.step()
        XCTAssertEqual(p.value.array, before)
    }
    /// The update runs 16 lanes at a time where learning-rate dropout is off; each element must still be the
    /// float32 formula's result in its stated order (the scalar path, which the 37-element tail also takes),
    /// bit for bit, so a model's training does not depend on the lanes. Two steps, so the slots are non-zero;
    /// clip norm on, so the gradients are scaled.
    func testVectorUpdateIsTheScalarFormulaBitForBit() {
        for kind in [Optimizer.Kind.adabelief, .rmsprop] {
            let n = 4096 + 37
            var rng = SeededRNG(seed: 21)
            let p = Parameter(name: "p", shape: [n])
            for i in 0..<n { p.value.data[i] = rng.nextUnitFloat() * 2 - 1 }
            var s = Optimizer.Settings(); s.clipNorm = 0.5
            let opt = Optimizer(kind: kind, parameters: [p], settings: s)
            var w = p.value.array, s0 = [Float](repeating: 0, count: n), s1 = s0
            for _ in 0..<2 {
                let g = (0..<n).map { _ in (rng.nextUnitFloat() * 2 - 1) * 0.1 }
                for i in 0..<n { p.grad.data[i] = g[i] }
                let norm = opt.gradientNorm()  // the scale is not under test here
                opt.step()
                let scale: Float = norm >= s.clipNorm ? s.clipNorm / norm : 1, lr = s.learningRate
                for i in 0..<n {
                    let grad = g[i] * scale
                    if kind == .rmsprop {
                        let a = Optimizer.rho * s0[i] + (1 - Optimizer.rho) * grad * grad
                        s0[i] = a
                        w[i] += -lr * grad / (a.squareRoot() + Optimizer.epsilon)
                    } else {
                        let m = Optimizer.beta1 * s0[i] + (1 - Optimizer.beta1) * grad
                        let d = grad - m
                        let v = Optimizer.beta2 * s1[i] + (1 - Optimizer.beta2) * d * d
                        s0[i] = m; s1[i] = v
                        w[i] += -lr * m / (v.squareRoot() + Optimizer.epsilon)
                    }
                }
            }
            XCTAssertEqual(p.value.array.map(\.bitPattern), w.map(\.bitPattern), "\(kind)")
            XCTAssertEqual(p.grad.array, [Float](repeating: 0, count: n))
        }
    }
}
