// The sort methods by name, what each needs from a face, and how a list of faces is arranged.
import Imaging

/// DFL's sort methods (`main.py sort --by`), with the names DFL's command line uses.
public enum SortMethod: String, CaseIterable, Sendable {
    case blur
    case motionBlur = "motion-blur"
    case faceYaw = "face-yaw"
    case facePitch = "face-pitch"
    case faceSourceRectSize = "face-source-rect-size"
    case hist
    case histDissim = "hist-dissim"
    case brightness
    case hue
    case black
    case origname
    case oneface
    case absdiff
    case final
    case finalFast = "final-fast"

    /// One line for `--help`.
    public var summary: String {
        switch self {
        case .blur: return "CPBD sharpness in the hull, sharpest first"
        case .motionBlur: return "Laplacian variance in the hull, sharpest first"
        case .faceYaw: return "head yaw from the landmarks, largest first"
        case .facePitch: return "head pitch from the landmarks, largest first"
        case .faceSourceRectSize: return "face area in its source frame, largest first"
        case .hist: return "chain of near-duplicates by histogram"
        case .histDissim: return "histogram distance to the rest, largest first"
        case .brightness: return "mean HSV value (or gray), brightest first"
        case .hue: return "mean 8-bit HSV hue, largest first (gray: 0)"
        case .black: return "number of samples equal to 0, fewest first"
        case .origname: return "source_filename in the face, ascending"
        case .oneface: return "drop frames with several faces (FRAME_INDEX)"
        case .absdiff: return "chain by summed absolute pixel difference"
        case .final: return "best --count faces over yaw, sharp and varied"
        case .finalFast: return "as final, by source rectangle area, not CPBD"
        }
    }

    /// Needs the decoded face.
    public var needsPixels: Bool {
        switch self {
        case .faceYaw, .facePitch, .faceSourceRectSize, .origname, .oneface: return false
        default: return true
        }
    }

    /// Needs the aligned landmarks (for the hull mask or the pose).
    public var needsLandmarks: Bool {
        switch self {
        case .blur, .motionBlur, .faceYaw, .facePitch, .final, .finalFast: return true
        default: return false
        }
    }

    /// Needs the head pose estimated from the landmarks.
    public var needsPose: Bool {
        switch self {
        case .faceYaw, .facePitch, .final, .finalFast: return true
        default: return false
        }
    }

    /// Needs the hull mask built from the landmarks (pixels outside are zeroed before measuring);
    /// `hist-dissim` uses it when the face has landmarks and the whole image otherwise.
    public var usesHullMask: Bool {
        switch self {
        case .blur, .motionBlur, .final, .histDissim: return true
        default: return false
        }
    }

    public var needsSourceRect: Bool { self == .faceSourceRectSize || self == .finalFast }
    public var needsSourceFilename: Bool { self == .origname }

    /// Reads DFL metadata at all (a plain image is enough for the others).
    public var needsMetadata: Bool { needsLandmarks || needsSourceRect || needsSourceFilename }

    /// Scores are numbers that `--drop-below` can compare.
    public var hasNumericScore: Bool {
        switch self {
        case .origname, .oneface: return false
        default: return true
        }
    }

    /// Ascending methods put the smallest score first; the rest (DFL's "desc") the largest.
    public var ascending: Bool { self == .black }

    /// Picks a subset rather than ordering everything.
    public var selects: Bool { self == .oneface || self == .final || self == .finalFast }
}

/// What the methods may read from one face. The tool fills in what `SortMethod` says it needs.
public struct FaceInput: Sendable {
    public var fileName: String
    /// The decoded face (1, 3 or 4 channels).
    public var image: Image?
    /// `width × height` hull mask from the landmarks (non-zero inside), when the face has landmarks.
    public var hullMask: [UInt8]?
    public var pitch: Double?
    public var yaw: Double?
    /// (left, top, right, bottom) in the source frame.
    public var sourceRect: [Double]?
    public var sourceFilename: String?

    public init(fileName: String, image: Image? = nil, hullMask: [UInt8]? = nil, pitch: Double? = nil,
                yaw: Double? = nil, sourceRect: [Double]? = nil, sourceFilename: String? = nil) {
        self.fileName = fileName; self.image = image; self.hullMask = hullMask
        self.pitch = pitch; self.yaw = yaw; self.sourceRect = sourceRect; self.sourceFilename = sourceFilename
    }
}

/// Why a face cannot be scored by a method.
public enum SortInputError: Error, CustomStringConvertible, Equatable {
    case missing(String)

    public var description: String {
        switch self {
        case .missing(let what): return "no \(what) in this face"
        }
    }
}

/// The per-face value a method arranges by (computed in parallel, one face at a time).
public enum FaceFeature: Sendable {
    case score(Double)
    case histogram(FaceHistogram)
    case image(Image)
    case name(String)
    case candidate(BestFaceCandidate)
}
