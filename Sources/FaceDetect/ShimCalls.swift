// What the CDlib callers of this module share: where a model file is, loading it (status → error), and detecting
// boxes into a buffer that grows until every box fits.
import CBLASCore
import CDlib

/// dlib multiplies through OpenBLAS (the CNN detector, and matrix products elsewhere): OpenBLAS's kernels for
/// this CPU are settled before dlib's first call (docs/blas-core.md), whichever detector a run uses, so every
/// run of a process kind computes with the same kernels.
let dlibBLASReady: Void = { _ = dfl_blas_choose_core() }()

/// Which model file a shim loader reads, to word its failure.
enum ShimModel {
    /// The 68-point landmark model (`cdlib_predictor_load`).
    case landmarks
    /// The CNN face detector's network (`cdlib_cnn_load`).
    case cnnDetector
}

/// A model file's path: `explicit` if given and not empty, else the environment `variable` if set and not empty,
/// else `fallback()`.
func shimModelPath(_ explicit: String?, variable: String, environment: [String: String], fallback: () -> String) -> String {
    if let p = explicit, !p.isEmpty { return p }
    if let p = environment[variable], !p.isEmpty { return p }
    return fallback()
}

/// A loader of cdlib.h: path, status out, message buffer and its capacity; NULL on failure.
typealias ShimLoader = (UnsafePointer<CChar>?, UnsafeMutablePointer<Int32>?, UnsafeMutablePointer<CChar>?, Int) -> OpaquePointer?

/// Loads `path` with `load`; a failure becomes the module's error for that model and status: the file cannot be
/// opened (or no path) → missing; not that model → invalid; anything else → invalid for the landmark model,
/// `detectorFailed` for the CNN.
func loadShimModel(_ model: ShimModel, path: String, _ load: ShimLoader) throws -> OpaquePointer {
    _ = dlibBLASReady
    var message = [CChar](repeating: 0, count: 512)
    var status: Int32 = 0
    if let handle = load(path, &status, &message, message.count) { return handle }
    let reason = messageString(message)
    let cannotOpen = status == Int32(CDLIB_MODEL_OPEN) || status == Int32(CDLIB_BAD_ARGUMENT)
    switch model {
    case .landmarks:
        throw cannotOpen ? FaceDetectError.modelMissing(path: path, reason: reason)
                         : FaceDetectError.modelInvalid(path: path, reason: reason)
    case .cnnDetector:
        if cannotOpen { throw FaceDetectError.detectorModelMissing(path: path, reason: reason) }
        if status == Int32(CDLIB_MODEL_FORMAT) { throw FaceDetectError.detectorModelInvalid(path: path, reason: reason) }
        throw FaceDetectError.detectorFailed(reason)
    }
}

/// Runs a shim detector (`cdlib_detect`, `cdlib_cnn_detect`), given the box buffer, its capacity, the message
/// buffer and its capacity; it returns the number of boxes found or a negative status. When it found more
/// boxes than fit, it runs again with room for all. The boxes best first.
func detectShimBoxes(_ detect: (UnsafeMutablePointer<cdlib_rect>, Int32, UnsafeMutablePointer<CChar>, Int) -> Int32) throws
    -> [BoxDetection] {
    var message = [CChar](repeating: 0, count: 512)
    var capacity = 64
    while true {
        var boxes = [cdlib_rect](repeating: cdlib_rect(), count: capacity)
        let n = detect(&boxes, Int32(capacity), &message, message.count)
        if n < 0 { throw FaceDetectError.detectorFailed(messageString(message)) }
        if Int(n) > capacity { capacity = Int(n); continue }
        return boxes.prefix(Int(n)).map {
            BoxDetection(box: FaceBox(left: $0.left, top: $0.top, right: $0.right, bottom: $0.bottom), score: $0.score)
        }
    }
}
