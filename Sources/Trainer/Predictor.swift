// Inference for previews and evaluation. SAEHD's forward-only `predict` gives only the swap (dst→src) and
// the masks, so for all three paths a prediction runs the training pass (`computeGradients`) on a batch
// whose network inputs are the faces to predict, then clears the gradients it accumulated (the weights and
// optimizer state are untouched). Using `predict` for the swap path would halve its cost.
// The pass decodes its first half through the src path and its second half through the dst path, so:
//   src→src: src faces in the first half;   dst→dst: dst faces in the second half;
//   dst→src (the swap): dst faces in the first half (df: decoder_src on the dst code; liae: the decoder on
//   [AB(dst), AB(dst)], exactly DFL's pred_src_dst).
import Foundation
import Imaging
import NeuralNet
import SAEHD
import Samples

/// Which reconstruction to compute.
public enum PredictionPath: String, Sendable, CaseIterable {
    /// src face through the src decoder (src→src).
    case src
    /// dst face through the dst decoder (dst→dst).
    case dst
    /// dst face through the src decoder (dst→src), the swap.
    case swap
}

/// Runs a model forward on faces, `batch` at a time (use the training batch size to reuse its buffers).
public final class Predictor {
    public let model: SAEHDModel
    public let batch: Int
    private let buffers: TrainingBatch

    public init(model: SAEHDModel, batch: Int) {
        self.model = model
        self.batch = batch
        buffers = TrainingBatch(batch: batch, resolution: model.config.resolution, channels: model.config.channels)
    }

    /// Predicted images (r × r × C, values clipped to [0, 1]) of `faces` (each r × r × C floats in [0, 1]).
    public func predict(_ faces: [FloatImage], path: PredictionPath) -> [FloatImage] {
        let r = model.config.resolution, c = model.config.channels, size = r * r * c
        var out: [FloatImage] = []
        var start = 0
        while start < faces.count {
            let chunk = Array(faces[start..<min(faces.count, start + batch)])
            buffers.warped.zero(); buffers.target.zero(); buffers.targetMask.zero(); buffers.targetEyesMouth.zero()
            let firstSlot = path == .dst ? batch : 0
            for (i, face) in chunk.enumerated() {
                precondition(face.width == r && face.height == r && face.channels == c, "face does not match the model")
                face.data.withUnsafeBufferPointer {
                    (buffers.warped.data + (firstSlot + i) * size).update(from: $0.baseAddress!, count: size)
                    (buffers.target.data + (firstSlot + i) * size).update(from: $0.baseAddress!, count: size)
                }
            }
            _ = model.computeGradients(buffers)
            for p in model.parameters { p.grad.zero() }
            let predicted = model.predictedImage!
            for i in 0..<chunk.count {
                let base = predicted.data + (firstSlot + i) * size
                out.append(FloatImage(width: r, height: r, channels: c,
                                      data: (0..<size).map { min(max(base[$0], 0), 1) }))
            }
            start += batch
        }
        return out
    }
}

extension PreparedFace {
    /// The face as the network sees it: floats in [0, 1] with `channels` channels (3 → 1 by BT.601 luma).
    public func networkInput(channels: Int) -> FloatImage {
        (channels == 1 ? image.toGray() : image).toFloat()
    }

    /// The full-face mask as floats in [0, 1].
    public var maskFloat: FloatImage { fullMask.toFloat() }
}
