import NeuralNet
import SAEHD
import TestSupport
import XCTest

/// Whole-model gradients against finite differences of the summed SAEHD objective on `batch`, for five
/// weight tensors spread over the networks (first, ⅓, ½, ⅔, last).
///
/// A single weight's slope is too small to measure in float32 here: the step it needs to rise above the
/// rounding noise crosses LeakyReLU kinks. Measured on liae-ud-32 with the background style: the one-sided
/// slopes of encoder.down1.downs_0.conv1.weight[19] differ by 10 % at a step of 4e-3, and the left one
/// converges to the analytic −0.01607, which the dense and Winograd paths, on one or two threads, give
/// alike. So each probe moves a whole weight tensor at once, along u = (g ⊙ m)/|g ⊙ m| for the analytic
/// gradient g and a mask m (all ones, then two random halves), and the slope of f along u must be |g ⊙ m|,
/// within 3 % plus the probe's measured error bound. The signal is √n times a single weight's, so a step
/// small enough to converge stays above the noise; a wrong element of g, a wrong sign or scale of a
/// layer's gradient, or one that misses part of the tensor all change it. Probes whose bound exceeds 10 %
/// of the slope (tiny slopes) cannot judge: at least 12 of the 15 must. Every element on its own is
/// checked against the float64 reference in CrossCheckTests.
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
            // A bound above 10 % of the slope leaves the probe unable to judge.
            guard found.bound <= 0.1 * abs(found.slope) + 1e-9 else { continue }
            XCTAssertTrue(found.agrees(norm),
                          "\(label): analytic \(norm), finite difference \(found.slope) ± \(found.bound) at step \(found.step)",
                          file: file, line: line)
            checked += 1
        }
    }
    XCTAssertGreaterThanOrEqual(checked, 12, "\(name): probes with an error bound under 10 %", file: file, line: line)
}
