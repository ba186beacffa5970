import NeuralNet

/// The encoder (docs/saehd-model.md §1.2): Downscales (k5 s2, lrelu 0.1) and, with `t`, residual blocks; then the (c,h,w)
/// flatten and, with `u`, pixel norm. Parameter names follow DFL's `encoder.npy` keys.
final class Encoder {
    let body: Sequential
    let head: Sequential
    /// The first convolution, the only encoder layer that reads the image's channels.
    let inputConv: Conv2D
    var parameters: [Parameter] { body.parameters }

    init(_ c: ModelConfig, workspace ws: Workspace, rng: inout SeededRNG) {
        let e = c.eDims, p = "encoder."
        var layers: [Layer] = []
        if c.deep {
            layers.append(makeDownscale(name: p + "down1", inChannels: c.channels, outChannels: e, workspace: ws, rng: &rng))
            layers.append(ResidualBlock(name: p + "res1", channels: e, workspace: ws, rng: &rng))
            layers.append(makeDownscale(name: p + "down2", inChannels: e, outChannels: 2 * e, workspace: ws, rng: &rng))
            layers.append(makeDownscale(name: p + "down3", inChannels: 2 * e, outChannels: 4 * e, workspace: ws, rng: &rng))
            layers.append(makeDownscale(name: p + "down4", inChannels: 4 * e, outChannels: 8 * e, workspace: ws, rng: &rng))
            layers.append(makeDownscale(name: p + "down5", inChannels: 8 * e, outChannels: 8 * e, workspace: ws, rng: &rng))
            layers.append(ResidualBlock(name: p + "res5", channels: 8 * e, workspace: ws, rng: &rng))
        } else {
            var inCh = c.channels
            for i in 0..<4 {
                let out = e * min(1 << i, 8)
                layers.append(makeDownscale(name: p + "down1.downs_\(i)", inChannels: inCh, outChannels: out, workspace: ws, rng: &rng))
                inCh = out
            }
        }
        inputConv = layers[0] as! Conv2D
        inputConv.needsInputGradient = false
        body = Sequential(layers)
        head = Sequential(c.pixelNorm ? [FlattenCHW(), PixelNorm()] : [FlattenCHW()])
    }

    func forward(_ x: Tensor) -> Tensor { head.forward(body.forward(x)) }
    func backward(_ dy: Tensor) {
        let h = head.backward(dy)
        GradientPool.give(body.backward(h))
        GradientPool.give(h)
    }
}

/// Inter (docs/saehd-model.md §1.3): dense1 E→ae, dense2 ae→lowest²·out (both linear), (c,h,w) reshape, and without `t`
/// an Upscale(out→out).
final class Inter {
    let net: Sequential
    var parameters: [Parameter] { net.parameters }

    init(_ c: ModelConfig, name: String, workspace ws: Workspace, rng: inout SeededRNG) {
        let out = c.interOutChannels, low = c.lowest, p = name + "."
        var layers: [Layer] = [
            Dense(name: p + "dense1", inFeatures: c.encoderLength, outFeatures: c.aeDims, rng: &rng),
            Dense(name: p + "dense2", inFeatures: c.aeDims, outFeatures: low * low * out, rng: &rng),
            ReshapeCHW(height: low, width: low, channels: out),
        ]
        if !c.deep { layers.append(Upscale(name: p + "upscale1", inChannels: out, outChannels: out, workspace: ws, rng: &rng)) }
        net = Sequential(layers)
    }

    func forward(_ x: Tensor) -> Tensor { net.forward(x) }
    func backward(_ dy: Tensor) -> Tensor { net.backward(dy) }
}

/// Decoder (docs/saehd-model.md §1.4): image path of Upscales and residual blocks with a sigmoid head (with `d`: four convs
/// concatenated and pixel-shuffled), and a mask path of Upscales only with a 1×1 sigmoid head.
final class Decoder {
    let imagePath: Sequential
    let maskPath: Sequential
    let outConvs: [Conv2D]
    let outConvMask: Conv2D
    let subpixelHead: SubpixelHead?
    let doubleHead: Bool
    /// All parameters in DFL's creation order.
    let parameters: [Parameter]

    init(_ c: ModelConfig, name: String, workspace ws: Workspace, rng: inout SeededRNG) {
        let p = name + ".", d = c.dDims, dm = c.dMaskDims, inCh = c.decoderInChannels
        doubleHead = c.doubleHead
        let upChannels = c.deep ? [(inCh, 8 * d), (8 * d, 8 * d), (8 * d, 4 * d), (4 * d, 2 * d)]
                                : [(inCh, 8 * d), (8 * d, 4 * d), (4 * d, 2 * d)]
        var ups: [Layer] = [], res: [Layer] = [], path: [Layer] = []
        for (i, (a, b)) in upChannels.enumerated() {
            ups.append(Upscale(name: p + "upscale\(i)", inChannels: a, outChannels: b, workspace: ws, rng: &rng))
        }
        for (i, (_, b)) in upChannels.enumerated() {
            res.append(ResidualBlock(name: p + "res\(i)", channels: b, workspace: ws, rng: &rng))
        }
        for i in upChannels.indices { path.append(ups[i]); path.append(res[i]) }
        imagePath = Sequential(path)
        var maskChannels = c.deep ? [(inCh, 8 * dm), (8 * dm, 8 * dm), (8 * dm, 4 * dm), (4 * dm, 2 * dm)]
                                  : [(inCh, 8 * dm), (8 * dm, 4 * dm), (4 * dm, 2 * dm)]
        var masks: [Layer] = maskChannels.enumerated().map { i, ch in
            Upscale(name: p + "upscalem\(i)", inChannels: ch.0, outChannels: ch.1, workspace: ws, rng: &rng)
        }
        var convs = [Conv2D(name: p + "out_conv", inChannels: 2 * d, outChannels: c.channels, kernel: 1,
                            activation: .sigmoid, workspace: ws, rng: &rng)]
        if c.doubleHead {
            for i in 1...3 {
                convs.append(Conv2D(name: p + "out_conv\(i)", inChannels: 2 * d, outChannels: c.channels, kernel: 3,
                                    activation: .sigmoid, workspace: ws, rng: &rng))
            }
            maskChannels.append((2 * dm, dm))
            masks.append(Upscale(name: p + "upscalem\(maskChannels.count - 1)", inChannels: 2 * dm, outChannels: dm,
                                 workspace: ws, rng: &rng))
        }
        outConvs = convs
        subpixelHead = c.doubleHead ? SubpixelHead(convs: convs, workspace: ws) : nil
        maskPath = Sequential(masks)
        outConvMask = Conv2D(name: p + "out_convm", inChannels: c.doubleHead ? dm : 2 * dm, outChannels: 1, kernel: 1,
                             activation: .sigmoid, workspace: ws, rng: &rng)
        var ordered: [Parameter] = ups.flatMap(\.parameters)
        ordered += res.flatMap(\.parameters)
        ordered += masks.prefix(upChannels.count).flatMap(\.parameters)
        ordered += convs.flatMap(\.parameters)
        ordered += masks.dropFirst(upChannels.count).flatMap(\.parameters)
        ordered += outConvMask.parameters
        parameters = ordered
    }

    /// Image (sigmoid, r×r×C) and mask (sigmoid, r×r×1) for code `z`.
    func forward(_ z: Tensor) -> (image: Tensor, mask: Tensor) {
        (forwardImage(z), forwardMask(z))
    }

    /// The image path alone (inference that needs no mask skips the mask path).
    func forwardImage(_ z: Tensor) -> Tensor {
        let features = imagePath.forward(z)
        // Sigmoid is elementwise, so applying it before the shuffle equals DFL's order.
        return subpixelHead?.forward(features) ?? outConvs[0].forward(features)
    }

    /// The mask path alone (inference that needs only a mask skips the costlier image path).
    func forwardMask(_ z: Tensor) -> Tensor {
        outConvMask.forward(maskPath.forward(z))
    }

    /// dObjective/dz for the image and mask gradients; accumulates parameter gradients.
    func backward(image dImage: Tensor, mask dMask: Tensor) -> Tensor {
        let dFeatures: Tensor
        if let subpixelHead {
            dFeatures = subpixelHead.backward(dImage)
        } else {
            dFeatures = outConvs[0].backward(dImage)
        }
        let dzImage = imagePath.backward(dFeatures)
        GradientPool.give(dFeatures)
        let dMaskFeatures = outConvMask.backward(dMask)
        let dzMask = maskPath.backward(dMaskFeatures)
        GradientPool.give(dMaskFeatures)
        add(dzMask, into: dzImage)
        GradientPool.give(dzMask)
        return dzImage
    }
}
