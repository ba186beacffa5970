import NeuralNet
import SAEHD
import XCTest

/// Whole-model gradients against central differences of the summed SAEHD objective on `batch`: three random
/// entries of five weights spread over the networks (first, ⅓, ½, ⅔, last), step 4e-3, within 3 % (or 0.0015
/// absolute); probes where the one-sided slopes disagree by more than 10 % (a kink) are skipped, and there
/// must be more than 10 checked and fewer than 5 skipped.
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
    var checked = 0, skipped = 0
    for p in chosen {
        for _ in 0..<3 {
            let i = Int(rng.next() % UInt64(p.value.count))
            let old = p.value.data[i], eps: Float = 4e-3
            let f0 = objective()
            p.value.data[i] = old + eps; let fp = objective()
            p.value.data[i] = old - eps; let fm = objective()
            p.value.data[i] = old
            let r = (fp - f0) / Double(eps), l = (f0 - fm) / Double(eps)
            if abs(r - l) > 0.1 * max(abs(r), abs(l), 0.05) { skipped += 1; continue }
            let numeric = (fp - fm) / (2 * Double(eps))
            XCTAssertEqual(Double(analytic[p.name]![i]), numeric, accuracy: 0.03 * max(abs(numeric), 0.05),
                           "\(name) \(p.name)[\(i)]", file: file, line: line)
            checked += 1
        }
    }
    XCTAssertGreaterThan(checked, 10, name, file: file, line: line)
    XCTAssertLessThan(skipped, 5, name, file: file, line: line)
}
