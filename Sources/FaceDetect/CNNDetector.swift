// dlib's CNN face detector (MMOD, mmod_human_face_detector.dat) behind a Swift class. HOG is trained on
// frontal faces; the CNN also finds faces at 3/4 view and in profile, at several times HOG's cost.
import CDlib
import Foundation
import Imaging

/// The CNN face detector's network, loaded once (730 KB); each thread gets its own copy through
/// `makeDetector()`, because a dlib network keeps its working buffers inside.
public final class CNNFaceModel: @unchecked Sendable {
    /// The model's file name.
    public static let fileName = "mmod_human_face_detector.dat"
    /// The environment variable that overrides the model path.
    public static let environmentVariable = "DFL_DETECTOR_MODEL"
    /// Where `make install` puts the model, relative to the directory of the executable.
    public static let installedRelativePath = "../share/dfl-swift/" + fileName
    /// The copy vendored in the source tree (models/), found by builds run from the repository.
    public static let sourceTreePath = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("models/" + fileName).path

    /// The path used: `explicit` if given, else `$DFL_DETECTOR_MODEL` if set and not empty, else the first
    /// existing one of the installed copy (next to the executable) and the source tree's copy; when neither
    /// exists, the installed path (so the error names where it should be).
    public static func resolvePath(_ explicit: String? = nil,
                                   environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        shimModelPath(explicit, variable: environmentVariable, environment: environment) {
            let executableDir = (Bundle.main.executableURL?.resolvingSymlinksInPath().deletingLastPathComponent().path) ?? "."
            let installed = URL(fileURLWithPath: executableDir).appendingPathComponent(installedRelativePath).standardized.path
            return [installed, sourceTreePath].first { FileManager.default.isReadableFile(atPath: $0) } ?? installed
        }
    }

    /// The file the model was read from.
    public let path: String
    private let handle: OpaquePointer

    /// Loads the network from `path` (resolved with `resolvePath`). Throws `detectorModelMissing` when the
    /// file cannot be opened and `detectorModelInvalid` when it is not this network.
    public init(path explicit: String? = nil) throws {
        let path = CNNFaceModel.resolvePath(explicit)
        handle = try loadShimModel(.cnnDetector, path: path, cdlib_cnn_load)
        self.path = path
    }

    deinit { cdlib_cnn_destroy(handle) }

    /// A detector with its own copy of the network, for one thread.
    public func makeDetector() throws -> CNNDetector {
        var message = [CChar](repeating: 0, count: 512)
        guard let h = cdlib_cnn_clone(handle, &message, message.count) else {
            throw FaceDetectError.detectorFailed(messageString(message))
        }
        return CNNDetector(handle: h)
    }

    /// The box the 68-point model expects for a CNN box. The landmark model was trained on HOG boxes; the
    /// CNN's boxes of the same faces sit higher, further left and smaller, so the CNN box is moved and
    /// scaled onto HOG's convention (`boxFit`) before the landmarks are fitted.
    public static func landmarkBox(fromCNN b: FaceBox) -> FaceBox {
        let w = Double(b.width), h = Double(b.height)
        let cx = Double(b.left + b.right) / 2 + boxFit.dx * w
        let cy = Double(b.top + b.bottom) / 2 + boxFit.dy * h
        let nw = boxFit.scale * w, nh = boxFit.scale * h
        return FaceBox(left: Int((cx - (nw - 1) / 2).rounded()), top: Int((cy - (nh - 1) / 2).rounded()),
                       right: Int((cx + (nw - 1) / 2).rounded()), bottom: Int((cy + (nh - 1) / 2).rounded()))
    }

    /// Centre shift (fractions of the CNN box's width and height) and size ratio HOG box / CNN box: the
    /// means over the 23 faces both find in the six stills, the five talking-head frames and the
    /// poetry-jam frames (standard deviations 0.05, 0.04 and 0.09: HOG's box sizes come in pyramid steps).
    static let boxFit = (dx: 0.044, dy: 0.069, scale: 1.057)
}

/// One copy of the CNN face detector. Not thread-safe: one per thread (see `CNNFaceModel.makeDetector`).
public final class CNNDetector {
    private let handle: OpaquePointer

    init(handle: OpaquePointer) { self.handle = handle }

    deinit { cdlib_cnn_destroy(handle) }

    /// Finds faces in an RGB plane after `upsample` 2× upsamplings (0…2; each halves the smallest face
    /// found, about 50 px at 0, and quadruples the time). Boxes are in the plane's pixels, best first.
    func detect(_ plane: PixelPlane, upsample: Int, threshold: Double) throws -> [BoxDetection] {
        precondition(plane.channels == 3, "the CNN detector reads RGB")
        guard plane.width > 0, plane.height > 0 else { return [] }
        guard plane.width <= 16384, plane.height <= 16384 else {
            throw FaceDetectError.badImage("\(plane.width)×\(plane.height) is too large for the CNN detector")
        }
        guard (0...2).contains(upsample) else {
            throw FaceDetectError.detectorFailed("CNN upsample count \(upsample) is outside 0...2")
        }
        return try detectShimBoxes { boxes, capacity, message, messageCapacity in
            plane.pixels.withUnsafeBufferPointer { px in
                cdlib_cnn_detect(handle, px.baseAddress, Int32(plane.width), Int32(plane.height), Int32(plane.width * 3),
                                 Int32(upsample), threshold, boxes, capacity, message, messageCapacity)
            }
        }
    }

    /// Finds faces in an image (gray, RGB or RGBA); see `detect(_:upsample:threshold:)`.
    public func detect(in image: Image, upsample: Int = 0, threshold: Double = 0) throws -> [BoxDetection] {
        try detect(PixelPlane(rgb: image), upsample: upsample, threshold: threshold)
    }
}
