import NeuralNet

/// The `-d` image head (docs/saehd-model.md §1.4): out_conv (1×1) and out_conv1..3 (3×3), each `in → C` with sigmoid,
/// concatenated in that order and pixel-shuffled, so sub-pixel (dy, dx) comes from conv dy·2+dx.
///
/// Four convolutions with C (1 or 3) outputs each make four thin GEMMs over the same input; they run here
/// as one 3×3 convolution with 4·C outputs, out_conv's kernel placed at the centre tap (other taps zero).
/// The four convolutions keep their own parameters (names, optimizer); the combined kernel is packed from
/// them before each forward and its gradient is unpacked into theirs (the zero taps' gradient is dropped).
final class SubpixelHead: Layer {
    let convs: [Conv2D]
    private let combined: Conv2D
    private let shuffle = DepthToSpace()
    var parameters: [Parameter] { convs.flatMap(\.parameters) }

    /// `convs` = [out_conv (1×1), out_conv1, out_conv2, out_conv3 (3×3)], all with the same in/out channels.
    init(convs: [Conv2D], workspace: Workspace) {
        precondition(convs.count == 4 && convs[0].kernel == 1 && convs[1...].allSatisfy { $0.kernel == 3 })
        self.convs = convs
        var rng = SeededRNG(seed: 0)
        combined = Conv2D(name: "combined_head", inChannels: convs[0].inChannels, outChannels: 4 * convs[0].outChannels,
                          kernel: 3, activation: .sigmoid, workspace: workspace, rng: &rng)
    }

    private var inChannels: Int { convs[0].inChannels }
    private var channels: Int { convs[0].outChannels }

    func forward(_ x: Tensor) -> Tensor {
        let cin = inChannels, c = channels, c4 = 4 * c
        let w = combined.weight.value.data, b = combined.bias.value.data
        for tap in 0..<9 {
            for ci in 0..<cin {
                let row = w + (tap * cin + ci) * c4
                for j in 0..<4 {
                    for o in 0..<c {
                        if j == 0 {
                            row[o] = tap == 4 ? convs[0].weight.value.data[ci * c + o] : 0
                        } else {
                            row[j * c + o] = convs[j].weight.value.data[(tap * cin + ci) * c + o]
                        }
                    }
                }
            }
        }
        for j in 0..<4 { for o in 0..<c { b[j * c + o] = convs[j].bias.value.data[o] } }
        let y = combined.forward(x)
        // Count the multiply-adds of the four real kernels, not the zero taps.
        MACCounter.forward -= (y.count / c4) * 8 * cin * c
        return shuffle.forward(y)
    }

    func backward(_ dy: Tensor) -> Tensor {
        let cin = inChannels, c = channels, c4 = 4 * c
        combined.weight.grad.zero()
        combined.bias.grad.zero()
        let d = shuffle.backward(dy)
        let dx = combined.backward(d)
        GradientPool.give(d)
        // As in `forward`: the four real kernels' multiply-adds, input and weight gradients.
        MACCounter.backward -= (d.count / c4) * 8 * cin * c
            * ((combined.needsInputGradient ? 1 : 0) + (combined.needsWeightGradient ? 1 : 0))
        let g = combined.weight.grad.data, gb = combined.bias.grad.data
        for tap in 0..<9 {
            for ci in 0..<cin {
                let row = g + (tap * cin + ci) * c4
                for o in 0..<c {
                    if tap == 4 { convs[0].weight.grad.data[ci * c + o] += row[o] }
                    for j in 1..<4 { convs[j].weight.grad.data[(tap * cin + ci) * c + o] += row[j * c + o] }
                }
            }
        }
        for j in 0..<4 { for o in 0..<c { convs[j].bias.grad.data[o] += gb[j * c + o] } }
        return dx
    }
}
