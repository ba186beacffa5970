// Loading a trained model directory as a FacePredictor.
import Merge

struct ModelLoadError: Error, CustomStringConvertible {
    let description: String
}

/// The model in `modelDirectory` as a predictor (dst → src).
func loadPredictor(modelDirectory: String) throws -> FacePredictor {
    throw ModelLoadError(description: "loading trained models is not available in this build (the Trainer module is not merged yet)")
}
