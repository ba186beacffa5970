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
        let parts = xs.map { (data: UnsafePointer($0.data), channels: $0.shape.last!) }
        let yp = y.data
        parallelRanges(pixels, costPerItem: total) { r in
            for p in r {
                var offset = 0
                for (x, c) in parts {
                    copyShort(yp + p * total + offset, from: x + p * c, count: c)
                    offset += c
                }
            }
        }
        return y
    }

    /// The gradient split back into one tensor per input.
    public func backward(_ dy: Tensor) -> [Tensor] {
        // Reused from call to call (`Tensor.reuse`: a smaller batch gets a view of the larger buffer).
        if dInputs.count != inShapes.count { dInputs = inShapes.map { Tensor(shape: $0) } }
        dInputs = zip(dInputs, inShapes).map { Tensor.reuse($0, shape: $1) }
        let total = dy.shape.last!, pixels = dy.count / total
        let parts = dInputs.map { (data: $0.data, channels: $0.shape.last!) }
        let dys = UnsafePointer(dy.data)
        parallelRanges(pixels, costPerItem: total) { r in
            for p in r {
                var offset = 0
                for (d, c) in parts {
                    copyShort(d + p * c, from: dys + p * total + offset, count: c)
                    offset += c
                }
            }
        }
        return dInputs
    }
}
