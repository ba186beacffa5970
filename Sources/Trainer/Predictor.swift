// Inference for previews and evaluation: faces through one of the model's paths (SAEHDModel.forward), a
// batch at a time, with no backward pass and no gradient buffers.
import Foundation
import Imaging
import NeuralNet
import SAEHD
import Samples

/// Runs a model forward on faces, `batch` at a time (the training batch size: the layers' buffers are sized
/// for about that many samples already).
public final class Predictor {
    public let model: SAEHDModel
    public let batch: Int

    public init(model: SAEHDModel, batch: Int) {
        self.model = model
        self.batch = batch
    }

    /// Predicted images (r × r × C, values clipped to [0, 1]) of `faces` (each r × r × C floats in [0, 1]).
    public func predict(_ faces: [FloatImage], path: PredictionPath) -> [FloatImage] {
        let r = model.config.resolution, c = model.config.channels, size = r * r * c
        var out: [FloatImage] = []
        var start = 0
        while start < faces.count {
            let chunk = Array(faces[start..<min(faces.count, start + batch)])
            let input = Tensor(shape: [chunk.count, r, r, c])                   // [n, r, r, C]
            for (i, face) in chunk.enumerated() {
                precondition(face.width == r && face.height == r && face.channels == c, "face does not match the model")
                face.data.withUnsafeBufferPointer { (input.data + i * size).update(from: $0.baseAddress!, count: size) }
            }
            let predicted = model.forward(input, path: path).image!              // [n, r, r, C]
            for i in 0..<chunk.count {
                let base = predicted.data + i * size
                out.append(FloatImage(width: r, height: r, channels: c, data: (0..<size).map { min(max(base[$0], 0), 1) }))
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
