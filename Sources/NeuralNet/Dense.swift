/// Fully connected layer `y = x·W + b` on `(n, in)` inputs, weights `(in, out)` as DFL stores them.
public final class Dense: Layer {
    public let inFeatures: Int
    public let outFeatures: Int
    public let weight: Parameter
    public let bias: Parameter
    public var parameters: [Parameter] { [weight, bias] }
    private var input: Tensor?
    private var output: Tensor?
    /// The precision of this layer's multiplies; nil follows `MatmulPrecision.global`.
    public var precision: MatmulPrecision?
    private var matmulKernel: MatmulKernel { (precision ?? MatmulPrecision.global).resolved }

    /// A dense layer with Glorot-uniform weights and zero bias.
    public init(name: String, inFeatures: Int, outFeatures: Int, rng: inout SeededRNG) {
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        weight = Parameter(name: name + ".weight", shape: [inFeatures, outFeatures])
        bias = Parameter(name: name + ".bias", shape: [outFeatures])
        Initializer.glorotUniform(weight.value, fanIn: inFeatures, fanOut: outFeatures, rng: &rng)
    }

    public func forward(_ x: Tensor) -> Tensor {
        let n = x.shape[0]
        precondition(x.count == n * inFeatures, "dense input \(x.shape), want \(inFeatures) features")
        input = x
        let y = Tensor.reuse(output, shape: [n, outFeatures])
        output = y
        for r in 0..<n { (y.data + r * outFeatures).update(from: bias.value.data, count: outFeatures) }
        matmul(matmulKernel, m: n, n: outFeatures, k: inFeatures, a: x.data, lda: inFeatures, b: weight.value.data,
              ldb: outFeatures, beta: 1, c: y.data, ldc: outFeatures)
        MACCounter.forward += n * inFeatures * outFeatures
        return y
    }

    public func backward(_ dy: Tensor) -> Tensor {
        guard let x = input else { preconditionFailure("backward before forward") }
        let n = x.shape[0]
        MACCounter.backward += 2 * n * inFeatures * outFeatures
        addColumnSums(dy.data, rows: n, cols: outFeatures, into: bias.grad.data)
        let kernel = matmulKernel
        matmul(kernel, transA: true, m: inFeatures, n: outFeatures, k: n, a: x.data, lda: inFeatures, b: dy.data,
              ldb: outFeatures, beta: 1, c: weight.grad.data, ldc: outFeatures)
        let dx = GradientPool.take(x.shape)
        matmul(kernel, transB: true, m: n, n: inFeatures, k: outFeatures, a: dy.data, lda: outFeatures,
              b: weight.value.data, ldb: outFeatures, beta: 0, c: dx.data, ldc: inFeatures)
        return dx
    }
}
