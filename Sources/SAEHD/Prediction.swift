import NeuralNet

/// The merge/preview outputs for a batch of dst faces (spec §1.5): the swapped face (src identity in the
/// dst pose), the src decoder's mask for it, and the dst decoder's mask.
public struct Prediction {
    /// n × r × r × C, sigmoid output.
    public let image: Tensor
    /// n × r × r × 1: mask of the swap pass.
    public let sourceMask: Tensor
    /// n × r × r × 1: mask of the dst reconstruction.
    public let destinationMask: Tensor
}

extension SAEHDModel {
    /// Forward-only inference on `faces` (n × r × r × C): df → dec_src(code) image and mask, dec_dst(code)
    /// mask; liae → dec([AB, AB]) image and mask, dec([B, AB]) mask. The returned tensors are copies, so
    /// later calls (and training steps) do not change them. Layers keep forward state, so do not call this
    /// between `computeGradients` and the optimizer step.
    public func predict(_ faces: Tensor) -> Prediction {
        let n = faces.shape[0]
        let features = encoder.forward(faces)
        func copy(_ t: Tensor) -> Tensor { let c = Tensor(shape: t.shape); c.copy(from: t); return c }
        if let inter {
            let code = inter.forward(features)
            let swap = decoders[0].forward(code)
            let image = copy(swap.image), sourceMask = copy(swap.mask)
            let dst = decoders[1].forward(code)
            return Prediction(image: image, sourceMask: sourceMask, destinationMask: copy(dst.mask))
        }
        let ab = interAB!.forward(features)
        let (h, w, c) = (ab.shape[1], ab.shape[2], ab.shape[3])
        let abCopy = copy(ab)
        let b = interB!.forward(features)
        let z = Tensor(shape: [n, h, w, 2 * c])
        let pixels = n * h * w
        // src_dst_code = [AB, AB]
        for p in 0..<pixels {
            (z.data + p * 2 * c).update(from: abCopy.data + p * c, count: c)
            (z.data + p * 2 * c + c).update(from: abCopy.data + p * c, count: c)
        }
        let swap = decoders[0].forward(z)
        let image = copy(swap.image), sourceMask = copy(swap.mask)
        // dst_code = [B, AB]
        for p in 0..<pixels { (z.data + p * 2 * c).update(from: b.data + p * c, count: c) }
        let dst = decoders[0].forward(z)
        return Prediction(image: image, sourceMask: sourceMask, destinationMask: copy(dst.mask))
    }
}
