// Finding faces in a frame the way DFL's extractor does, with dlib in place of S3FD + FAN: detect on a
// grayscale (and, for large frames, downscaled) copy, try the frame turned by 90°, 270° and 180° when
// nothing is found upright, fit 68 landmarks on the full-resolution frame, and order faces largest first.
import FaceAlign
import Imaging

/// A quarter-turn of the frame tried by the rotation search (DFL's order: 0, 90, 270, 180).
public enum FrameRotation: Int, Sendable, CaseIterable {
    /// Upright.
    case none = 0
    /// Turned clockwise: rotated pixel (x′, y′) shows frame pixel (y′, H−1−x′).
    case clockwise90 = 90
    /// Turned half a turn: (x′, y′) shows (W−1−x′, H−1−y′).
    case upsideDown = 180
    /// Turned counter-clockwise: (x′, y′) shows (W−1−y′, x′).
    case counterClockwise90 = 270

    /// DFL's search order.
    public static let searchOrder: [FrameRotation] = [.none, .clockwise90, .counterClockwise90, .upsideDown]

    /// Maps a point of the rotated image back to the un-rotated frame of size `width`×`height`.
    /// (DFL uses H and W where the exact pixel mapping has H−1 and W−1; this uses the exact one.)
    public func pointToFrame(_ p: Point2D, width: Int, height: Int) -> Point2D {
        let w = Double(width - 1), h = Double(height - 1)
        switch self {
        case .none: return p
        case .clockwise90: return Point2D(p.y, h - p.x)
        case .upsideDown: return Point2D(w - p.x, h - p.y)
        case .counterClockwise90: return Point2D(w - p.y, p.x)
        }
    }

    /// Maps a box of the rotated image back to the frame; the corners are re-ordered so left ≤ right and
    /// top ≤ bottom (DFL keeps the inverted corners; every consumer uses absolute sizes).
    public func boxToFrame(_ b: FaceBox, width: Int, height: Int) -> FaceBox {
        let p = pointToFrame(Point2D(Double(b.left), Double(b.top)), width: width, height: height)
        let q = pointToFrame(Point2D(Double(b.right), Double(b.bottom)), width: width, height: height)
        return FaceBox(left: Int(min(p.x, q.x)), top: Int(min(p.y, q.y)),
                       right: Int(max(p.x, q.x)), bottom: Int(max(p.y, q.y)))
    }
}

/// Settings for `FaceDetector`.
public struct FaceDetectionOptions: Sendable, Equatable {
    /// HOG upsamplings of the detection copy (0…4). Each halves the smallest face found (about 80 px of
    /// the detection copy at 0) and costs about 4× the time.
    public var upsample: Int = 1
    /// Frames whose longer side exceeds this are box-downscaled by an integer factor until it fits before
    /// detection (landmarks are still fitted on the full frame); 0 detects at full resolution.
    public var detectionMaxSide: Int = 640
    /// Keep at most this many faces, the largest ones (0 = all).
    public var maxFaces: Int = 0
    /// Drop detections whose box is narrower or shorter than this, in frame pixels.
    public var minFaceSize: Int = 40
    /// Try the frame turned by 90°, 270° and 180° when nothing is found upright.
    public var rotationSearch: Bool = true
    /// dlib's adjust_threshold: lower finds more faces and more false ones.
    public var threshold: Double = 0

    public init(upsample: Int = 1, detectionMaxSide: Int = 640, maxFaces: Int = 0, minFaceSize: Int = 40,
                rotationSearch: Bool = true, threshold: Double = 0) {
        self.upsample = upsample
        self.detectionMaxSide = detectionMaxSide
        self.maxFaces = maxFaces
        self.minFaceSize = minFaceSize
        self.rotationSearch = rotationSearch
        self.threshold = threshold
    }
}

/// A face found in a frame.
public struct DetectedFace: Sendable, Equatable {
    /// The detector box in frame pixels (DFL's `source_rect`).
    public var box: FaceBox
    /// The 68 landmarks in frame pixels (DFL's `source_landmarks`), iBUG 300-W order.
    public var landmarks: [Point2D]
    /// dlib's detection confidence.
    public var score: Double
    /// The turn of the frame in which the face was found.
    public var rotation: FrameRotation
}

/// Detects faces and fits their landmarks. Owns one HOG detector, so use one `FaceDetector` per thread;
/// the landmark model is shared.
public final class FaceDetector {
    public let options: FaceDetectionOptions
    public let model: LandmarkModel
    private let hog: HOGDetector

    public init(model: LandmarkModel, options: FaceDetectionOptions = FaceDetectionOptions()) throws {
        guard (0...4).contains(options.upsample) else {
            throw FaceDetectError.detectorFailed("upsample count \(options.upsample) is outside 0...4")
        }
        self.model = model
        self.options = options
        hog = try HOGDetector()
    }

    /// The integer downscale factor for detection on a frame of this size.
    public func detectionFactor(width: Int, height: Int) -> Int {
        let side = max(width, height)
        guard options.detectionMaxSide > 0, side > options.detectionMaxSide else { return 1 }
        return (side + options.detectionMaxSide - 1) / options.detectionMaxSide
    }

    /// The faces in `image` (gray, RGB or RGBA), largest box first, at most `maxFaces`.
    /// A zero-size image has no faces.
    public func detectFaces(in image: Image) throws -> [DetectedFace] {
        guard !image.isEmpty else { return [] }
        let full = GrayPlane(luma: image)
        let factor = detectionFactor(width: image.width, height: image.height)
        let rotations = options.rotationSearch ? FrameRotation.searchOrder : [.none]
        for rotation in rotations {
            // Turn first, then downscale, so the block grid starts at the rotated image's corner.
            let plane = full.rotated(rotation)
            let small = plane.boxDownscaled(by: factor)
            let found = try hog.detect(small, upsample: options.upsample, threshold: options.threshold)
            // Boxes of the detection copy, scaled to the (rotated) full frame: block i spans pixels
            // factor·i … factor·i + factor − 1.
            var boxes = found.map { d -> (FaceBox, Double) in
                let b = d.box
                return (FaceBox(left: b.left * factor, top: b.top * factor,
                                right: b.right * factor + factor - 1, bottom: b.bottom * factor + factor - 1), d.score)
            }
            boxes.removeAll { min($0.0.width, $0.0.height) < options.minFaceSize }
            guard !boxes.isEmpty else { continue }
            // Largest first; the detector's score breaks ties so the order is deterministic.
            boxes.sort { ($0.0.area, $0.1) > ($1.0.area, $1.1) }
            if options.maxFaces > 0 { boxes = Array(boxes.prefix(options.maxFaces)) }
            return try boxes.map { box, score in
                let points = try model.landmarks(in: plane, box: box)
                return DetectedFace(
                    box: rotation.boxToFrame(box, width: image.width, height: image.height),
                    landmarks: points.map { rotation.pointToFrame($0, width: image.width, height: image.height) },
                    score: score, rotation: rotation)
            }
        }
        return []
    }
}
