import Foundation
import NeuralNet
import SAEHD
import TestSupport
import XCTest

/// Whole-model gradients against finite differences of the summed SAEHD objective on `batch`, for five
/// weight tensors spread over the networks (first, ⅓, ½, ⅔, last), along two kinds of direction.
///
/// **Along the gradient.** A single weight's slope is too small to measure in float32 here: the step it
/// needs to rise above the rounding noise crosses LeakyReLU kinks. Measured on liae-ud-32 with the
/// background style: the one-sided slopes of encoder.down1.downs_0.conv1.weight[19] differ by 10 % at a
/// step of 4e-3, and the left one converges to the analytic −0.01607, which the dense and Winograd paths,
/// on one or two threads, give alike. So each probe moves a whole weight tensor at once, along
/// u = (g ⊙ m)/|g ⊙ m| for the analytic gradient g and a mask m (all ones, then two random halves), and the
/// slope of f along u must be |g ⊙ m|, within 3 % plus the probe's measured error bound. The signal is √n
/// times a single weight's, so a step small enough to converge stays above the noise; a wrong sign or scale
/// of a layer's gradient changes it. Probes whose bound exceeds 10 % of the slope (tiny slopes) cannot
/// judge: at least 12 of the 15 must.
///
/// **Along random directions.** A direction built from g cannot see what g leaves out: the slope of f along
/// u differs from |g ⊙ m| by ⟨t − g, u⟩ for the true gradient t, so a gradient exact on part of a tensor and
/// zero elsewhere passes exactly, and an error e uncorrelated with g, |e| = 15 % of |g|, moves it by 15 %/√n
/// of itself plus 1.1 % (|g|² = |t|² + |e|²), inside the 3 % tolerance. So each tensor is also probed along four seeded random unit directions (Gaussian, nothing taken
/// from g), with PathProbe: f's change over the path must equal the analytic gradient integrated along it
/// within 3 % of |g|/√n (the typical size of a slope along a random direction) plus the probe's bound. A
/// missing part of the gradient moves that by about |t_missing|/√n, a 15 % uncorrelated error by
/// 0.15·|g|/√n (times a standard normal per direction). Probes whose bound exceeds 10 % of |g|/√n cannot
/// judge: at least 15 of the 20 must (all 20 do in every configuration tested, with residuals under 2.5 % of
/// |g|/√n). Every element on its own is checked against the float64 reference in CrossCheckTests, for the
/// configurations that have one.
func checkWeightGradientsByFiniteDifferences(_ model: SAEHDModel, batch: TrainingBatch, name: String,
                                            file: StaticString = #filePath, line: UInt = #line) {
    for p in model.parameters { p.grad.zero() }
    _ = model.computeGradients(batch)
    // computeGradients accumulates gradients during the probes: compare to this first pass.
    let analytic = Dictionary(uniqueKeysWithValues: model.parameters.map { ($0.name, $0.grad.array) })
    func objective() -> Double {
        let l = model.computeGradients(batch)
        return l.src.reduce(0, +) + l.dst.reduce(0, +)
    }
    let report = ProcessInfo.processInfo.environment["PROBE_REPORT"] != nil
    let picks = model.parameters.filter { $0.name.hasSuffix("weight") }
    let chosen = [picks.first!, picks[picks.count / 3], picks[picks.count / 2], picks[2 * picks.count / 3], picks.last!]
    var rng = SeededRNG(seed: 1)
    var checked = 0
    for p in chosen {
        let g = analytic[p.name]!.map(Double.init), start = p.value.array
        for probe in 0..<3 {
            var d = g
            if probe > 0 { for i in d.indices where rng.next() % 2 == 0 { d[i] = 0 } }
            let norm = d.map { $0 * $0 }.reduce(0, +).squareRoot()
            // A tensor the objective does not depend on (liae's inter_B without dst→dst change, say):
            // probe a random direction, along which the slope must be 0.
            if norm == 0 { d = g.indices.map { _ in rng.nextUnitFloat() < 0.5 ? -1.0 : 1.0 } }
            let length = d.map { $0 * $0 }.reduce(0, +).squareRoot()
            let u = d.map { $0 / length }
            let found = SlopeProbe(largestStep: 2e-3) { t in
                for i in u.indices { p.value.data[i] = Float(Double(start[i]) + t * u[i]) }
                return objective()
            }
            for i in start.indices { p.value.data[i] = start[i] }
            let label = "\(name) \(p.name) probe \(probe)"
            if report { print("\(label): analytic \(norm), finite difference \(found.slope) ± \(found.bound) at step \(found.step)") }
            // A bound above 10 % of the slope leaves the probe unable to judge.
            guard found.bound <= 0.1 * abs(found.slope) + 1e-9 else { continue }
            XCTAssertTrue(found.agrees(norm),
                          "\(label): analytic \(norm), finite difference \(found.slope) ± \(found.bound) at step \(found.step)",
                          file: file, line: line)
            checked += 1
        }
    }
    XCTAssertGreaterThanOrEqual(checked, 12, "\(name): probes with an error bound under 10 %", file: file, line: line)

    // Random directions.
    var random = SeededRNG(seed: 2)
    var judged = 0
    for p in chosen {
        judged += checkAlongRandomDirections(p, gradient: analytic[p.name]!, rng: &random, label: "\(name) \(p.name)",
                                             file: file, line: line) {
            p.grad.zero()
            return (objective(), p.grad.array)
        }
    }
    XCTAssertGreaterThanOrEqual(judged, 15, "\(name): random-direction probes with an error bound under 10 % of |g|/√n",
                                file: file, line: line)
    for q in model.parameters { q.grad.zero() }
}

/// Probes `p` along `count` seeded random unit directions with PathProbe: `evaluate` gives f and ∂f/∂p at p's
/// current value, `gradient` is ∂f/∂p at the start. f's change over each path must equal the integrated
/// gradient within 3 % of |g|/√n plus the probe's bound; a probe whose bound exceeds 10 % of |g|/√n cannot
/// judge. Returns how many could. p's value is restored.
///
/// The path's half-length h is chosen from f's rounding noise σ as p moves so that the noise's share of the
/// bound is 1 % of |g|/√n (h = 3·√2·σ/(0.02·|g|/√n) ≈ 212·σ·√n/|g|, between 2e-3 and 0.05). σ is measured
/// with seven points 1e-4 and 2e-5 apart (the larger): points 2e-6 apart, SlopeProbe's spacing, share most of
/// their roundings and show 2–7 times less scatter.
@discardableResult
func checkAlongRandomDirections(_ p: Parameter, gradient: [Float], count: Int = 4, rng: inout SeededRNG, label: String,
                                file: StaticString = #filePath, line: UInt = #line,
                                evaluate: () -> (value: Double, gradient: [Float])) -> Int {
    let g = gradient.map(Double.init), start = p.value.array
    let scale = g.map { $0 * $0 }.reduce(0, +).squareRoot() / Double(g.count).squareRoot()
    let directions = (0..<count).map { _ in randomUnitDirection(g.count, &rng) }
    func move(_ u: [Double], _ t: Double) { for i in u.indices { p.value.data[i] = Float(Double(start[i]) + t * u[i]) } }
    defer { for i in start.indices { p.value.data[i] = start[i] } }
    let sigma = [2e-5, 1e-4].map { delta in SlopeProbe.noise(delta: delta) { t in move(directions[0], t); return evaluate().value } }.max()!
    let h = scale > 0 ? min(0.05, max(2e-3, 212 * sigma / scale)) : 2e-3
    let report = ProcessInfo.processInfo.environment["PROBE_REPORT"] != nil
    var judged = 0
    for (k, u) in directions.enumerated() {
        let found = PathProbe(step: h, noise: sigma) { t in
            move(u, t)
            let (value, gradient) = evaluate()
            return (value, p.value.array, gradient)
        }
        let message = "\(label) random direction \(k): f changes by \(found.secant) per unit, the analytic gradient integrated"
            + " gives \(found.integrated) (⟨g, u⟩ \(zip(g, u).map { $0 * $1 }.reduce(0, +)), |g|/√n \(scale)) ± \(found.bound)"
            + " at h \(found.step)"
        if report { print(message) }
        guard found.bound <= 0.1 * scale + 1e-9 else { continue }
        XCTAssertLessThanOrEqual(abs(found.secant - found.integrated), 0.03 * scale + found.bound + 1e-9, message, file: file, line: line)
        judged += 1
    }
    return judged
}
