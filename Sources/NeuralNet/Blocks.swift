/// DFL's `Upscale(in, out)`: conv 3×3 in→4·out, leaky ReLU 0.1, depth_to_space(2) (spec §1.1).
public final class Upscale: Layer {
    public let conv: Conv2D
    private let shuffle = DepthToSpace()
    public var parameters: [Parameter] { conv.parameters }

    /// An upscale block; parameters are named `<name>.conv1.weight/bias`.
    public init(name: String, inChannels: Int, outChannels: Int, workspace: Workspace, rng: inout SeededRNG) {
        conv = Conv2D(name: name + ".conv1", inChannels: inChannels, outChannels: 4 * outChannels, kernel: 3,
                      activation: .leakyReLU(0.1), workspace: workspace, rng: &rng)
    }

    public func forward(_ x: Tensor) -> Tensor { shuffle.forward(conv.forward(x)) }
    public func backward(_ dy: Tensor) -> Tensor { conv.backward(shuffle.backward(dy)) }
}

/// DFL's `Downscale(in, out, k=5)`: conv k×k stride 2, leaky ReLU 0.1 (spec §1.1).
public func makeDownscale(name: String, inChannels: Int, outChannels: Int, kernel: Int = 5,
                          workspace: Workspace, rng: inout SeededRNG) -> Conv2D {
    Conv2D(name: name + ".conv1", inChannels: inChannels, outChannels: outChannels, kernel: kernel, stride: 2,
           activation: .leakyReLU(0.1), workspace: workspace, rng: &rng)
}

/// DFL's `ResidualBlock(ch)`: y = lrelu(conv1(x), 0.2); y = conv2(y); out = lrelu(x + y, 0.2) (spec §1.1).
public final class ResidualBlock: Layer {
    public static let slope: Float = 0.2
    public let conv1: Conv2D
    public let conv2: Conv2D
    public var parameters: [Parameter] { conv1.parameters + conv2.parameters }
    private var output: Tensor?
    private var dSum: Tensor?
    private var dInput: Tensor?

    /// A residual block on `channels` channels; parameters `<name>.conv1.*`, `<name>.conv2.*`.
    public init(name: String, channels: Int, workspace: Workspace, rng: inout SeededRNG) {
        conv1 = Conv2D(name: name + ".conv1", inChannels: channels, outChannels: channels, kernel: 3,
                       activation: .leakyReLU(ResidualBlock.slope), workspace: workspace, rng: &rng)
        conv2 = Conv2D(name: name + ".conv2", inChannels: channels, outChannels: channels, kernel: 3,
                       workspace: workspace, rng: &rng)
    }

    public func forward(_ x: Tensor) -> Tensor {
        let z = conv2.forward(conv1.forward(x))
        let y = Tensor.reuse(output, shape: x.shape)
        output = y
        let xs = x.data, zs = z.data, ys = y.data, a = ResidualBlock.slope
        parallelRanges(x.count) { r in
            for i in r { let v = xs[i] + zs[i]; ys[i] = v > 0 ? v : v * a }
        }
        return y
    }

    public func backward(_ dy: Tensor) -> Tensor {
        guard let y = output else { preconditionFailure("backward before forward") }
        let ds = Tensor.reuse(dSum, shape: y.shape)
        dSum = ds
        Activation.leakyReLU(ResidualBlock.slope).backward(y: y.data, dy: dy.data, dx: ds.data, y.count)
        let dBranch = conv1.backward(conv2.backward(ds))
        let dx = Tensor.reuse(dInput, shape: y.shape)
        dInput = dx
        let a = ds.data, b = dBranch.data, d = dx.data
        parallelRanges(y.count) { r in for i in r { d[i] = a[i] + b[i] } }
        return dx
    }
}

/// Layers run one after another.
public final class Sequential: Layer {
    public let layers: [Layer]
    public var parameters: [Parameter] { layers.flatMap(\.parameters) }

    /// A chain of `layers`.
    public init(_ layers: [Layer]) { self.layers = layers }

    public func forward(_ x: Tensor) -> Tensor { layers.reduce(x) { $1.forward($0) } }
    public func backward(_ dy: Tensor) -> Tensor { layers.reversed().reduce(dy) { $1.backward($0) } }
}
