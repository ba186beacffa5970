// DeepFaceLab's XSeg segmentation network on the NeuralNet engine (docs/xseg.md): a U-Net of ConvBlocks
// (conv 3×3 → FRN → TLU) with blur-pool downsampling, a linear dense bottleneck and transposed-conv
// upsampling, one logit channel out. Parameter names are DFL's (`XSeg.conv01.conv.weight` ↔ key
// `conv01/conv/weight:0` of `XSeg_<res>.npy`), in DFL's creation order.
import Foundation
import NeuralNet

#if canImport(Glibc)
import Glibc
#endif

/// `ConvBlock` (conv 3×3, pad 1) or `UpConvBlock` (transposed conv 3×3 stride 2, TF SAME), each followed by
/// FRN and TLU; sublayers `conv`, `frn`, `tlu` as in DFL.
///
/// Shapes: (N, H, W, in) → (N, H, W, out) for a ConvBlock, (N, 2H, 2W, out) for an UpConvBlock.
final class XSegBlock: Layer {
    let name: String
    let outChannels: Int
    let conv: Layer
    let frn: FilterResponseNorm
    let tlu: TLU
    var parameters: [Parameter] { conv.parameters + frn.parameters + tlu.parameters }

    init(name: String, inChannels: Int, outChannels: Int, up: Bool, workspace: Workspace, rng: inout SeededRNG) {
        self.name = name
        self.outChannels = outChannels
        let p = XSegNetwork.scope + "." + name
        conv = up ? Conv2DTranspose(name: p + ".conv", inChannels: inChannels, outChannels: outChannels, stride: 2,
                                    workspace: workspace, rng: &rng)
                  : Conv2D(name: p + ".conv", inChannels: inChannels, outChannels: outChannels, kernel: 3,
                           workspace: workspace, rng: &rng)
        frn = FilterResponseNorm(name: p + ".frn", channels: outChannels)
        tlu = TLU(name: p + ".tlu", channels: outChannels)
    }

    /// The weight tensor of the convolution (HWIO, or `(3, 3, out, in)` for an UpConvBlock).
    var convWeight: Parameter { conv.parameters[0] }

    func forward(_ x: Tensor) -> Tensor { tlu.forward(frn.forward(conv.forward(x))) }

    func backward(_ dy: Tensor) -> Tensor {
        let d1 = tlu.backward(dy)
        let d2 = frn.backward(d1)
        GradientPool.give(d1)
        let d3 = conv.backward(d2)
        GradientPool.give(d2)
        return d3
    }
}

/// DeepFaceLab's XSeg network (`nn.XSeg(in_ch 3, base_ch, out_ch 1)`) for `resolution`×`resolution` RGB faces
/// in [0, 1] (docs/xseg.md, "The network"). `forward` gives the logits (N, r, r, 1); `mask` the sigmoid;
/// `extract` DFL's inference mask. DFL builds only resolution 256 with base 32 (a 4×4 bottleneck); the
/// bottleneck side here is resolution / 64, which is DFL's network at 256 and its fixtures' small networks
/// at 64 and 128.
///
/// The network works on RGB input; DFL's weights are for BGR, and `XSegModelFolder` converts at the file
/// boundary.
public final class XSegNetwork {
    /// DFL's TF scope of the network: the first component of our parameter names, and `acc_XSeg/…` in
    /// optimizer keys.
    public static let scope = "XSeg"
    /// DFL's only resolution and base width.
    public static let dflResolution = 256
    public static let dflBaseChannels = 32
    public static let inputChannels = 3
    /// Width of the dense bottleneck code.
    public static let codeSize = 512

    public let resolution: Int
    public let baseChannels: Int
    /// Side of the dense bottleneck's spatial grid (resolution / 64; 4 in DFL).
    public var bottleneckSize: Int { resolution / 64 }
    /// Every weight in DFL's creation order (= the key order of `XSeg_<res>.npy`).
    public let parameters: [Parameter]
    /// DFL's pretrain mode: the six skip tensors are replaced by zeros, so the decoder sees only the bottleneck.
    public var pretrain = false

    let encoder: [[XSegBlock]]
    let pools: [BlurPool]
    let dense1: Dense
    let dense2: Dense
    let flatten = FlattenCHW()
    let reshape: ReshapeCHW
    let ups: [XSegBlock]
    /// Decoder ConvBlocks per level, in forward order (level 5 first, as `ups`).
    let decoder: [[XSegBlock]]
    let joins: [Concat]
    let outConv: Conv2D
    private let workspace = Workspace()
    private var skips: [Tensor] = []
    private var zeroSkips: [Tensor] = []
    /// `pretrain` as the last forward pass ran it (its backward follows that pass).
    private var forwardPretrain = false
    /// Every layer's output of the last forward pass, in forward order (tests compare them with DFL's).
    private(set) var trace: [(name: String, tensor: Tensor)] = []

    /// BlurPool filter size per encoder level (docs/xseg.md).
    static let poolSizes = [4, 3, 2, 2, 2, 2]
    /// ConvBlocks per encoder (and decoder) level.
    static let convsPerLevel = [2, 2, 2, 3, 3, 3]

    /// An XSeg network with DFL's initial values: Glorot-uniform kernels (seeded by `seed`), zero biases,
    /// FRN weight 1, bias 0, eps 1e-6, TLU tau 0. `resolution` must be a positive multiple of 64.
    public init(resolution: Int = XSegNetwork.dflResolution, baseChannels: Int = XSegNetwork.dflBaseChannels,
                seed: UInt64 = 0) {
        precondition(resolution >= 64 && resolution % 64 == 0, "XSeg resolution must be a multiple of 64")
        precondition(baseChannels >= 1, "XSeg base channels must be positive")
        self.resolution = resolution
        self.baseChannels = baseChannels
        let b = baseChannels, ws = workspace
        var rng = SeededRNG(seed: seed)
        // Encoder: level l has convsPerLevel[l] blocks, widths b, 2b, 4b, then 8b from level 3 on.
        let width = [b, 2 * b, 4 * b, 8 * b, 8 * b, 8 * b]
        var enc: [[XSegBlock]] = []
        var inCh = XSegNetwork.inputChannels
        for level in 0..<6 {
            var blocks: [XSegBlock] = []
            for k in 1...XSegNetwork.convsPerLevel[level] {
                blocks.append(XSegBlock(name: "conv\(level)\(k)", inChannels: inCh, outChannels: width[level], up: false,
                                        workspace: ws, rng: &rng))
                inCh = width[level]
            }
            enc.append(blocks)
        }
        encoder = enc
        (encoder[0][0].conv as! Conv2D).needsInputGradient = false   // nothing before the first layer
        pools = XSegNetwork.poolSizes.map { BlurPool(filterSize: $0) }
        let lo = resolution / 64, flat = lo * lo * 8 * b
        dense1 = Dense(name: XSegNetwork.scope + ".dense1", inFeatures: flat, outFeatures: XSegNetwork.codeSize, rng: &rng)
        dense2 = Dense(name: XSegNetwork.scope + ".dense2", inFeatures: XSegNetwork.codeSize, outFeatures: flat, rng: &rng)
        reshape = ReshapeCHW(height: lo, width: lo, channels: 8 * b)
        // Decoder, level 5 down to 0: up_l (the level below's width → level l's width, at most 4b), then the
        // blocks on concat(up, skip_l), named uconv<l><k> with k counting down.
        var upBlocks: [XSegBlock] = [], dec: [[XSegBlock]] = []
        var below = 8 * b
        for level in (0..<6).reversed() {
            let upOut = level >= 3 ? 4 * b : width[level]
            upBlocks.append(XSegBlock(name: "up\(level)", inChannels: below, outChannels: upOut, up: true,
                                      workspace: ws, rng: &rng))
            var blocks: [XSegBlock] = []
            var ch = upOut + width[level]
            for k in (1...XSegNetwork.convsPerLevel[level]).reversed() {
                blocks.append(XSegBlock(name: "uconv\(level)\(k)", inChannels: ch, outChannels: width[level], up: false,
                                        workspace: ws, rng: &rng))
                ch = width[level]
            }
            dec.append(blocks)
            below = width[level]
        }
        ups = upBlocks
        decoder = dec
        joins = (0..<6).map { _ in Concat() }
        outConv = Conv2D(name: XSegNetwork.scope + ".out_conv", inChannels: b, outChannels: 1, kernel: 3,
                         workspace: ws, rng: &rng)
        var ordered = encoder.flatMap { $0.flatMap(\.parameters) } + dense1.parameters + dense2.parameters
        for (up, blocks) in zip(ups, decoder) { ordered += up.parameters + blocks.flatMap(\.parameters) }
        parameters = ordered + outConv.parameters
    }

    /// The first convolution's kernel `(3, 3, 3, b)`: the only tensor that reads the image's channels.
    public var inputConvWeight: Parameter { encoder[0][0].convWeight }

    /// DFL's key of a parameter in `XSeg_<res>.npy`: the name without the scope, `.` → `/`, plus `:0`.
    public static func dflKey(_ parameterName: String) -> String {
        precondition(parameterName.hasPrefix(scope + "."), "not an XSeg parameter: \(parameterName)")
        return parameterName.dropFirst(scope.count + 1).replacingOccurrences(of: ".", with: "/") + ":0"
    }

    /// DFL's RMSprop slot key of a parameter in `XSeg_<res>_opt.npy`: `acc_XSeg/conv01/conv/weight_0:0`.
    public static func dflSlotKey(_ parameterName: String) -> String {
        "acc_" + parameterName.replacingOccurrences(of: ".", with: "/") + "_0:0"
    }

    /// DFL's XSeg optimizer: RMSprop, lr 1e-4, rho 0.9, lr dropout 0.3 (always on), no lr cycle, no clipping.
    public static func dflOptimizer(for network: XSegNetwork, seed: UInt64 = 0) -> Optimizer {
        var s = Optimizer.Settings()
        s.learningRate = 1e-4
        s.learningRateDropout = 0.3
        s.cosinePeriod = 0
        s.clipNorm = 0
        s.seed = seed
        return Optimizer(kind: .rmsprop, parameters: network.parameters, settings: s)
    }

    // MARK: Forward and backward

    /// The logits (N, r, r, 1) for RGB faces `x` (N, r, r, 3) in [0, 1]. Keeps what `backward` needs.
    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.shape.count == 4 && x.shape[1] == resolution && x.shape[2] == resolution
                     && x.shape[3] == XSegNetwork.inputChannels,
                     "XSeg input \(x.shape), want (N, \(resolution), \(resolution), 3)")
        var h = x
        skips = []
        trace = []
        forwardPretrain = pretrain
        func note(_ name: String, _ t: Tensor) -> Tensor { trace.append((name, t)); return t }
        for level in 0..<6 {
            for block in encoder[level] { h = note(block.name, block.forward(h)) }
            skips.append(h)
            h = note("bp\(level)", pools[level].forward(h))
        }
        h = note("dense1", dense1.forward(flatten.forward(h)))
        h = reshape.forward(note("dense2", dense2.forward(h)))
        if pretrain && zeroSkips.map(\.shape) != skips.map(\.shape) { zeroSkips = skips.map { Tensor(shape: $0.shape) } }
        for (i, level) in (0..<6).reversed().enumerated() {
            h = note(ups[i].name, ups[i].forward(h))
            h = joins[i].forward([h, pretrain ? zeroSkips[level] : skips[level]])
            for block in decoder[i] { h = note(block.name, block.forward(h)) }
        }
        return note("out_conv", outConv.forward(h))
    }

    /// Accumulates every parameter's gradient for dObjective/dLogits `dLogits` (N, r, r, 1), after the
    /// matching `forward`. The input gradient is not computed.
    public func backward(_ dLogits: Tensor) {
        var d = outConv.backward(dLogits)
        var skipGradients: [Tensor?] = Array(repeating: nil, count: 6)
        for (i, level) in (0..<6).reversed().enumerated().reversed() {
            for block in decoder[i].reversed() { d = pass(block, d) }
            let parts = joins[i].backward(d)
            GradientPool.give(d)
            // In pretrain mode the skips are constants: their gradient goes nowhere.
            if !forwardPretrain { skipGradients[level] = parts[1] }
            d = ups[i].backward(parts[0])
        }
        d = pass(reshape, d)
        d = pass(dense2, d)
        d = pass(dense1, d)
        d = pass(flatten, d)
        for level in (0..<6).reversed() {
            d = pass(pools[level], d)
            if let g = skipGradients[level] {
                let ds = d.data, gs = g.data
                parallelRanges(d.count) { r in for j in r { ds[j] += gs[j] } }
            }
            for block in encoder[level].reversed() { d = pass(block, d) }
        }
        GradientPool.give(d)
    }

    /// `layer.backward(d)`, giving `d` back to the pool.
    private func pass(_ layer: Layer, _ d: Tensor) -> Tensor {
        let out = layer.backward(d)
        GradientPool.give(d)
        return out
    }

    // MARK: Masks

    /// The sigmoid of the logits: the network's mask in [0, 1] (DFL's second output).
    public static func mask(_ logits: Tensor) -> Tensor {
        let y = Tensor(shape: logits.shape)
        let l = logits.data, o = y.data
        parallelRanges(y.count, costPerItem: 8) { r in for i in r { o[i] = 1 / (1 + expf(-l[i])) } }
        return y
    }

    /// DFL's `XSegNet.extract` from the logits: the sigmoid clipped to [0, 1], values below 0.1 set to 0.
    public static func extract(_ logits: Tensor) -> Tensor {
        let y = mask(logits)
        let o = y.data
        for i in 0..<y.count { let v = min(max(o[i], 0), 1); o[i] = v < extractFloor ? 0 : v }
        return y
    }

    /// Mask values below this are set to 0 by `extract`.
    public static let extractFloor: Float = 0.1
}
