// A trained model directory (dfl-train's) as the merger's FacePredictor: dst face → src face through the
// network (df: decoder_src on the dst code; liae: the decoder on [AB(dst), AB(dst)]), with both mask heads.
//
// SAEHD exposes only the training pass, so one prediction runs that pass on a batch of two: the dst face
// in the src half (the swap image and its mask, DFL's pred_src_dst / pred_src_dstm) and in the dst half (the
// dst mask, pred_dst_dstm); the gradients it accumulates are cleared. The model's buffers are shared, so
// predictions are serialised with a lock; the rest of the merge still runs in parallel.
import Foundation
import FaceSet
import Imaging
import Merge
import NeuralNet
import SAEHD
import Trainer

struct ModelLoadError: Error, CustomStringConvertible {
    let description: String
}

final class SAEHDPredictor: FacePredictor, @unchecked Sendable {
    let resolution: Int
    let channels: Int
    let faceType: FaceType
    private let model: SAEHDModel
    private let batch: TrainingBatch
    private let lock = NSLock()

    init(model: SAEHDModel, faceType: FaceType) {
        self.model = model
        self.faceType = faceType
        resolution = model.config.resolution
        channels = model.config.channels
        batch = TrainingBatch(batch: 1, resolution: resolution, channels: channels)
    }

    func predict(_ face: FloatImage) throws -> FacePrediction {
        let r = resolution, c = channels, size = r * r * c
        guard face.width == r, face.height == r, face.channels == c else {
            throw ModelLoadError(description: "face \(face.width)×\(face.height)×\(face.channels) does not fit the model")
        }
        lock.lock()
        defer { lock.unlock() }
        batch.warped.zero(); batch.target.zero(); batch.targetMask.zero(); batch.targetEyesMouth.zero()
        face.data.withUnsafeBufferPointer { src in
            for slot in 0..<2 {
                (batch.warped.data + slot * size).update(from: src.baseAddress!, count: size)
                (batch.target.data + slot * size).update(from: src.baseAddress!, count: size)
            }
        }
        _ = model.computeGradients(batch)
        for p in model.parameters { p.grad.zero() }
        guard let image = model.predictedImage, let mask = model.predictedMask,
              image.count == 2 * size, mask.count == 2 * r * r else {
            throw ModelLoadError(description: "the model returned no prediction of the expected shape")
        }
        func floats(_ t: Tensor, offset: Int, count: Int, channels: Int) -> FloatImage {
            FloatImage(width: r, height: r, channels: channels,
                       data: (0..<count).map { min(max(t.data[offset + $0], 0), 1) })
        }
        return FacePrediction(image: floats(image, offset: 0, count: size, channels: c),
                              predictedMask: floats(mask, offset: 0, count: r * r, channels: 1),
                              dstMask: floats(mask, offset: r * r, count: r * r, channels: 1))
    }
}

/// The model in `modelDirectory` as a predictor. Throws when the directory holds no loadable model, or when
/// its weights do not have the shapes its model.json describes (another resolution or channel count).
func loadPredictor(modelDirectory: String) throws -> FacePredictor {
    let directory = ModelDirectory(modelDirectory)
    guard directory.hasModel else { throw ModelLoadError(description: "no saved model in this directory") }
    let (model, state) = try directory.loadModel()
    guard let faceType = FaceType(argument: state.options.faceType) else {
        throw ModelLoadError(description: "unknown face type '\(state.options.faceType)' in model.json")
    }
    return SAEHDPredictor(model: model, faceType: faceType)
}
