// Per-face-type crop parameters (docs/dfl-faceset.md §3.1).
import FaceSet

extension FaceType {
    /// How much the crop extends beyond the mean-face square, DFL's padding p; nil for `markOnly`.
    public var alignmentPadding: Double? {
        switch self {
        case .half: return 0.0
        case .midFull: return 0.0675
        case .full, .fullNoAlign: return 0.2109375
        case .wholeFace: return 0.40
        case .head, .headNoAlign: return 0.70
        case .markOnly: return nil
        }
    }

    /// True for the NO_ALIGN types: the crop is an axis-aligned square in the frame (no rotation).
    public var removesAlignment: Bool { self == .fullNoAlign || self == .headNoAlign }

    /// Side of the output square in mean-face template units at scale 1: 1 + 2√2·p
    /// (docs/dfl-faceset.md §3.4's table: half 1.0, mf 1.1909, f 1.5966, wf 2.1314, head 2.9799).
    public var templateSide: Double? { alignmentPadding.map { 1 + 2 * 2.0.squareRoot() * $0 } }
}
