import NeuralNet

/// The merge/preview outputs for a batch of dst faces (spec §1.5): the swapped face (src identity in the
/// dst pose), the src decoder's mask for it, and the dst decoder's mask.
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
    /// Forward-only inference on `faces` (n × r × r × C): df → dec_src(code) image and mask, dec_dst(code)
    /// mask; liae → dec([AB, AB]) image and mask, dec([B, AB]) mask. Only the masks in `masks` are
    /// computed. The returned tensors are copies, so later calls (and training steps) do not change them.
    /// Layers keep forward state, so do not call this between `computeGradients` and the optimizer step.
    public func predict(_ faces: Tensor, masks: PredictionMasks = .all) -> Prediction {
        let n = faces.shape[0]
        let features = encoder.forward(faces)
        func copy(_ t: Tensor) -> Tensor { let c = Tensor(shape: t.shape); c.copy(from: t); return c }
        if let inter {
            let code = inter.forward(features)
            let image = copy(decoders[0].forwardImage(code))
            let sourceMask = masks.contains(.source) ? copy(decoders[0].forwardMask(code)) : nil
            let dstMask = masks.contains(.destination) ? copy(decoders[1].forwardMask(code)) : nil
            return Prediction(image: image, sourceMask: sourceMask, destinationMask: dstMask)
        }
        let ab = interAB!.forward(features)
        let (h, w, c) = (ab.shape[1], ab.shape[2], ab.shape[3])
        let abCopy = copy(ab)
        let b = masks.contains(.destination) ? copy(interB!.forward(features)) : nil
        let z = Tensor(shape: [n, h, w, 2 * c])
        let pixels = n * h * w
        // src_dst_code = [AB, AB]
        for p in 0..<pixels {
            (z.data + p * 2 * c).update(from: abCopy.data + p * c, count: c)
            (z.data + p * 2 * c + c).update(from: abCopy.data + p * c, count: c)
        }
        let image = copy(decoders[0].forwardImage(z))
        let sourceMask = masks.contains(.source) ? copy(decoders[0].forwardMask(z)) : nil
        guard let b else { return Prediction(image: image, sourceMask: sourceMask, destinationMask: nil) }
        // dst_code = [B, AB]
        for p in 0..<pixels { (z.data + p * 2 * c).update(from: b.data + p * c, count: c) }
        return Prediction(image: image, sourceMask: sourceMask, destinationMask: copy(decoders[0].forwardMask(z)))
    }
}
