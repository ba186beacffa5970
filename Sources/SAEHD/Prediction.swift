import NeuralNet

/// What an inference pass computes besides nothing: the decoder's image, its mask, or both.
public struct DecoderOutputs: OptionSet, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    public static let image = DecoderOutputs(rawValue: 1)
    public static let mask = DecoderOutputs(rawValue: 2)
    public static let both: DecoderOutputs = [.image, .mask]
}

/// The outputs of `SAEHDModel.forward(_:path:outputs:)`: copies, so later passes do not change them.
public struct PathOutput {
    /// n × r × r × C, sigmoid output (nil when not asked for).
    public let image: Tensor?
    /// n × r × r × 1 (nil when not asked for).
    public let mask: Tensor?
}

/// The merge outputs for a batch of dst faces (docs/saehd-model.md §1.5): the swapped face (src identity in
/// the dst pose), the src decoder's mask for it, and the dst decoder's mask.
public struct Prediction {
    /// n × r × r × C, sigmoid output.
    public let image: Tensor
    /// n × r × r × 1: mask of the swap pass; nil when not asked for.
    public let sourceMask: Tensor?
    /// n × r × r × 1: mask of the dst reconstruction; nil when not asked for.
    public let destinationMask: Tensor?
}

/// Which masks `predict` computes besides the image. Each one costs a decoder pass (the dst mask only the
/// decoder's mask path), so a merge whose mask comes from the landmarks asks for none.
public struct PredictionMasks: OptionSet, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    /// The src decoder's mask of the swapped face (DFL `pred_src_dstm`).
    public static let source = PredictionMasks(rawValue: 1)
    /// The dst decoder's mask of the input face (DFL `pred_dst_dstm`).
    public static let destination = PredictionMasks(rawValue: 2)
    public static let all: PredictionMasks = [.source, .destination]
}

extension SAEHDModel {
    /// Inference on `faces` (n × r × r × C) through `path`: encoder, the coder's codes for the path, and the
    /// path's decoder (docs/saehd-model.md §1.5). No backward pass and no gradient buffer is involved; the
    /// layers keep their forward state, so do not call this between `computeGradients` and the optimizer step.
    /// Previews, held-out evaluation, `--reconstruct` and merging all predict through here.
    public func forward(_ faces: Tensor, path: PredictionPath, outputs: DecoderOutputs = .image) -> PathOutput {
        decode(encoder.forward(faces), path: path, outputs: outputs)
    }

    /// The merge's pass: the swap (image, and the src decoder's mask with `.source`) and, with
    /// `.destination`, the dst path's mask, from one encoder pass.
    public func predict(_ faces: Tensor, masks: PredictionMasks = .all) -> Prediction {
        let features = encoder.forward(faces)                                   // [n, E]
        let swap = decode(features, path: .swap, outputs: masks.contains(.source) ? .both : .image)
        let dstMask = masks.contains(.destination) ? decode(features, path: .dst, outputs: .mask).mask : nil
        return Prediction(image: swap.image!, sourceMask: swap.mask, destinationMask: dstMask)
    }

    /// The decoder outputs of encoder `features` along `path`, copied out of the layers' buffers.
    private func decode(_ features: Tensor, path: PredictionPath, outputs: DecoderOutputs) -> PathOutput {
        func copy(_ t: Tensor) -> Tensor { let c = Tensor(shape: t.shape); c.copy(from: t); return c }
        let code = coder.codes(features, path: path)                            // [n, low, low, ae or 4·ae]
        let decoder = decoders[coder.decoderIndex(for: path)]
        return PathOutput(image: outputs.contains(.image) ? copy(decoder.forwardImage(code)) : nil,
                          mask: outputs.contains(.mask) ? copy(decoder.forwardMask(code)) : nil)
    }
}
