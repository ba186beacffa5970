// Finding faces in a frame the way DFL's extractor does, with dlib in place of S3FD + FAN: detect on a
// grayscale (HOG) or RGB (CNN) copy, downscaled for large frames, try the frame turned by 90°, 270° and 180° when
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

/// Which face detector finds the boxes.
public enum DetectorKind: String, Sendable, CaseIterable {
    /// dlib's HOG detector: fast, frontal faces only.
    case hog
    /// dlib's CNN (MMOD) detector: also 3/4 views and profiles, several times slower.
    case cnn
    /// Both: every HOG face, plus the CNN faces that no HOG face overlaps. Where HOG finds a face, its box
    /// (and so the alignment) is the same as with `hog`.
    case auto
}

/// Settings for `FaceDetector`.
public struct FaceDetectionOptions: Sendable, Equatable {
    /// The detector (the CNN ones need a `CNNFaceModel`).
    public var detector: DetectorKind = .hog
    /// HOG upsamplings of the detection copy (0…4); the CNN uses one fewer, at most 2. Each halves the
    /// smallest face found (about 80 px of the detection copy at 0 for HOG) and costs about 4× the time.
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

    public init(detector: DetectorKind = .hog, upsample: Int = 1, detectionMaxSide: Int = 640, maxFaces: Int = 0,
                minFaceSize: Int = 40, rotationSearch: Bool = true, threshold: Double = 0) {
        self.detector = detector
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
    /// The detector that found it (`hog` or `cnn`).
    public var detector: DetectorKind = .hog
}

/// Detects faces and fits their landmarks. Owns one HOG detector and one copy of the CNN, so use one
/// `FaceDetector` per thread; the landmark model and the CNN's model are shared.
public final class FaceDetector {
    public let options: FaceDetectionOptions
    public let model: LandmarkModel
    private let hog: HOGDetector
    private let cnn: CNNDetector?

    /// `cnnModel` is needed when `options.detector` is `cnn` or `auto`.
    public init(model: LandmarkModel, cnnModel: CNNFaceModel? = nil,
                options: FaceDetectionOptions = FaceDetectionOptions()) throws {
        guard (0...4).contains(options.upsample) else {
            throw FaceDetectError.detectorFailed("upsample count \(options.upsample) is outside 0...4")
        }
        self.model = model
        self.options = options
        hog = try HOGDetector()
        if options.detector == .hog {
            cnn = nil
        } else {
            guard let cnnModel else { throw FaceDetectError.detectorFailed("the CNN detector needs its model") }
            cnn = try cnnModel.makeDetector()
        }
    }

    /// The CNN's upsample count: one fewer than HOG's, at most 2. The CNN without upsampling finds the
    /// 50-px faces HOG needs one upsampling for (measured on the poetry-jam frames: 26 faces at 0, 27 at 1,
    /// for three times the time).
    var cnnUpsample: Int { min(max(options.upsample - 1, 0), 2) }

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
        let full = PixelPlane(luma: image)
        let factor = detectionFactor(width: image.width, height: image.height)
        let rotations = options.rotationSearch ? FrameRotation.searchOrder : [.none]
        // The RGB copy only when the CNN runs.
        let fullRGB = options.detector == .hog ? nil : PixelPlane(rgb: image)
        for rotation in rotations {
            // Turn first, then downscale, so the block grid starts at the rotated image's corner.
            let plane = full.rotated(rotation)
            var boxes: [(FaceBox, Double, DetectorKind)] = []
            if options.detector != .cnn {
                let found = try hog.detect(plane.boxDownscaled(by: factor), upsample: options.upsample,
                                           threshold: options.threshold)
                boxes += found.map { (scaledUp($0.box, factor), $0.score, .hog) }
            }
            if let cnn, let rgb = fullRGB {
                let found = try cnn.detect(rgb.rotated(rotation).boxDownscaled(by: factor), upsample: cnnUpsample,
                                           threshold: options.threshold)
                for d in found {
                    let box = CNNFaceModel.landmarkBox(fromCNN: scaledUp(d.box, factor))
                    // In auto mode a face HOG found keeps HOG's box.
                    if boxes.contains(where: { $0.2 == .hog && overlaps($0.0, box) }) { continue }
                    boxes.append((box, d.score, .cnn))
                }
            }
            boxes.removeAll { min($0.0.width, $0.0.height) < options.minFaceSize }
            guard !boxes.isEmpty else { continue }
            // Largest first; the detector's score breaks ties so the order is deterministic.
            boxes.sort { ($0.0.area, $0.1) > ($1.0.area, $1.1) }
            if options.maxFaces > 0 { boxes = Array(boxes.prefix(options.maxFaces)) }
            return try boxes.map { box, score, kind in
                let points = try model.landmarks(in: plane, box: box)
                return DetectedFace(
                    box: rotation.boxToFrame(box, width: image.width, height: image.height),
                    landmarks: points.map { rotation.pointToFrame($0, width: image.width, height: image.height) },
                    score: score, rotation: rotation, detector: kind)
            }
        }
        return []
    }

    /// A box of the detection copy scaled to the (rotated) full frame: block i spans pixels
    /// factor·i … factor·i + factor − 1.
    func scaledUp(_ b: FaceBox, _ factor: Int) -> FaceBox {
        FaceBox(left: b.left * factor, top: b.top * factor,
                right: b.right * factor + factor - 1, bottom: b.bottom * factor + factor - 1)
    }
}

/// Whether two boxes show the same face: either box's centre lies inside the other.
func overlaps(_ a: FaceBox, _ b: FaceBox) -> Bool {
    func inside(_ x: Int, _ y: Int, _ r: FaceBox) -> Bool { (r.left...r.right).contains(x) && (r.top...r.bottom).contains(y) }
    return inside((a.left + a.right) / 2, (a.top + a.bottom) / 2, b) || inside((b.left + b.right) / 2, (b.top + b.bottom) / 2, a)
}
