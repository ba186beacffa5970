// The merge options of DFL's MergerConfig that this merger implements (docs/saehd-model.md §7.2), with the
// names the command line and config files use.
import ColorTransfer

/// How the predicted face is put into the frame.
public enum MergeMode: String, Sendable, CaseIterable {
    /// The frame unchanged (the mask is still computed and written).
    case original
    /// Alpha blend of the (colour-transferred) prediction with the mask.
    case overlay
    /// Per-channel histogram matching of the prediction to the dst face, then overlay.
    case histMatch = "hist-match"
    /// Poisson (gradient-domain) blending inside the mask, then overlay with the mask.
    case seamless
    /// Seamless, then histogram matching of the merged face region.
    case seamlessHistMatch = "seamless-hist-match"
    /// The whole predicted square pasted into the frame, no mask.
    case rawRGB = "raw-rgb"
    /// The predicted face itself (resolution × resolution) instead of the frame.
    case rawPredict = "raw-predict"

    var isSeamless: Bool { self == .seamless || self == .seamlessHistMatch }
    var isRaw: Bool { self == .rawRGB || self == .rawPredict }
}

/// Which mask decides where the predicted face replaces the frame. DFL's mask_mode numbers (docs/saehd-model.md
/// §7.2 step 4, docs/xseg.md "XSeg in the merger"): 1 `dst`, 2 `learned-prd`, 3 `learned-dst`, 4
/// `learned-prd*dst`, 5 `learned-prd+dst`, 6 `xseg-prd` (DFL's XSeg-prd), 7 `xseg-dst` (XSeg-dst), 8
/// `xseg-prd*dst` (XSeg-prd*XSeg-dst), 9 `learned-prd*dst*xseg-prd*dst` (learned-prd*learned-dst*XSeg-prd*XSeg-dst);
/// `full` is DFL's 0. `xseg` (the mask stored in the face) has no DFL number: DFL's merger never reads it.
public enum MaskMode: String, Sendable, CaseIterable {
    /// The whole face square.
    case full
    /// The convex hull of the dst landmarks (DFL's default when asked non-interactively), drawn anti-aliased:
    /// in the frame without erosion or blur, on the 4r mask grid with them (DFL fills it at r and scales up).
    case dst
    /// The mask the model predicts for the swapped face.
    case learnedPrd = "learned-prd"
    /// The mask the model predicts for the dst face.
    case learnedDst = "learned-dst"
    /// Their product (DFL's default in the model's own config).
    case learnedPrdTimesDst = "learned-prd*dst"
    /// Their clipped sum.
    case learnedPrdPlusDst = "learned-prd+dst"
    /// The XSeg mask stored in the aligned face's metadata; faces without one use the `dst` hull.
    case xseg
    /// The XSeg network's mask of the predicted (swapped) face (DFL mode 6).
    case xsegPrd = "xseg-prd"
    /// The XSeg network's mask of the dst face, cut from the frame (DFL mode 7).
    case xsegDst = "xseg-dst"
    /// `xseg-prd` × `xseg-dst` (DFL mode 8).
    case xsegPrdTimesDst = "xseg-prd*dst"
    /// `learned-prd` × `learned-dst` × `xseg-prd` × `xseg-dst` (DFL mode 9).
    case learnedTimesXSeg = "learned-prd*dst*xseg-prd*dst"

    /// The XSeg network masks this mode multiplies in: the predicted face's, the dst face's.
    public var xsegParts: (predicted: Bool, dst: Bool) {
        switch self {
        case .xsegPrd: return (true, false)
        case .xsegDst: return (false, true)
        case .xsegPrdTimesDst, .learnedTimesXSeg: return (true, true)
        default: return (false, false)
        }
    }

    /// Whether this mode runs an XSeg network (it needs a `FaceSegmenter`).
    public var needsXSegModel: Bool { xsegParts.predicted || xsegParts.dst }
}

/// How colour frames and the model's channel count meet.
public enum ColorMode: String, Sendable, CaseIterable {
    /// Colour frames: a 3-channel model merges in RGB; a 1-channel model merges in `luma`.
    case auto
    /// Merge in RGB (a 1-channel prediction is repeated into the three channels).
    case color
    /// Grayscale end to end, as SAEHDBW: the frame is converted to luma and written as gray (3 equal channels).
    case gray
    /// Replace the frame's BT.601 luma inside the mask with the prediction's; the frame's chroma is kept.
    case luma
}

/// The chroma of a `luma`-mode merge inside the mask.
public enum ChromaMode: String, Sendable, CaseIterable {
    /// The frame's chroma exactly (the dst face's lips, teeth and eye colours stay where they were).
    case keep
    /// Where the luma changed, the dst face's chroma low-passed at a tenth of the face size: its skin tone and
    /// lighting without its fine structure.
    case smooth
    /// Where the luma changed, chroma predicted from the new luma by a local linear fit of the dst face's
    /// chroma on its luma (per face region), applied to the new luma's deviation from its local mean: each
    /// region keeps the dst face's mean chroma, and darker lips stay redder wherever the new lips are. The
    /// luma is `keep`'s (the chroma gives way at the channel limits).
    case fit
}

/// Output sharpening kernel (DFL's sharpen_mode).
public enum SharpenMode: String, Sendable, CaseIterable {
    case box
    case gaussian
}

/// Every setting of one merge. The defaults are DFL's non-interactive defaults (docs/saehd-model.md §7.2): overlay, dst mask,
/// no erosion or blur, no colour transfer, histogram-match threshold 255.
public struct MergeSettings: Sendable, Equatable {
    public var mode: MergeMode = .overlay
    public var maskMode: MaskMode = .dst
    /// Mask erosion (> 0) or dilation (< 0) in pixels of the 4r mask (DFL units: 1/(4r) of the face-crop
    /// side), −400...400.
    public var erode: Int = 0
    /// Mask feathering (Gaussian kernel size) in the same units, 0...400.
    public var blur: Int = 0
    /// Motion blur of the merged face along its motion between neighbouring frames, 0...100 (needs
    /// `FrameFace.motion`).
    public var motionBlur: Int = 0
    /// Zooms the pasted face out (> 0) or in (< 0) by 1 % per unit, −50...50.
    public var outputFaceScale: Int = 0
    /// Colour transfer of the prediction toward the dst face, or nil for none.
    public var colorTransfer: ColorTransferMode? = nil
    /// Histogram matching only inside the mask.
    public var maskedHistMatch: Bool = true
    /// Histogram-match threshold 0...255 (caps the top of the matched range).
    public var histMatchThreshold: Int = 255
    public var sharpenMode: SharpenMode = .box
    /// > 0 sharpens the merged face (amount/100 of the unsharp difference); < 0 blurs it (median passes,
    /// DFL's scheme), −100...100.
    public var sharpenAmount: Int = 0
    public var colorMode: ColorMode = .auto
    /// The chroma inside the mask in `luma` colour mode.
    public var chroma: ChromaMode = .fit
    /// Seed of the random colour transfers (idt, sot).
    public var seed: UInt64 = 0

    public init() {}

    /// Throws for a value outside DFL's ranges.
    public func validate() throws {
        func check(_ v: Int, _ range: ClosedRange<Int>, _ name: String) throws {
            guard range.contains(v) else {
                throw MergeError.invalidSetting("\(name) must be in \(range.lowerBound)...\(range.upperBound), got \(v)")
            }
        }
        try check(erode, -400...400, "erode")
        try check(blur, 0...400, "blur")
        try check(motionBlur, 0...100, "motion-blur")
        try check(outputFaceScale, -50...50, "output-face-scale")
        try check(histMatchThreshold, 0...255, "hist-match-threshold")
        try check(sharpenAmount, -100...100, "sharpen-amount")
    }

    /// The settings as `key=value` lines, in the order the config file documents them.
    public var keyValueLines: [String] {
        [
            "mode=\(mode.rawValue)",
            "mask-mode=\(maskMode.rawValue)",
            "erode=\(erode)",
            "blur=\(blur)",
            "motion-blur=\(motionBlur)",
            "output-face-scale=\(outputFaceScale)",
            "color-transfer=\(colorTransfer?.rawValue ?? "none")",
            "masked-hist-match=\(maskedHistMatch)",
            "hist-match-threshold=\(histMatchThreshold)",
            "sharpen-mode=\(sharpenMode.rawValue)",
            "sharpen-amount=\(sharpenAmount)",
            "color-mode=\(colorMode.rawValue)",
            "chroma=\(chroma.rawValue)",
            "seed=\(seed)",
        ]
    }
}
