/// Pixel norm over each sample's whole vector (opt `u`): `y = x / sqrt(mean(x²) + 1e-6)` (docs/saehd-model.md §1.0).
public final class PixelNorm: Layer {
    public static let epsilon: Float = 1e-6
    public var parameters: [Parameter] { [] }
    private var input: Tensor?
    private var output: Tensor?
    private var scales: [Float] = []

    /// A pixel-norm layer.
    public init() {}

    public func forward(_ x: Tensor) -> Tensor {
        input = x
        let n = x.shape[0], len = x.count / max(1, n)
        let y = Tensor.reuse(output, shape: x.shape)
        output = y
        if scales.count != n { scales = [Float](repeating: 0, count: n) }
        for b in 0..<n {
            let xs = x.data + b * len, ys = y.data + b * len
            var s: Double = 0
            for i in 0..<len { s += Double(xs[i] * xs[i]) }
            let r = Float(1 / (s / Double(len) + Double(PixelNorm.epsilon)).squareRoot())
            scales[b] = r
            for i in 0..<len { ys[i] = xs[i] * r }
        }
        return y
    }

    /// dx = r·dy − x·r³·mean(x·dy).
    public func backward(_ dy: Tensor) -> Tensor {
        guard let x = input else { preconditionFailure("backward before forward") }
        let n = x.shape[0], len = x.count / max(1, n)
        let dx = GradientPool.take(x.shape)
        for b in 0..<n {
            let xs = x.data + b * len, g = dy.data + b * len, d = dx.data + b * len
            var dot: Double = 0
            for i in 0..<len { dot += Double(xs[i] * g[i]) }
            let r = scales[b]
            let k = r * r * r * Float(dot / Double(len))
            for i in 0..<len { d[i] = r * g[i] - xs[i] * k }
        }
        return dx
    }
}
