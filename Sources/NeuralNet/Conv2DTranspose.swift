/// leras's `Conv2DTranspose(in, out, k=3, strides=s, padding='SAME')`: TF's `conv2d_transpose` with TF's SAME
/// padding, output `H·s × W·s`, weights in TF's transpose layout `[k, k, out, in]`, a bias, and an optional
/// fused output activation (docs/dfl-model-folder.md §2). Stride 1 or 2, kernel 3.
///
/// It is the adjoint of a TF-SAME convolution over the `H·s` output, so
/// `out[i] = Σ_{o, k : o·s + k − before = i} in[o] · w[k]` per axis, with `before` = 1 for stride 1 and 0 for
/// stride 2.
/// - Stride 1 runs as an ordinary 3×3 stride-1 convolution (padding 1) over the input, so the im2col and
///   Winograd paths and their tested backward passes apply: `out[i] = Σ_j in[i + j − 1] · w[2 − j]`, the
///   kernel flipped with in and out swapped.
/// - Stride 2 runs directly, at the layer's own multiply-adds (`TransposedConvolution`): the columns
///   `X · Wᵀ` (one row of 9·out per input pixel) gathered onto the output pixels (col2im), and backward the
///   output gradient's 3×3 stride-2 columns times W (input gradient) and their transpose times X (weight
///   gradient). `directStride2 = false` runs it instead as one 3×3 convolution with 4·out channels (one
///   group per output phase: pixel `2m + p` takes `in[m]·w[0] + in[m−1]·w[2]` (p = 0) or `in[m]·w[1]`
///   (p = 1), the unused taps zero) followed by depth_to_space(2): 4× the multiply-adds before Winograd;
///   the tests keep it as the reference.
public final class Conv2DTranspose: Layer {
    public let inChannels: Int
    public let outChannels: Int
    public let stride: Int
    /// `[3, 3, out, in]`, TF's layout.
    public let weight: Parameter
    public let bias: Parameter
    public var parameters: [Parameter] { [weight, bias] }
    /// When false, `backward` skips the input gradient and returns an empty tensor.
    public var needsInputGradient: Bool {
        get { conv.needsInputGradient }
        set { conv.needsInputGradient = newValue }
    }
    /// When false, `backward` leaves the weight and bias gradients alone.
    public var needsWeightGradient: Bool {
        get { conv.needsWeightGradient }
        set { conv.needsWeightGradient = newValue }
    }

    /// Stride 2 runs directly (true, the default) or as the 4-phase-group convolution (false; the tests'
    /// reference). Read at each forward pass.
    nonisolated(unsafe) public static var directStride2 = true

    /// The stride-1 convolution it runs as (stride 2 without `directStride2`); its weights are rebuilt from
    /// `weight` at each forward pass. The direct path keeps its flags here too.
    private let conv: Conv2D
    public let activation: Activation
    private let workspace: Workspace
    public static let kernel = 3

    // The direct stride-2 pass's state: its input and output (nil when the last forward ran `conv`).
    private var input: Tensor?
    private var output: Tensor?
    private var directOutput: Tensor?
    private static let emptyTensor = Tensor(shape: [0])

    /// A transposed convolution `inChannels → outChannels` with zero bias and Glorot-uniform weights
    /// (TF's glorot_uniform on the `[3, 3, out, in]` shape: fan_in = 9·out, fan_out = 9·in).
    public init(name: String, inChannels: Int, outChannels: Int, stride: Int, activation: Activation = .identity,
                workspace: Workspace, rng: inout SeededRNG) {
        precondition(stride == 1 || stride == 2, "transposed convolution stride must be 1 or 2")
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.stride = stride
        self.activation = activation
        self.workspace = workspace
        let k = Conv2DTranspose.kernel
        weight = Parameter(name: name + ".weight", shape: [k, k, outChannels, inChannels])
        bias = Parameter(name: name + ".bias", shape: [outChannels])
        Initializer.glorotUniform(weight.value, fanIn: k * k * outChannels, fanOut: k * k * inChannels, rng: &rng)
        var unused = SeededRNG(seed: 0)
        conv = Conv2D(name: name + ".as_conv", inChannels: inChannels, outChannels: stride == 2 ? 4 * outChannels : outChannels,
                      kernel: k, activation: activation, pixelShuffle: stride == 2, workspace: workspace, rng: &unused)
    }

    /// The kernel tap `k` of the transposed weights that convolution tap `j` (offset j − 1) of output phase
    /// `phase` reads, or nil for a tap that stays zero.
    @inline(__always)
    static func tap(_ j: Int, phase: Int, stride: Int) -> Int? {
        if stride == 1 { return 2 - j }
        switch (phase, j) {
        case (0, 1): return 0
        case (0, 0): return 2
        case (1, 1): return 1
        default: return nil
        }
    }

    /// Calls `body(convIndex, weightIndex)` for every convolution weight that mirrors a transposed weight.
    private func forEachMappedWeight(_ body: (Int, Int) -> Void) {
        let cin = inChannels, cout = outChannels, convOut = conv.outChannels
        let phases = stride == 2 ? 2 : 1
        for py in 0..<phases {
            for px in 0..<phases {
                let group = (py * 2 + px) * cout   // DCR: sub-pixel (py, px) owns channels group..<group+cout
                for j in 0..<3 {
                    guard let ky = Self.tap(j, phase: py, stride: stride) else { continue }
                    for l in 0..<3 {
                        guard let kx = Self.tap(l, phase: px, stride: stride) else { continue }
                        for ci in 0..<cin {
                            let convBase = ((j * 3 + l) * cin + ci) * convOut + (stride == 2 ? group : 0)
                            for co in 0..<cout { body(convBase + co, ((ky * 3 + kx) * cout + co) * cin + ci) }
                        }
                    }
                }
            }
        }
    }

    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.shape.count == 4 && x.shape[3] == inChannels, "transposed conv input \(x.shape), want C=\(inChannels)")
        if stride == 2 && Self.directStride2 {
            let (n, h, w) = (x.shape[0], x.shape[1], x.shape[2])
            let y = Tensor.reuse(directOutput, shape: [n, 2 * h, 2 * w, outChannels])
            directOutput = y
            input = x
            output = y
            let t0 = ConvProfiler.enabled ? ConvProfiler.now() : 0
            TransposedConvolution.forward(shape, x: x.data, weight: weight.value.data, bias: bias.value.data,
                                          activation: activation, y: y.data, workspace: workspace)
            let macs = x.count * 9 * outChannels
            MACCounter.forward += macs
            if ConvProfiler.enabled { ConvProfiler.record(profileKey(h, w), forward: ConvProfiler.now() - t0, macs: macs) }
            return y
        }
        input = nil
        output = nil
        let cw = conv.weight.value.data, w = weight.value.data
        conv.weight.value.zero()
        forEachMappedWeight { c, t in cw[c] = w[t] }
        let groups = conv.outChannels / outChannels
        for g in 0..<groups { (conv.bias.value.data + g * outChannels).update(from: bias.value.data, count: outChannels) }
        return conv.forward(x)
    }

    private var shape: TransposedConvolution.Shape {
        TransposedConvolution.Shape(batch: input!.shape[0], height: input!.shape[1], width: input!.shape[2],
                                    inChannels: inChannels, outChannels: outChannels)
    }

    private func profileKey(_ h: Int, _ w: Int) -> String { "t3s2 \(h)x\(w) \(inChannels)->\(outChannels) direct" }

    public func backward(_ dy: Tensor) -> Tensor {
        if let x = input, let y = output {
            precondition(dy.count == y.count)
            let t0 = ConvProfiler.enabled ? ConvProfiler.now() : 0
            let macs = x.count * 9 * outChannels * ((needsInputGradient ? 1 : 0) + (needsWeightGradient ? 1 : 0))
            MACCounter.backward += macs
            let dx = needsInputGradient ? GradientPool.take(x.shape) : nil
            TransposedConvolution.backward(shape, x: x.data, weight: weight.value.data, activation: activation, y: y.data,
                                           dy: dy.data, dWeight: needsWeightGradient ? weight.grad.data : nil,
                                           dBias: needsWeightGradient ? bias.grad.data : nil, dx: dx?.data, workspace: workspace)
            if ConvProfiler.enabled { ConvProfiler.record(profileKey(x.shape[1], x.shape[2]), backward: ConvProfiler.now() - t0, macs: macs) }
            return dx ?? Self.emptyTensor
        }
        if needsWeightGradient {
            conv.weight.grad.zero()
            conv.bias.grad.zero()
        }
        let dx = conv.backward(dy)
        if needsWeightGradient {
            let cg = conv.weight.grad.data, g = weight.grad.data
            forEachMappedWeight { c, t in g[t] += cg[c] }
            let groups = conv.outChannels / outChannels
            for gi in 0..<groups { for co in 0..<outChannels { bias.grad.data[co] += conv.bias.grad.data[gi * outChannels + co] } }
        }
        return dx
    }
}
