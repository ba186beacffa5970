/// 2-D convolution, NHWC, with leras's symmetric zero padding (`pad = k/2` each side, then VALID;
/// docs/saehd-model.md §1.0, docs/dfl-model-folder.md §2; for even kernels such as the code discriminator's
/// k=4 this is not TF's SAME), a bias, and an optional fused output activation.
///
/// Weights are HWIO `(k, k, in, out)` as DFL stores them, which is also the `(k·k·in) × out` matrix the
/// GEMM needs. The algorithm sits behind this interface: im2col + sgemm, or Winograd for 3×3 stride-1 passes,
/// picked per pass by `ConvolutionSelection` and recorded in `algorithm`, `inputGradientAlgorithm` and
/// `weightGradientAlgorithm`.
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
    /// When false, `backward` leaves the weight and bias gradients alone (a discriminator passing a gradient
    /// through to the generator, whose own weights are not trained in that pass).
    public var needsWeightGradient = true
    public var parameters: [Parameter] { [weight, bias] }

    private let workspace: Workspace
    private var input: Tensor?
    private var output: Tensor?
    private static let emptyTensor = Tensor(shape: [0])

    /// A convolution `inChannels → outChannels`, `kernel`×`kernel`, with zero bias and Glorot-uniform weights
    /// (fan_in = k·k·in, fan_out = k·k·out), padded by `kernel / 2` on each side.
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
        padding = kernel / 2
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
    /// The algorithm of the last forward pass (`ConvolutionSelection` picks it from the shape).
    public private(set) var algorithm: ConvAlgorithm = .dense
    /// The algorithm of the last input-gradient pass (dense when the layer has none).
    public private(set) var inputGradientAlgorithm: ConvAlgorithm = .dense
    /// The algorithm of the last weight-gradient pass.
    public private(set) var weightGradientAlgorithm: ConvAlgorithm = .dense

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
        let pass = forwardPass(g, x: x)
        algorithm = ConvolutionSelection.algorithm(for: pass.g, kernel: workspace.matmulKernel)
        if let tile = algorithm.winogradTile {
            WinogradConvolution.forward(pass.g, tile: tile, x: pass.x, weight: pass.weight, bias: bias.value.data,
                                        activation: activation, y: y.data, shuffled: pixelShuffle, workspace: workspace)
        } else {
            Im2colConvolution.forward(pass.g, x: pass.x, weight: pass.weight, bias: bias.value.data,
                                      activation: activation, y: y.data, shuffled: pixelShuffle, workspace: workspace)
        }
        let macs = g.batch * g.outHeight * g.outWidth * g.patch * outChannels
        MACCounter.forward += macs
        if ConvProfiler.enabled { ConvProfiler.record(profileKey(g), forward: ConvProfiler.now() - t0, macs: macs) }
        return y
    }

    /// Whether the last forward pass ran the polyphase rewrite. Its space-to-depth input and rearranged
    /// weights live in workspace scratch (shared by all layers) and are built again for the backward pass
    /// (a copy, next to the multiplies), rather than kept per layer.
    private var ranPolyphase = false

    /// The space-to-depth input and rearranged weights of the polyphase path for `x`, in workspace scratch.
    private func phaseOperands(_ g: ConvGeometry, _ pg: ConvGeometry, x: Tensor) -> (x: UnsafeMutablePointer<Float>, weight: UnsafeMutablePointer<Float>) {
        let z = workspace.scratch(WorkspaceSlot.phaseInput, count: pg.batch * pg.height * pg.width * pg.inChannels)
        let w = workspace.scratch(WorkspaceSlot.phaseWeight, count: 9 * pg.inChannels * pg.outChannels)
        PolyphaseConvolution.spaceToDepth(g, x: x.data, z: z)
        PolyphaseConvolution.phaseWeights(g, weight: weight.value.data, phase: w)
        return (z, w)
    }

    /// The geometry, input and weights the forward pass runs: a 5×5 stride-2 convolution whose 3×3
    /// stride-1 rewrite (`PolyphaseConvolution`) is worth running runs as that rewrite; any other runs as
    /// itself.
    private func forwardPass(_ g: ConvGeometry, x: Tensor) -> (g: ConvGeometry, x: UnsafePointer<Float>, weight: UnsafePointer<Float>) {
        guard let pg = PolyphaseConvolution.phaseGeometry(g), ConvolutionSelection.usesPolyphase(pg, kernel: workspace.matmulKernel) else {
            ranPolyphase = false
            return (g, UnsafePointer(x.data), UnsafePointer(weight.value.data))
        }
        ranPolyphase = true
        let (z, w) = phaseOperands(g, pg, x: x)
        return (pg, UnsafePointer(z), UnsafePointer(w))
    }

    private func profileKey(_ g: ConvGeometry) -> String {
        "k\(kernel)s\(stride) \(g.height)x\(g.width) \(inChannels)->\(outChannels) \(algorithm)/\(inputGradientAlgorithm)/\(weightGradientAlgorithm)"
    }

    public func backward(_ dy: Tensor) -> Tensor {
        let t0 = ConvProfiler.enabled ? ConvProfiler.now() : 0
        guard let x = input, let y = output, let g = geometry else { preconditionFailure("backward before forward") }
        precondition(dy.count == y.count)
        let macs = g.batch * g.outHeight * g.outWidth * g.patch * outChannels
            * ((needsInputGradient ? 1 : 0) + (needsWeightGradient ? 1 : 0))
        MACCounter.backward += macs
        defer { if ConvProfiler.enabled { ConvProfiler.record(profileKey(g), backward: ConvProfiler.now() - t0, macs: macs) } }
        // Gradient before the activation, written a run of output rows at a time; with the weight gradient,
        // the bias gradient (its column sums) is taken from each run while it is in cache.
        let rows = y.count / outChannels, cout = outChannels
        let act = activation, ys = UnsafePointer(y.data), dys = UnsafePointer(dy.data)
        let dPre: UnsafeMutablePointer<Float>
        let produce: ((Range<Int>) -> Void)?
        if activation == .identity && !pixelShuffle {
            dPre = dy.data
            produce = nil
        } else {
            let scratch = workspace.scratch(WorkspaceSlot.preActivationGradient, count: y.count)
            dPre = scratch
            if pixelShuffle {
                produce = { r in Im2colConvolution.unshuffledActivationGradient(g, activation: act, y: ys, dy: dys, dPre: scratch, rows: r) }
            } else {
                produce = { r in
                    act.backward(y: ys + r.lowerBound * cout, dy: dys + r.lowerBound * cout, dx: scratch + r.lowerBound * cout,
                                 r.count * cout)
                }
            }
        }
        if needsWeightGradient {
            produceRowsAddingColumnSums(dPre, rows: rows, cols: cout, into: bias.grad.data) { r in produce?(r) }
        } else if let produce {
            parallelRanges(rows, costPerItem: 2 * cout, produce)
        }
        var dx: Tensor? = nil
        if needsInputGradient {
            dx = GradientPool.take(x.shape)
        }
        // The passes run on the geometry the forward pass used: the layer's own, or for the polyphase path
        // the 3×3 one over the space-to-depth input, whose gradients are mapped back below.
        let phaseG = ranPolyphase ? PolyphaseConvolution.phaseGeometry(g)! : nil
        let phase = phaseG.map { pg in (g: pg, operands: phaseOperands(g, pg, x: x)) }
        let pg = phase?.g ?? g
        let px = UnsafePointer(phase?.operands.x ?? x.data)
        let pw = UnsafePointer(phase?.operands.weight ?? weight.value.data)
        let pdW: UnsafeMutablePointer<Float>
        if let phase {
            let count = 9 * phase.g.inChannels * phase.g.outChannels
            pdW = workspace.scratch(WorkspaceSlot.phaseWeightGradient, count: count)
            pdW.update(repeating: 0, count: count)
        } else {
            pdW = weight.grad.data
        }
        // The polyphase input gradient (space-to-depth layout) is written over the space-to-depth input: every
        // path below finishes the weight gradient, the input's last reader, before it writes the input gradient.
        let pdx: UnsafeMutablePointer<Float>? = dx.map { dx in phase?.operands.x ?? dx.data }
        inputGradientAlgorithm = needsInputGradient
            ? ConvolutionSelection.algorithm(for: pg.inputGradientGeometry, kernel: workspace.matmulKernel) : .dense
        weightGradientAlgorithm = ConvolutionSelection.weightGradientAlgorithm(for: pg, kernel: workspace.matmulKernel)
        let denseWeightGradient = needsWeightGradient && weightGradientAlgorithm == .dense
        if needsWeightGradient, let tile = weightGradientAlgorithm.winogradTile {
            WinogradConvolution.weightGradient(pg, tile: tile, x: px, dPre: dPre, dWeight: pdW, workspace: workspace)
        }
        if let pdx, let tile = inputGradientAlgorithm.winogradTile {
            if denseWeightGradient {
                Im2colConvolution.weightGradient(pg, x: px, dPre: dPre, dWeight: pdW, workspace: workspace)
            }
            WinogradConvolution.inputGradient(pg, tile: tile, weight: pw, dPre: dPre, dx: pdx, workspace: workspace)
        } else {
            Im2colConvolution.backward(pg, x: px, weight: pw, dPre: dPre,
                                       dWeight: denseWeightGradient ? pdW : nil, dx: pdx, workspace: workspace)
        }
        if phase != nil {
            if needsWeightGradient { PolyphaseConvolution.addWeightGradient(g, phaseGradient: pdW, dWeight: weight.grad.data) }
            if let dx, let pdx { PolyphaseConvolution.depthToSpace(g, dz: pdx, dx: dx.data) }
        }
        return dx ?? Conv2D.emptyTensor
    }
}

/// Workspace slots used by layers (distinct slots never alias, except where said).
enum WorkspaceSlot {
    static let preActivationGradient = 1
    static let flippedWeights = 2
    /// The polyphase path's space-to-depth input and 3×3 weights (forward, and built again for backward;
    /// backward writes the space-to-depth input gradient over the input).
    static let phaseInput = 6
    /// Columns of a strided convolution's input gradient (dense path) and of the stride-2 transposed
    /// convolution's forward pass: the same buffer as `phaseInput`, which neither of those passes touches (a
    /// polyphase layer's passes are 3×3 stride 1).
    static let columnGradient = phaseInput
    /// Gradient of the polyphase path's 3×3 weights.
    static let phaseWeightGradient = 4
    static let phaseWeight = 7
    /// Per-thread output blocks (pixel-shuffled outputs): `outputBlocks + thread`.
    static let outputBlocks = 300
    /// Per-thread column blocks: `columns + thread`.
    static let columns = 100
    /// Per-thread weight-gradient partials: `weightPartials + thread`.
    static let weightPartials = 200
    /// `DSSIM`'s per-thread maps, when it works in a model's workspace. The losses run between the passes, and
    /// the Winograd products are scratch within one pass, so the two share a buffer (9 MB less at 256 px).
    static let dssim = WinogradSlot.products
}
