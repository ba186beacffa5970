// dlib's HOG frontal face detector (get_frontal_face_detector) behind a Swift class.
import Imaging
import CDlib

/// A detector box in pixel coordinates: dlib's inclusive rectangle, so the box spans
/// `right - left + 1` × `bottom - top + 1` pixels.
public struct FaceBox: Sendable, Hashable {
    public var left: Int
    public var top: Int
    public var right: Int
    public var bottom: Int

    public init(left: Int, top: Int, right: Int, bottom: Int) {
        self.left = left; self.top = top; self.right = right; self.bottom = bottom
    }

    public var width: Int { right - left + 1 }
    public var height: Int { bottom - top + 1 }
    public var area: Int { width * height }
    /// (left, top, right, bottom), the order DFL's `source_rect` uses.
    public var ltrb: [Int] { [left, top, right, bottom] }
}

/// One detection of either detector: the box and dlib's confidence (larger is surer; 0 is the default
/// threshold).
public struct BoxDetection: Sendable, Hashable {
    public var box: FaceBox
    public var score: Double
}

/// A HOG detection.
public typealias HOGDetection = BoxDetection

/// dlib's HOG frontal face detector. It is not thread-safe: create one per thread.
public final class HOGDetector {
    private let handle: OpaquePointer

    public init() throws {
        _ = dlibBLASReady
        var message = [CChar](repeating: 0, count: 512)
        guard let h = cdlib_detector_create(&message, message.count) else {
            throw FaceDetectError.detectorFailed(messageString(message))
        }
        handle = h
    }

    deinit { cdlib_detector_destroy(handle) }

    /// Finds frontal faces in a grayscale plane after `upsample` 2× upsamplings (each halves the smallest
    /// face found, about 80 px at 0, and quadruples the time). Boxes are in the plane's pixels, best first.
    func detect(_ plane: PixelPlane, upsample: Int, threshold: Double) throws -> [HOGDetection] {
        precondition(plane.channels == 1, "the HOG detector reads luma")
        guard plane.width > 0, plane.height > 0 else { return [] }
        guard plane.width <= Int(Int32.max), plane.height <= Int(Int32.max) else {
            throw FaceDetectError.badImage("\(plane.width)×\(plane.height) is too large")
        }
        guard (0...4).contains(upsample) else {
            throw FaceDetectError.detectorFailed("upsample count \(upsample) is outside 0...4")
        }
        return try detectShimBoxes { boxes, capacity, message, messageCapacity in
            plane.pixels.withUnsafeBufferPointer { px in
                cdlib_detect(handle, px.baseAddress, Int32(plane.width), Int32(plane.height), Int32(plane.width),
                             Int32(upsample), threshold, boxes, capacity, message, messageCapacity)
            }
        }
    }

    /// Finds frontal faces in an image (converted to luma first); see `detect(_:upsample:threshold:)`.
    public func detect(in image: Image, upsample: Int = 0, threshold: Double = 0) throws -> [HOGDetection] {
        try detect(PixelPlane(luma: image), upsample: upsample, threshold: threshold)
    }
}
