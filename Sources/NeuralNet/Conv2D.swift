/// 2-D convolution, NHWC, with DFL's symmetric zero padding (`pad = (k-1)/2` each side, then VALID; spec
/// §1.0), a bias, and an optional fused output activation.
///
/// Weights are HWIO `(k, k, in, out)` as DFL stores them, which is also the `(k·k·in) × out` matrix the
/// GEMM needs. The algorithm (im2col + sgemm today) sits behind this interface so it can change without
/// touching the model code.
public final class Conv2D: Layer {
    public let inChannels: Int
    public let outChannels: Int
    public let kernel: Int
    public let stride: Int
    public let padding: Int
    public let activation: Activation
    /// Output stored as depth_to_space(2) (DCR) of the 4·C convolution channels (DFL's Upscale).
    public let pixelShuffle: Bool
    public let weight: Parameter
    public let bias: Parameter
    /// When false, `backward` skips the input gradient (first layer of a network) and returns an empty tensor.
    public var needsInputGradient = true
    public var parameters: [Parameter] { [weight, bias] }

    private let workspace: Workspace
    private var input: Tensor?
    private var output: Tensor?
    private static let emptyTensor = Tensor(shape: [0])

    /// A convolution `inChannels → outChannels`, `kernel`×`kernel`, with zero bias and Glorot-uniform weights
    /// (fan_in = k·k·in, fan_out = k·k·out).
    public init(name: String, inChannels: Int, outChannels: Int, kernel: Int, stride: Int = 1,
                activation: Activation = .identity, pixelShuffle: Bool = false, workspace: Workspace,
                rng: inout SeededRNG) {
        precondition(!pixelShuffle || outChannels % 4 == 0, "pixel shuffle needs a multiple of 4 outputs")
        self.pixelShuffle = pixelShuffle
        precondition(kernel >= 1 && stride >= 1 && inChannels >= 1 && outChannels >= 1)
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernel = kernel
        self.stride = stride
        padding = (kernel - 1) / 2
        self.activation = activation
        self.workspace = workspace
        weight = Parameter(name: name + ".weight", shape: [kernel, kernel, inChannels, outChannels])
        bias = Parameter(name: name + ".bias", shape: [outChannels])
        Initializer.glorotUniform(weight.value, fanIn: kernel * kernel * inChannels,
                                  fanOut: kernel * kernel * outChannels, rng: &rng)
    }

    /// Output spatial size for an input size.
    public func outputSize(_ size: Int) -> Int { (size + 2 * padding - kernel) / stride + 1 }

    private var geometry: ConvGeometry?

    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.shape.count == 4 && x.shape[3] == inChannels, "conv input \(x.shape), want C=\(inChannels)")
        let g = ConvGeometry(batch: x.shape[0], height: x.shape[1], width: x.shape[2], inChannels: inChannels,
                             outChannels: outChannels, kernel: kernel, stride: stride, padding: padding)
        geometry = g
        let shape = pixelShuffle ? [g.batch, 2 * g.outHeight, 2 * g.outWidth, outChannels / 4]
                                 : [g.batch, g.outHeight, g.outWidth, outChannels]
        let y = Tensor.reuse(output, shape: shape)
        output = y
        input = x
        let t0 = ConvProfiler.enabled ? ConvProfiler.now() : 0
        Im2colConvolution.forward(g, x: x.data, weight: weight.value.data, bias: bias.value.data,
                                  activation: activation, y: y.data, shuffled: pixelShuffle, workspace: workspace)
        let macs = g.batch * g.outHeight * g.outWidth * g.patch * outChannels
        MACCounter.forward += macs
        if ConvProfiler.enabled { ConvProfiler.record(profileKey(g), forward: ConvProfiler.now() - t0, macs: macs) }
        return y
    }

    private func profileKey(_ g: ConvGeometry) -> String {
        "k\(kernel)s\(stride) \(g.height)x\(g.width) \(inChannels)->\(outChannels)"
    }

    public func backward(_ dy: Tensor) -> Tensor {
        let t0 = ConvProfiler.enabled ? ConvProfiler.now() : 0
        defer { if ConvProfiler.enabled, let g = geometry { ConvProfiler.record(profileKey(g), backward: ConvProfiler.now() - t0) } }
        guard let x = input, let y = output, let g = geometry else { preconditionFailure("backward before forward") }
        precondition(dy.count == y.count)
        // Gradient before the activation.
        let dPre: UnsafeMutablePointer<Float>
        if pixelShuffle {
            dPre = workspace.scratch(WorkspaceSlot.preActivationGradient, count: y.count)
            Im2colConvolution.unshuffledActivationGradient(g, activation: activation, y: y.data, dy: dy.data, dPre: dPre)
        } else if activation == .identity {
            dPre = dy.data
        } else {
            dPre = workspace.scratch(WorkspaceSlot.preActivationGradient, count: y.count)
            let act = activation, ys = y.data, dys = dy.data
            parallelRanges(y.count, costPerItem: 2) { r in
                act.backward(y: ys + r.lowerBound, dy: dys + r.lowerBound, dx: dPre + r.lowerBound, r.count)
            }
        }
        addColumnSums(dPre, rows: y.count / outChannels, cols: outChannels, into: bias.grad.data)
        var dx: Tensor? = nil
        if needsInputGradient {
            dx = GradientPool.take(x.shape)
        }
        Im2colConvolution.backward(g, x: x.data, weight: weight.value.data, dPre: dPre,
                                   dWeight: weight.grad.data, dx: dx?.data, workspace: workspace)
        return dx ?? Conv2D.emptyTensor
    }
}

/// Workspace slots used by layers (distinct slots never alias).
enum WorkspaceSlot {
    static let preActivationGradient = 1
    static let flippedWeights = 2
    static let columnGradient = 3
    /// Per-thread output blocks (pixel-shuffled outputs): `outputBlocks + thread`.
    static let outputBlocks = 300
    /// Per-thread column blocks: `columns + thread`.
    static let columns = 100
    /// Per-thread weight-gradient partials: `weightPartials + thread`.
    static let weightPartials = 200
}
