/// A layer with an explicit forward and backward pass (llm.c style).
///
/// `forward` keeps what `backward` needs (its input and output tensors) and returns an output tensor owned
/// by the layer, reused from call to call while the batch shape stays the same. `backward` takes the gradient
/// of the objective with respect to that output, **accumulates** parameter gradients, and returns the
/// gradient with respect to the input, taken from `GradientPool`: the caller gives it back to the pool
/// once it has consumed it. `backward` never keeps `dy`. Call `backward` after the matching `forward`,
/// and before the next `forward` of the same layer.
public protocol Layer: AnyObject {
    /// The trainable parameters (empty for parameter-free layers).
    var parameters: [Parameter] { get }
    /// Computes the output for `x`.
    func forward(_ x: Tensor) -> Tensor
    /// Returns dObjective/dInput for dObjective/dOutput `dy`; adds into the parameters' gradients.
    func backward(_ dy: Tensor) -> Tensor
}

/// An elementwise nonlinearity that a convolution or a standalone layer can apply to its output.
/// Derivatives are computed from the *output*, so the pre-activation need not be kept.
public enum Activation: Equatable, Sendable {
    case identity
    /// `max(x, αx)` with 0 < α < 1.
    case leakyReLU(Float)
    /// `1 / (1 + e^-x)`.
    case sigmoid

    /// Applies the activation in place to `count` floats at `p`.
    @inline(__always)
    public func apply(_ p: UnsafeMutablePointer<Float>, _ count: Int) {
        switch self {
        case .identity: return
        case .leakyReLU(let a):
            for i in 0..<count { let v = p[i]; p[i] = v > 0 ? v : v * a }
        case .sigmoid:
            for i in 0..<count { p[i] = 1 / (1 + expf(-p[i])) }
        }
    }

    /// `dx[i] = dy[i] · f'(x[i])` written from the outputs `y`.
    @inline(__always)
    public func backward(y: UnsafePointer<Float>, dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>, _ count: Int) {
        switch self {
        case .identity:
            if UnsafePointer(dx) != dy { dx.update(from: dy, count: count) }
        case .leakyReLU(let a):
            for i in 0..<count { dx[i] = y[i] > 0 ? dy[i] : dy[i] * a }
        case .sigmoid:
            for i in 0..<count { let s = y[i]; dx[i] = dy[i] * s * (1 - s) }
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// A standalone activation layer (LeakyReLU, Sigmoid).
public final class ActivationLayer: Layer {
    public let activation: Activation
    public var parameters: [Parameter] { [] }
    private var output: Tensor?

    /// A layer applying `activation` elementwise.
    public init(_ activation: Activation) { self.activation = activation }

    public func forward(_ x: Tensor) -> Tensor {
        let y = Tensor.reuse(output, shape: x.shape)
        output = y
        let act = activation, xs = x.data, ys = y.data
        parallelRanges(x.count, costPerItem: 4) { r in
            (ys + r.lowerBound).update(from: xs + r.lowerBound, count: r.count)
            act.apply(ys + r.lowerBound, r.count)
        }
        return y
    }

    public func backward(_ dy: Tensor) -> Tensor {
        guard let y = output else { preconditionFailure("backward before forward") }
        let dx = GradientPool.take(y.shape)
        let act = activation, ys = y.data, dys = dy.data, dxs = dx.data
        parallelRanges(y.count, costPerItem: 4) { r in
            act.backward(y: ys + r.lowerBound, dy: dys + r.lowerBound, dx: dxs + r.lowerBound, r.count)
        }
        return dx
    }
}
