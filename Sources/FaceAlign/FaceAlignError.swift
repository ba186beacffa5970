import FaceSet

/// Why a face-geometry computation could not be done.
public enum FaceAlignError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A landmark list did not have the 68 points the computation needs.
    case wrongLandmarkCount(expected: Int, got: Int)
    /// The face type has no alignment (`mark_only`).
    case faceTypeHasNoAlignment(FaceType)
    /// Landmarks are degenerate (all equal, non-finite, …), so no transform exists.
    case degenerateLandmarks
    /// A size or scale was not positive.
    case invalidSize(Double)

    public var description: String {
        switch self {
        case let .wrongLandmarkCount(expected, got):
            return "expected \(expected) landmarks, got \(got)"
        case let .faceTypeHasNoAlignment(t):
            return "face type \(t.dflName) has no alignment transform"
        case .degenerateLandmarks:
            return "landmarks are degenerate: no alignment transform exists"
        case let .invalidSize(s):
            return "size or scale must be positive, got \(s)"
        }
    }
}
