// Everything the per-frame work needs, fixed once the command line has been read.
import FaceDetect
import FaceSet

struct ExtractSettings: Sendable {
    /// The aligned face type (never markOnly).
    var faceType: FaceType
    /// Side of the square aligned face in pixels.
    var size: Int
    /// JPEG quality of the aligned faces.
    var quality: Int
    /// Write 1-channel (luma) faces.
    var gray: Bool
    /// Output directory of the aligned faces.
    var outputDirectory: String
    /// Directory of the debug frames, if wanted.
    var debugDirectory: String?
    /// Detector settings.
    var detection: FaceDetectionOptions
}
