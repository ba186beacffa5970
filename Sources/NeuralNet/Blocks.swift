/// DFL's `Upscale(in, out)`: conv 3×3 in→4·out, leaky ReLU 0.1, depth_to_space(2) (docs/saehd-model.md §1.1).
/// The convolution stores its output already shuffled, so no pre-shuffle copy is kept.
public final class Upscale: Layer {
    public let conv: Conv2D
    public var parameters: [Parameter] { conv.parameters }

    /// An upscale block; parameters are named `<name>.conv1.weight/bias`.
    public init(name: String, inChannels: Int, outChannels: Int, workspace: Workspace, rng: inout SeededRNG) {
        conv = Conv2D(name: name + ".conv1", inChannels: inChannels, outChannels: 4 * outChannels, kernel: 3,
                      activation: .leakyReLU(0.1), pixelShuffle: true, workspace: workspace, rng: &rng)
    }

    public func forward(_ x: Tensor) -> Tensor { conv.forward(x) }
    public func backward(_ dy: Tensor) -> Tensor { conv.backward(dy) }
}

/// DFL's `Downscale(in, out, k=5)`: conv k×k stride 2, leaky ReLU 0.1 (docs/saehd-model.md §1.1).
public func makeDownscale(name: String, inChannels: Int, outChannels: Int, kernel: Int = 5,
                          workspace: Workspace, rng: inout SeededRNG) -> Conv2D {
    Conv2D(name: name + ".conv1", inChannels: inChannels, outChannels: outChannels, kernel: kernel, stride: 2,
           activation: .leakyReLU(0.1), workspace: workspace, rng: &rng)
}

/// DFL's `ResidualBlock(ch)`: y = lrelu(conv1(x), 0.2); y = conv2(y); out = lrelu(x + y, 0.2)
/// (docs/saehd-model.md §1.1).
public final class ResidualBlock: Layer {
    public static let slope: Float = 0.2
    public let conv1: Conv2D
    public let conv2: Conv2D
    public var parameters: [Parameter] { conv1.parameters + conv2.parameters }
    private var output: Tensor?

    /// A residual block on `channels` channels; parameters `<name>.conv1.*`, `<name>.conv2.*`.
    public init(name: String, channels: Int, workspace: Workspace, rng: inout SeededRNG) {
        conv1 = Conv2D(name: name + ".conv1", inChannels: channels, outChannels: channels, kernel: 3,
                       activation: .leakyReLU(ResidualBlock.slope), workspace: workspace, rng: &rng)
        conv2 = Conv2D(name: name + ".conv2", inChannels: channels, outChannels: channels, kernel: 3,
                       workspace: workspace, rng: &rng)
    }

    public func forward(_ x: Tensor) -> Tensor {
        // conv2 has no activation, so its backward never reads its output: the block's output y is
        // written over it (one activation buffer less per block).
        let z = conv2.forward(conv1.forward(x))
        output = z
        let xs = x.data, zs = z.data, a = ResidualBlock.slope
        parallelRanges(x.count) { r in
            for i in r { let v = xs[i] + zs[i]; zs[i] = v > 0 ? v : v * a }
        }
        return z
    }

    public func backward(_ dy: Tensor) -> Tensor {
        guard let y = output else { preconditionFailure("backward before forward") }
        let ds = GradientPool.take(y.shape)
        let ys = y.data, dys = dy.data, dss = ds.data
        parallelRanges(y.count) { r in
            Activation.leakyReLU(ResidualBlock.slope).backward(y: ys + r.lowerBound, dy: dys + r.lowerBound,
                                                               dx: dss + r.lowerBound, r.count)
        }
        let dMid = conv2.backward(ds)
        let dBranch = conv1.backward(dMid)
        GradientPool.give(dMid)
        // dx = ds + dBranch, written over dBranch (one gradient buffer fewer at the block's peak).
        let a = ds.data, b = dBranch.data
        parallelRanges(y.count) { r in for i in r { b[i] = a[i] + b[i] } }
        GradientPool.give(ds)
        return dBranch
    }
}

/// Layers run one after another.
public final class Sequential: Layer {
    public let layers: [Layer]
    public var parameters: [Parameter] { layers.flatMap(\.parameters) }

    /// A chain of `layers`.
    public init(_ layers: [Layer]) { self.layers = layers }

    public func forward(_ x: Tensor) -> Tensor { layers.reduce(x) { $1.forward($0) } }
    /// Backward through the chain; intermediate gradients go back to the pool as soon as they are used.
    public func backward(_ dy: Tensor) -> Tensor {
        var g = dy
        for layer in layers.reversed() {
            let next = layer.backward(g)
            if g !== dy { GradientPool.give(g) }
            g = next
        }
        return g
    }
}
