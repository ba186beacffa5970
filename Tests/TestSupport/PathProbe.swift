// Moved here from SAEHDTests so that every network's gradient tests can use it.
import Foundation
import NeuralNet

/// The change of f over a path against the analytic gradient integrated along the same path: the check for
/// directions that are not built from the gradient.
///
/// Along a random unit direction u the slope ⟨g, u⟩ is about |g|/√n, √n times smaller than along g, and a
/// central difference cannot measure it: at every step the noise allows, the difference straddles the
/// LeakyReLU kinks nearest to 0 (the objective has tens of thousands of pre-activations, so some lie within
/// any step), and their jumps are a sizeable part of so small a slope. Measured on liae-ud-32,
/// encoder.down1's central differences along random directions stay 5–11 % of |g|/√n off ⟨g, u⟩ at every
/// step from 8e-3 down to 2.5e-4, while SlopeProbe's drift, hidden under the noise of the smaller steps,
/// bounds them at 1–3 %. The integral does not care where the kinks are: f is continuous and piecewise
/// smooth, so f(x(h)) − f(x(−h)) = ∫ ⟨∇f(x(τ)), x′(τ)⟩ dτ exactly, and the analytic gradient, evaluated at
/// points along the path, sees the same kinks as f. So the probe visits 17 evenly spaced points (16
/// intervals) from −h·u to +h·u, takes f and the analytic gradient at each (one computeGradients), and
/// compares f's change with the trapezoid rule over the points actually visited (the weights rounded to
/// float32, so the rounding of the path is no error). Its bound: the trapezoid rule's own error, estimated
/// as its difference from the rule over every other point (a kink inside an interval costs at most its jump
/// times the interval, and halving the intervals halves that), plus three standard deviations of f's
/// rounding noise in the difference. With it the same encoder.down1 probes agree to 0.1–1 % of |g|/√n.
/// A wrong gradient is wrong at every point of the path, so it shows as the integral of its error along u.
public struct PathProbe {
    /// h; (f(+h) − f(−h))/2h; the analytic gradient integrated over the path, /2h; the bound on their difference.
    public let step: Double, secant: Double, integrated: Double, bound: Double

    public init(step h: Double, intervals n: Int = 16, noise sigma: Double,
         _ visit: (Double) -> (value: Double, position: [Float], gradient: [Float])) {
        let points = (0...n).map { visit(-h + 2 * h * Double($0) / Double(n)) }
        func trapezoid(every k: Int) -> Double {
            var total = 0.0
            for j in stride(from: 0, to: n, by: k) {
                let a = points[j], b = points[j + k]
                for i in a.position.indices {
                    total += 0.5 * (Double(a.gradient[i]) + Double(b.gradient[i])) * (Double(b.position[i]) - Double(a.position[i]))
                }
            }
            return total
        }
        let fine = trapezoid(every: 1), coarse = trapezoid(every: 2)
        step = h
        secant = (points[n].value - points[0].value) / (2 * h)
        integrated = fine / (2 * h)
        bound = abs(fine - coarse) / (2 * h) + 3 * 2.0.squareRoot() * sigma / (2 * h)
    }
}

/// A seeded random unit vector (Gaussian components).
public func randomUnitDirection(_ count: Int, _ rng: inout SeededRNG) -> [Double] {
    let v = (0..<count).map { _ -> Double in
        let a = max(Double(rng.nextUnitFloat()), 1e-12), b = Double(rng.nextUnitFloat())
        return (-2 * log(a)).squareRoot() * cos(2 * Double.pi * b)
    }
    let length = v.map { $0 * $0 }.reduce(0, +).squareRoot()
    return v.map { $0 / length }
}
