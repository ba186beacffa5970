/// Elementwise sum of two tensors of the same shape; the gradient goes unchanged to both inputs.
public final class Add {
    private var output: Tensor?

    /// An add node.
    public init() {}

    /// `a + b`.
    public func forward(_ a: Tensor, _ b: Tensor) -> Tensor {
        precondition(a.shape == b.shape, "add \(a.shape) + \(b.shape)")
        let y = Tensor.reuse(output, shape: a.shape)
        output = y
        let ap = a.data, bp = b.data, yp = y.data
        parallelRanges(a.count) { r in for i in r { yp[i] = ap[i] + bp[i] } }
        return y
    }

    /// The input gradients (both equal to `dy`).
    public func backward(_ dy: Tensor) -> (Tensor, Tensor) { (dy, dy) }
}

/// Concatenation of NHWC tensors along channels, in argument order.
public final class Concat {
    private var output: Tensor?
    private var dInputs: [Tensor] = []
    private var inShapes: [[Int]] = []

    /// A concat node.
    public init() {}

    /// The inputs joined along the last axis.
    public func forward(_ xs: [Tensor]) -> Tensor {
        let lead = Array(xs[0].shape.dropLast())
        precondition(xs.allSatisfy { Array($0.shape.dropLast()) == lead }, "concat shapes differ")
        inShapes = xs.map(\.shape)
        let total = xs.reduce(0) { $0 + $1.shape.last! }
        let y = Tensor.reuse(output, shape: lead + [total])
        output = y
        let pixels = y.count / total
        var offset = 0
        for x in xs {
            let c = x.shape.last!
            for p in 0..<pixels { (y.data + p * total + offset).update(from: x.data + p * c, count: c) }
            offset += c
        }
        return y
    }

    /// The gradient split back into one tensor per input.
    public func backward(_ dy: Tensor) -> [Tensor] {
        if dInputs.map(\.shape) != inShapes { dInputs = inShapes.map { Tensor(shape: $0) } }
        let total = dy.shape.last!, pixels = dy.count / total
        var offset = 0
        for d in dInputs {
            let c = d.shape.last!
            for p in 0..<pixels { (d.data + p * c).update(from: dy.data + p * total + offset, count: c) }
            offset += c
        }
        return dInputs
    }
}
