// Errors of face detection and landmark fitting, with messages meant for the end user.

/// Why detection or landmark fitting failed.
public enum FaceDetectError: Error, CustomStringConvertible, Equatable {
    /// The landmark model file does not exist or cannot be opened.
    case modelMissing(path: String, reason: String)
    /// The file exists but is not a 68-point dlib shape predictor.
    case modelInvalid(path: String, reason: String)
    /// The CNN face detector's model file does not exist or cannot be opened.
    case detectorModelMissing(path: String, reason: String)
    /// The file exists but is not dlib's MMOD face detector network.
    case detectorModelInvalid(path: String, reason: String)
    /// dlib failed while creating the detector or detecting.
    case detectorFailed(String)
    /// dlib failed while fitting landmarks.
    case landmarksFailed(String)
    /// The image cannot be searched (zero size, or too large for dlib's int sizes).
    case badImage(String)

    public var description: String {
        switch self {
        case .modelMissing(let path, let reason):
            return "cannot open the landmark model \(path) (\(reason)): install the Debian package libdlib-data "
                + "(apt-get install libdlib-data), or give the model's path with --landmarks-model or the "
                + "\(LandmarkModel.environmentVariable) environment variable"
        case .modelInvalid(let path, let reason):
            return "\(path) is not a 68-point dlib landmark model (\(reason)); the one Debian's libdlib-data ships is "
                + LandmarkModel.debianPath
        case .detectorModelMissing(let path, let reason):
            return "cannot open the CNN face detector model \(path) (\(reason)): the source tree ships it as models/"
                + "\(CNNFaceModel.fileName) and `make install` puts it in PREFIX/share/dfl-swift/; give its path with "
                + "--detector-model or the \(CNNFaceModel.environmentVariable) environment variable (it is also in the "
                + "PyPI package face-recognition-models 0.3.0), or use --detector hog"
        case .detectorModelInvalid(let path, let reason):
            return "\(path) is not dlib's CNN face detector \(CNNFaceModel.fileName) (\(reason))"
        case .detectorFailed(let reason): return "face detection failed: \(reason)"
        case .landmarksFailed(let reason): return "landmark fitting failed: \(reason)"
        case .badImage(let reason): return "cannot search this image for faces: \(reason)"
        }
    }
}

/// The text of a NUL-terminated message buffer filled by the C shim.
func messageString(_ buffer: [CChar]) -> String {
    let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
    return String(decoding: bytes, as: UTF8.self)
}
