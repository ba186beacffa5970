import NeuralNet

/// DFL's UNetPatchDiscriminator (GAN power; docs/dfl-model-folder.md §3), file `GAN.npy`.
///
/// A 1×1 input conv, a stack of 3×3 convs whose strides `layerStrides(patchSize:)` picks so that the
/// receptive field is nearest the patch size, a 1×1 centre head on the deepest features, and a decoder of
/// transposed convs with skip connections ending in a full-resolution 1×1 head. Both heads are logits.
/// Parameters are named `<name>.in_conv`, `.convs_i`, `.upconvs_j` (j = 0 the deepest), `.out_conv`,
/// `.center_out`, `.center_conv`, in DFL's creation order.
public final class UNetPatchDiscriminator {
    public static let slope: Float = 0.2
    public let strides: [Int]
    public let channels: [Int]
    let inConv: Conv2D
    let convs: [Conv2D]
    let upconvs: [Conv2DTranspose]
    let concats: [Concat]
    let outConv: Conv2D
    let centerOut: Conv2D
    let centerConv: Conv2D
    public let parameters: [Parameter]

    /// The stride of each 3×3 layer (DFL's `find_archi`): among stacks of 1…`maxLayers` layers whose first
    /// stride is 2 and the others 1 or 2, the one whose receptive field is nearest `patchSize` (ties: the
    /// smaller field); for one field, the fewest layers, then the largest stride sum.
    public static func layerStrides(patchSize: Int, maxLayers: Int = 9) -> [Int] {
        func receptiveField(_ strides: [Int]) -> Int {
            var rf = 0, ts = 1
            for (i, s) in strides.enumerated() {
                rf = i == 0 ? 3 : rf + 2 * ts
                ts *= s
            }
            return rf
        }
        var best: [Int: (layers: Int, strideSum: Int, strides: [Int])] = [:]
        for n in 1...maxLayers {
            var val = 1 << (n - 1)
            repeat {
                val -= 1
                let strides = [2] + (0..<(n - 1)).map { i in val & (1 << i) != 0 ? 2 : 1 }
                let rf = receptiveField(strides), sum = strides.reduce(0, +)
                if let old = best[rf], !(n < old.layers || (n == old.layers && sum > old.strideSum)) { continue }
                best[rf] = (n, sum, strides)
            } while val != 0
        }
        let nearest = best.keys.sorted().min { abs($0 - patchSize) < abs($1 - patchSize) }!
        return best[nearest]!.strides
    }

    /// Why a `resolution`×`resolution` input cannot go through the plan of `patchSize` (a stride-2 layer on
    /// an odd size would not come back to the same size in the decoder), or nil when it can.
    public static func unsupportedReason(resolution: Int, patchSize: Int) -> String? {
        var size = resolution
        for s in layerStrides(patchSize: patchSize) {
            if s == 2 && size % 2 != 0 {
                return "GAN patch size \(patchSize) needs \(layerStrides(patchSize: patchSize).filter { $0 == 2 }.count) halvings, "
                    + "which resolution \(resolution) does not allow; use a smaller --gan-patch-size"
            }
            size /= s
        }
        return nil
    }

    /// A discriminator on `inChannels`-channel images with `baseChannels` (gan_dims) at the top level;
    /// Glorot-uniform weights from `rng`, zero biases.
    public init(name: String, inChannels: Int, patchSize: Int, baseChannels: Int, workspace ws: Workspace, rng: inout SeededRNG) {
        let strides = Self.layerStrides(patchSize: patchSize)
        self.strides = strides
        let count = strides.count
        // ch[j] for j = −1 … L−1 is channels[j + 1].
        let channels = (-1..<count).map { j in min(baseChannels << (j + 1), 512) }
        self.channels = channels
        func ch(_ j: Int) -> Int { channels[j + 1] }
        let p = name + "."
        inConv = Conv2D(name: p + "in_conv", inChannels: inChannels, outChannels: ch(-1), kernel: 1,
                        activation: .leakyReLU(Self.slope), workspace: ws, rng: &rng)
        convs = (0..<count).map { i in
            Conv2D(name: p + "convs_\(i)", inChannels: ch(i - 1), outChannels: ch(i), kernel: 3, stride: strides[i],
                   activation: .leakyReLU(Self.slope), workspace: ws, rng: &rng)
        }
        var ups: [Conv2DTranspose] = []
        for i in 0..<count {
            ups.insert(Conv2DTranspose(name: p + "upconvs_\(count - 1 - i)", inChannels: ch(i) * (i != count - 1 ? 2 : 1),
                                       outChannels: ch(i - 1), stride: strides[i], activation: .leakyReLU(Self.slope),
                                       workspace: ws, rng: &rng), at: 0)
        }
        upconvs = ups
        concats = (0..<count).map { _ in Concat() }
        outConv = Conv2D(name: p + "out_conv", inChannels: 2 * ch(-1), outChannels: 1, kernel: 1, workspace: ws, rng: &rng)
        centerOut = Conv2D(name: p + "center_out", inChannels: ch(count - 1), outChannels: 1, kernel: 1, workspace: ws, rng: &rng)
        centerConv = Conv2D(name: p + "center_conv", inChannels: ch(count - 1), outChannels: ch(count - 1), kernel: 1,
                            activation: .leakyReLU(Self.slope), workspace: ws, rng: &rng)
        // DFL creates the up-convs deepest last but lists them deepest first: creation order is i = 0…L−1.
        let creation = ups.reversed()
        parameters = inConv.parameters + convs.flatMap(\.parameters) + creation.flatMap(\.parameters)
            + outConv.parameters + centerOut.parameters + centerConv.parameters
    }

    /// Whether `backward` returns the input gradient (the generator step) or an empty tensor (the D step).
    public var needsInputGradient: Bool {
        get { inConv.needsInputGradient }
        set { inConv.needsInputGradient = newValue }
    }

    /// Whether `backward` accumulates the discriminator's own gradients (off in the generator step).
    public var needsWeightGradient: Bool = true {
        didSet {
            for c in [inConv, outConv, centerOut, centerConv] + convs { c.needsWeightGradient = needsWeightGradient }
            for u in upconvs { u.needsWeightGradient = needsWeightGradient }
        }
    }

    private var skips: [Tensor] = []

    /// The centre logits (B, H/2^k, W/2^k, 1) and the full-resolution logits (B, H, W, 1) of `x`.
    public func forward(_ x: Tensor) -> (center: Tensor, full: Tensor) {
        var h = inConv.forward(x)
        skips = []
        for conv in convs {
            skips.insert(h, at: 0)
            h = conv.forward(h)
        }
        let center = centerOut.forward(h)
        h = centerConv.forward(h)
        for (j, up) in upconvs.enumerated() {
            h = concats[j].forward([skips[j], up.forward(h)])
        }
        return (center, outConv.forward(h))
    }

    /// The input gradient (empty unless `needsInputGradient`) for gradients of the two logit maps.
    public func backward(center dCenter: Tensor, full dFull: Tensor) -> Tensor {
        var g = outConv.backward(dFull)
        var skipGradients = [Tensor?](repeating: nil, count: upconvs.count)
        for j in upconvs.indices.reversed() {
            let parts = concats[j].backward(g)
            GradientPool.give(g)
            skipGradients[j] = parts[0]
            g = upconvs[j].backward(parts[1])
        }
        let dDeep = centerConv.backward(g)
        GradientPool.give(g)
        let dCenterIn = centerOut.backward(dCenter)
        add(dCenterIn, into: dDeep)
        GradientPool.give(dCenterIn)
        g = dDeep
        for i in convs.indices.reversed() {
            let dIn = convs[i].backward(g)
            GradientPool.give(g)
            add(skipGradients[convs.count - 1 - i]!, into: dIn)
            g = dIn
        }
        let dx = inConv.backward(g)
        GradientPool.give(g)
        return dx
    }
}

/// DFL's CodeDiscriminator (true-face power; docs/dfl-model-folder.md §4), file `code_discriminator.npy`: 1 + code_res/8 convs
/// (the first 4×4, padded by 2, so H/2 + 1; the others 3×3), stride 2, leaky ReLU 0.1, 256·min(2^i, 8)
/// channels, then a 1×1 conv to one logit map. Its input is df's inter output code.
public final class CodeDiscriminator {
    let convs: [Conv2D]
    let outConv: Conv2D
    public let parameters: [Parameter]

    /// `baseChannels` is DFL's 256 (smaller only in tests).
    public init(name: String, inChannels: Int, codeResolution: Int, baseChannels: Int = 256, workspace ws: Workspace,
                rng: inout SeededRNG) {
        let p = name + "."
        var previous = inChannels
        var layers: [Conv2D] = []
        for i in 0..<(1 + codeResolution / 8) {
            let out = baseChannels * min(1 << i, 8)
            layers.append(Conv2D(name: p + "convs_\(i)", inChannels: previous, outChannels: out, kernel: i == 0 ? 4 : 3,
                                 stride: 2, activation: .leakyReLU(0.1), workspace: ws, rng: &rng))
            previous = out
        }
        convs = layers
        outConv = Conv2D(name: p + "out_conv", inChannels: previous, outChannels: 1, kernel: 1, workspace: ws, rng: &rng)
        parameters = convs.flatMap(\.parameters) + outConv.parameters
    }

    public var needsInputGradient: Bool {
        get { convs[0].needsInputGradient }
        set { convs[0].needsInputGradient = newValue }
    }

    public var needsWeightGradient: Bool = true {
        didSet { for c in convs + [outConv] { c.needsWeightGradient = needsWeightGradient } }
    }

    /// The logit map of `code`.
    public func forward(_ code: Tensor) -> Tensor {
        outConv.forward(convs.reduce(code) { $1.forward($0) })
    }

    /// The code gradient (empty unless `needsInputGradient`) for the logits' gradient `dy`.
    public func backward(_ dy: Tensor) -> Tensor {
        var g = outConv.backward(dy)
        for conv in convs.reversed() {
            let next = conv.backward(g)
            GradientPool.give(g)
            g = next
        }
        return g
    }
}

/// `sum += g`, elementwise (same count).
func add(_ g: Tensor, into sum: Tensor) {
    precondition(g.count == sum.count)
    let a = g.data, s = sum.data
    parallelRanges(sum.count) { r in for j in r { s[j] += a[j] } }
}
