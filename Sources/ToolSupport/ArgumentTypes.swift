// Fixed-choice options shared by several tools, typed: `--help` lists their values, a bad value is a usage
// error (exit 2) from the parser, and config-file readers reuse `init?(argument:)`.
import ArgumentParser
import ColorTransfer
import FaceSet

extension FaceType: ExpressibleByArgument {
    // init?(argument:) is FaceSet's: a short name, DFL's name, or `half`, of the user's choices only.
    public static var allValueStrings: [String] { userChoices.map(\.shortName) }
    public static var allValueDescriptions: [String: String] {
        [FaceType.half: "half face", .midFull: "mid-full face", .full: "full face", .wholeFace: "whole face (forehead included)",
         .head: "whole head"].reduce(into: [:]) { $0[$1.key.shortName] = $1.value }
    }
    public var defaultValueDescription: String { shortName }
}

/// A colour-transfer choice on a command line: `none` or one of the modes (dfl-train --ct-mode,
/// dfl-merge --color-transfer).
public enum ColorTransferChoice: String, CaseIterable, ExpressibleByArgument, Sendable {
    case none, rct, lct, mkl, idt, sot

    /// The mode, nil for `none`.
    public var mode: ColorTransferMode? { ColorTransferMode(rawValue: rawValue) }

    public init(_ mode: ColorTransferMode?) { self = mode.flatMap { ColorTransferChoice(rawValue: $0.rawValue) } ?? .none }
}
