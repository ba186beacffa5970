// dlib's 68-point shape predictor, loaded once (99 MB of regression trees) and shared by all threads.
import FaceAlign
import Imaging
import CDlib
import Foundation

/// The 68-point landmark model. Loading takes about a second; fitting is read-only, so one instance
/// serves every thread.
public final class LandmarkModel: @unchecked Sendable {
    /// Where Debian's libdlib-data package installs the model.
    public static let debianPath = "/usr/share/dlib/shape_predictor_68_face_landmarks.dat"
    /// The environment variable that overrides the model path.
    public static let environmentVariable = "DFL_LANDMARKS_MODEL"

    /// The path used: `explicit` if given, else `$DFL_LANDMARKS_MODEL` if set and not empty, else Debian's.
    public static func resolvePath(_ explicit: String? = nil,
                                   environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        shimModelPath(explicit, variable: environmentVariable, environment: environment) { debianPath }
    }

    /// The file the model was read from.
    public let path: String
    private let handle: OpaquePointer

    /// Loads the model from `path` (resolved with `resolvePath`). Throws `modelMissing` when the file
    /// cannot be opened and `modelInvalid` when it is not a 68-point shape predictor.
    public init(path explicit: String? = nil) throws {
        let path = LandmarkModel.resolvePath(explicit)
        handle = try loadShimModel(.landmarks, path: path, cdlib_predictor_load)
        self.path = path
    }

    deinit { cdlib_predictor_destroy(handle) }

    /// Fits the 68 landmarks (sub-pixel, in the plane's pixels) for a detector box.
    func landmarks(in plane: PixelPlane, box: FaceBox) throws -> [Point2D] {
        precondition(plane.channels == 1, "the landmark model reads luma")
        guard plane.width > 0, plane.height > 0, plane.width <= Int(Int32.max), plane.height <= Int(Int32.max) else {
            throw FaceDetectError.badImage("\(plane.width)×\(plane.height) cannot be searched")
        }
        var message = [CChar](repeating: 0, count: 512)
        var xy = [Double](repeating: 0, count: 136)
        let rect = cdlib_rect(left: box.left, top: box.top, right: box.right, bottom: box.bottom, score: 0)
        let status = plane.pixels.withUnsafeBufferPointer { px in
            cdlib_predict(handle, px.baseAddress, Int32(plane.width), Int32(plane.height), Int32(plane.width),
                          rect, &xy, &message, message.count)
        }
        guard status == CDLIB_OK else { throw FaceDetectError.landmarksFailed(messageString(message)) }
        return (0..<68).map { Point2D(xy[2 * $0], xy[2 * $0 + 1]) }
    }

    /// Fits the 68 landmarks for a detector box on an image (converted to luma first).
    public func landmarks(in image: Image, box: FaceBox) throws -> [Point2D] {
        try landmarks(in: PixelPlane(luma: image), box: box)
    }
}
