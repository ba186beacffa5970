// A trained model directory (dfl-train's) as the merger's FacePredictor: dst face → src face through the
// network's forward pass (SAEHDModel.predict: df → decoder_src on the dst code; liae → the decoder on
// [AB(dst), AB(dst)]), with the swap's mask and the dst decoder's mask only when the mask mode reads them.
// The model's layers keep forward state, so predictions are serialised with a lock; the rest of the merge
// runs in parallel.
import Foundation
import FaceSet
import Imaging
import Merge
import NeuralNet
import ModelStore
import SAEHD
import XSeg

struct ModelLoadError: Error, CustomStringConvertible {
    let description: String
}

final class SAEHDPredictor: FacePredictor, @unchecked Sendable {
    let resolution: Int
    let channels: Int
    let faceType: FaceType
    private let model: SAEHDModel
    private let input: Tensor
    private let lock = NSLock()

    init(model: SAEHDModel, faceType: FaceType) {
        self.model = model
        self.faceType = faceType
        resolution = model.config.resolution
        channels = model.config.channels
        input = Tensor(shape: [1, resolution, resolution, channels])
    }

    func predict(_ face: FloatImage, masks: LearnedMasks) throws -> FacePrediction {
        let r = resolution, c = channels, size = r * r * c
        guard face.width == r, face.height == r, face.channels == c else {
            throw ModelLoadError(description: "face \(face.width)×\(face.height)×\(face.channels) does not fit the model")
        }
        var wanted: PredictionMasks = []
        if masks.contains(.predicted) { wanted.insert(.source) }
        if masks.contains(.dst) { wanted.insert(.destination) }
        lock.lock()
        defer { lock.unlock() }
        face.data.withUnsafeBufferPointer { input.data.update(from: $0.baseAddress!, count: size) }
        let out = model.predict(input, masks: wanted)
        func floats(_ t: Tensor?, channels: Int) throws -> FloatImage? {
            guard let t else { return nil }
            guard t.count == r * r * channels else {
                throw ModelLoadError(description: "the model returned no prediction of the expected shape")
            }
            return FloatImage(width: r, height: r, channels: channels,
                              data: (0..<(r * r * channels)).map { min(max(t.data[$0], 0), 1) })
        }
        return FacePrediction(image: try floats(out.image, channels: c)!,
                              predictedMask: try floats(out.sourceMask, channels: 1),
                              dstMask: try floats(out.destinationMask, channels: 1))
    }
}

/// The model in `modelDirectory` as a predictor, only read (`ModelStore.open`): a dfl-train model
/// directory, a backup or a saves/ folder of one, or a DeepFaceLab model folder. Throws when it holds no
/// loadable model, or when the weights do not have the shapes its description gives (another resolution or
/// channel count).
func loadPredictor(modelDirectory: String, dflName: String? = nil) throws -> FacePredictor {
    let opened = try ModelStore.open(modelDirectory, dflName: dflName, includeOptimizer: false)
    return SAEHDPredictor(model: opened.model, faceType: opened.state.options.faceType)
}

/// The XSeg model of `--xseg-model`, only read (`XSegStore.openMasker`): a dfl-xseg model directory (or a
/// backup or save of one) or a DeepFaceLab XSeg folder (`XSeg_256.npy`, the one DFL's merger loads, else the
/// folder's only `XSeg_<res>.npy`; its face type from `XSeg_data.dat` when the folder has one).
func loadFaceSegmenter(path: String) throws -> XSegMasker {
    try XSegStore.openMasker(path)
}

/// The XSeg module's masker is the merger's segmenter: DFL's `extract` of one face crop, serialised.
extension XSegMasker: FaceSegmenter {}
