/// leras's `Conv2DTranspose(in, out, k=3, strides=s, padding='SAME')`: TF's `conv2d_transpose` with TF's SAME
/// padding, output `H·s × W·s`, weights in TF's transpose layout `[k, k, out, in]`, a bias, and an optional
/// fused output activation (docs/dfl-model-folder.md §2). Stride 1 or 2, kernel 3.
///
/// It is the adjoint of a TF-SAME convolution over the `H·s` output, so
/// `out[i] = Σ_{o, k : o·s + k − before = i} in[o] · w[k]` per axis, with `before` = 1 for stride 1 and 0 for
/// stride 2. Rather than a scatter of its own, it runs as an ordinary 3×3 stride-1 convolution (padding 1)
/// over the input, so the im2col and Winograd paths and their tested backward passes apply:
/// - stride 1: `out[i] = Σ_j in[i + j − 1] · w[2 − j]`, the kernel flipped with in and out swapped;
/// - stride 2: output pixel `2m + p` takes `in[m]·w[0] + in[m−1]·w[2]` (p = 0) or `in[m]·w[1]` (p = 1), so
///   one convolution with 4·out channels (one group per output phase, the unused taps zero) followed by
///   depth_to_space(2) — the layout `Conv2D`'s pixel shuffle already writes. The zero taps cost 4× the
///   multiply-adds of a direct scatter, which Winograd's F(4×4) wins back on the shapes where it runs.
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

    /// The stride-1 convolution it runs as; its weights are rebuilt from `weight` at each forward pass.
    private let conv: Conv2D
    public static let kernel = 3

    /// A transposed convolution `inChannels → outChannels` with zero bias and Glorot-uniform weights
    /// (TF's glorot_uniform on the `[3, 3, out, in]` shape: fan_in = 9·out, fan_out = 9·in).
    public init(name: String, inChannels: Int, outChannels: Int, stride: Int, activation: Activation = .identity,
                workspace: Workspace, rng: inout SeededRNG) {
        precondition(stride == 1 || stride == 2, "transposed convolution stride must be 1 or 2")
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.stride = stride
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
        let cw = conv.weight.value.data, w = weight.value.data
        conv.weight.value.zero()
        forEachMappedWeight { c, t in cw[c] = w[t] }
        let groups = conv.outChannels / outChannels
        for g in 0..<groups { (conv.bias.value.data + g * outChannels).update(from: bias.value.data, count: outChannels) }
        return conv.forward(x)
    }

    public func backward(_ dy: Tensor) -> Tensor {
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
