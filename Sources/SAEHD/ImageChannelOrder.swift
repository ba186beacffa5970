import NeuralNet

/// Where the order of an image's colour channels is baked into the weights.
///
/// Our images are RGB; DeepFaceLab's networks read and write BGR (docs/dfl-model-folder.md, "Channel
/// order"). Only the layers that touch image channels depend on the order: the encoder's first convolution
/// (its input channels), each decoder's image head (`out_conv`, and `out_conv1..3` with `-d`: output channels
/// and bias) and the GAN discriminator's input convolution. Reversing the channel axis of those tensors, and
/// of their optimizer slots, gives the same model for images in the other order: every later activation, loss
/// and update is identical, because the losses (DSSIM, MSE) treat the channels alike. The DFL folder code
/// applies it once, at the boundary, so everything inside the project stays RGB.
public struct ImageChannelAxis {
    public let parameter: Parameter
    /// The axis that runs over the image channels: 2 (input) or 3 (output) of an HWIO kernel, 0 of a bias.
    public let axis: Int
}

extension SAEHDModel {
    /// The tensors whose layout depends on the image channel order (empty for 1-channel models).
    public var imageChannelAxes: [ImageChannelAxis] {
        guard config.channels > 1 else { return [] }
        var out = [ImageChannelAxis(parameter: encoder.inputConv.weight, axis: 2)]
        for decoder in decoders {
            for conv in decoder.outConvs {
                out.append(ImageChannelAxis(parameter: conv.weight, axis: 3))
                out.append(ImageChannelAxis(parameter: conv.bias, axis: 0))
            }
        }
        if let patch = adversarial?.patch { out.append(ImageChannelAxis(parameter: patch.inConv.weight, axis: 2)) }
        return out
    }

    /// Turns the model into the same model for images with their channels in reverse order (RGB ↔ BGR):
    /// reverses the image-channel axis of every tensor `imageChannelAxes` lists, and of its optimizer slots
    /// (the main optimizer's and the discriminators', with `includingOptimizerSlots`). Applying it twice
    /// restores the model bit for bit.
    public func reverseImageChannelOrder(includingOptimizerSlots: Bool) {
        let optimizers = includingOptimizerSlots ? [optimizer] + discriminators.map(\.optimizer) : []
        for entry in imageChannelAxes {
            entry.parameter.value.reverse(axis: entry.axis)
            for opt in optimizers {
                guard let i = opt.parameters.firstIndex(where: { $0.name == entry.parameter.name }) else { continue }
                for slot in opt.slots[i] { slot.reverse(axis: entry.axis) }
            }
        }
    }
}
