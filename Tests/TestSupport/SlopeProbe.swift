// Shared by the test targets that check whole-network gradients (SAEHDTests, XSegTests).

/// The slope of f(t) at t = 0 by central differences, with a measured bound on its error, for an objective
/// that the model computes in float32.
///
/// Two errors make a finite difference of the SAEHD objective unsound if ignored, and this probe measures
/// both instead of hiding them under a wide tolerance:
/// - **Rounding noise.** f is a sum of float32 per-pixel terms, so f carries rounding noise that does not
///   shrink with the step: divided by a small step it swamps the slope. The probe measures it (the scatter
///   of f about a least-squares line through seven points a hair apart).
/// - **Kinks.** LeakyReLU makes f piecewise smooth, with so many pieces near the first layers that the
///   central difference at a step that looks small (1e-3 along a unit direction) averages slopes across
///   dozens of them and comes out 5–10 % off; it converges only slowly, and unevenly, as the step shrinks.
///   How far the slopes at all smaller steps lie from the one at a step, beyond their own noise, measures
///   what is left of that error there.
/// The probe takes central differences at `largestStep` and `halvings` halvings of it, and keeps the one
/// whose bound — that drift plus three standard deviations of its own noise — is smallest.
public struct SlopeProbe {
    /// The step, the central difference there, and the bound on its error.
    public let step: Double, slope: Double, bound: Double

    /// The rounding noise of f: the standard deviation of f about a least-squares line through seven points
    /// `delta` apart.
    public static func noise(delta: Double, _ f: (Double) -> Double) -> Double {
        let ks = Array(-3...3).map(Double.init)
        let values = ks.map { f($0 * delta) }
        let mean = values.reduce(0, +) / 7
        let fit = zip(ks, values).map { $0 * ($1 - mean) }.reduce(0, +) / 28     // Σk² = 28
        let residuals = zip(ks, values).map { $1 - mean - fit * $0 }
        return (residuals.map { $0 * $0 }.reduce(0, +) / 5).squareRoot()
    }

    public init(largestStep: Double, halvings: Int = 9, _ f: (Double) -> Double) {
        let sigma = Self.noise(delta: largestStep * 1e-3, f)
        func central(_ t: Double) -> Double { (f(t) - f(-t)) / (2 * t) }
        let steps = (0...halvings).map { largestStep / Double(1 << $0) }
        let slopes = steps.map(central)
        let noises = steps.map { 3 * sigma / (2.0.squareRoot() * $0) }
        // What is left of the kink error at step k: how far any smaller step's slope lies from it, beyond
        // that slope's own noise.
        var best = (step: steps[0], slope: slopes[0], bound: Double.infinity)
        for k in 0..<halvings {
            let drift = (k + 1...halvings).map { max(abs(slopes[$0] - slopes[k]) - noises[$0], 0) }.max()!
            let bound = drift + noises[k]
            if bound < best.bound { best = (steps[k], slopes[k], bound) }
        }
        (step, slope, bound) = best
    }

    /// Whether analytic slope `a` agrees: within 3 % of the estimate plus its error bound.
    public func agrees(_ a: Double) -> Bool { abs(a - slope) <= 0.03 * abs(slope) + bound + 1e-9 }
}
