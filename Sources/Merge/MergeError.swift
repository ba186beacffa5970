// Errors of the per-frame merge.
import Foundation

/// Why a face or frame could not be merged.
public enum MergeError: Error, CustomStringConvertible, Equatable {
    /// The predictor returned an image of another size or channel count than it declares.
    case predictionShape(expected: String, got: String)
    /// The mask mode needs a learned mask and the model has no mask head.
    case missingLearnedMask(MaskMode)
    /// A colour-transfer mode that does not work on the working channel count (rct, mkl on gray).
    case colorTransferUnsupported(String)
    /// A setting out of its range.
    case invalidSetting(String)
    /// The mask mode runs an XSeg network and the merger was given none.
    case missingXSegModel(MaskMode)
    /// The XSeg masker returned a mask of another shape than it declares.
    case xsegMaskShape(expected: String, got: String)

    public var description: String {
        switch self {
        case let .predictionShape(expected, got):
            return "the model predicted a \(got) face, expected \(expected)"
        case let .missingLearnedMask(mode):
            return "mask mode \(mode.rawValue) needs a learned mask, which this model does not predict"
        case let .colorTransferUnsupported(message):
            return message
        case let .invalidSetting(message):
            return message
        case let .missingXSegModel(mode):
            return "mask mode \(mode.rawValue) runs an XSeg model, and the merger was given none"
        case let .xsegMaskShape(expected, got):
            return "the XSeg model returned a \(got) mask, expected \(expected)"
        }
    }
}
