// DeepFaceLab's FaceType: the integer values are what DFL stores in faceset.pak sample configs and uses
// in comparisons ("≤ fullNoAlign", "≥ head"); the strings are what aligned faces store in `face_type`.

public enum FaceType: Int, Sendable, CaseIterable, Comparable, Codable {
    case half = 0
    case midFull = 1
    case full = 2
    case fullNoAlign = 3
    case wholeFace = 4
    case head = 10
    case headNoAlign = 20
    case markOnly = 100

    /// The string DFL writes into the metadata dict.
    public var dflName: String {
        switch self {
        case .half: return "half_face"
        case .midFull: return "midfull_face"
        case .full: return "full_face"
        case .fullNoAlign: return "full_face_no_align"
        case .wholeFace: return "whole_face"
        case .head: return "head"
        case .headNoAlign: return "head_no_align"
        case .markOnly: return "mark_only"
        }
    }

    /// The short names DFL's prompts and our command lines use (`h`, `mf`, `f`, `wf`, `head`).
    public var shortName: String {
        switch self {
        case .half: return "h"
        case .midFull: return "mf"
        case .full: return "f"
        case .fullNoAlign: return "f-no-align"
        case .wholeFace: return "wf"
        case .head: return "head"
        case .headNoAlign: return "head-no-align"
        case .markOnly: return "mark-only"
        }
    }

    /// Parses a metadata string (lower-cased, as DFL's `FaceType.fromString`).
    public init?(dflName: String) {
        guard let t = FaceType.allCases.first(where: { $0.dflName == dflName.lowercased() }) else { return nil }
        self = t
    }

    /// The face types faces are extracted, resized and trained at (DFL's choices: h, mf, f, wf, head).
    public static let userChoices: [FaceType] = [.half, .midFull, .full, .wholeFace, .head]

    /// Parses one of `userChoices` by its short form, its DFL string, or `half` for `h` (command lines,
    /// model.json, DFL's options).
    public init?(argument: String) {
        let s = argument.lowercased()
        if s == "half" { self = .half; return }
        guard let t = FaceType.userChoices.first(where: { $0.shortName == s || $0.dflName == s }) else { return nil }
        self = t
    }

    public static func < (a: FaceType, b: FaceType) -> Bool { a.rawValue < b.rawValue }
}
