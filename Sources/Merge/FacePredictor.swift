// The network side of the merge, behind a protocol: the merger hands the predictor the dst face re-aligned
// from the frame and gets back the predicted (swapped) face and, when the model has a mask head, its masks.
import FaceSet
import Imaging

/// What a predictor returns for one face. All images are `resolution`×`resolution`, values in [0, 1].
public struct FacePrediction: Sendable {
    /// The predicted face (1 or 3 channels; 3 channels are RGB).
    public var image: FloatImage
    /// The mask the src decoder predicts for the swapped face (DFL `pred_src_dstm`), 1 channel; nil when
    /// the model has none.
    public var predictedMask: FloatImage?
    /// The mask the dst decoder predicts for the input face (DFL `pred_dst_dstm`), 1 channel, or nil.
    public var dstMask: FloatImage?

    public init(image: FloatImage, predictedMask: FloatImage? = nil, dstMask: FloatImage? = nil) {
        self.image = image
        self.predictedMask = predictedMask
        self.dstMask = dstMask
    }
}

/// A face-swap model as the merger sees it: dst face in, predicted src-looking face out.
public protocol FacePredictor: Sendable {
    /// Side of the square faces the model takes and returns.
    var resolution: Int { get }
    /// Image channels of the model: 1 (SAEHDBW) or 3 (RGB).
    var channels: Int { get }
    /// The face type the model was trained on (decides how the face is cut out of the frame).
    var faceType: FaceType { get }
    /// Predicts one face. `face` is `resolution`×`resolution` with `channels` channels, values in [0, 1].
    /// A predictor may leave out the masks not in `masks` (each costs network work).
    /// Must be safe to call from several threads at once (the merger runs frames in parallel).
    func predict(_ face: FloatImage, masks: LearnedMasks) throws -> FacePrediction
}

/// The learned masks a merge needs from the predictor.
public struct LearnedMasks: OptionSet, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    /// `FacePrediction.predictedMask`.
    public static let predicted = LearnedMasks(rawValue: 1)
    /// `FacePrediction.dstMask`.
    public static let dst = LearnedMasks(rawValue: 2)
    public static let all: LearnedMasks = [.predicted, .dst]
}

extension MaskMode {
    /// The learned masks this mask mode reads.
    public var learnedMasks: LearnedMasks {
        switch self {
        case .full, .dst, .xseg, .xsegPrd, .xsegDst, .xsegPrdTimesDst: return []
        case .learnedPrd: return .predicted
        case .learnedDst: return .dst
        case .learnedPrdTimesDst, .learnedPrdPlusDst, .learnedTimesXSeg: return .all
        }
    }
}

/// A stand-in model whose prediction is its input and whose masks are all ones. It checks the merge's
/// geometry (a face merged in overlay mode must reproduce the frame) and times the merge without a
/// network; it is not a face swap.
public struct IdentityPredictor: FacePredictor {
    public let resolution: Int
    public let channels: Int
    public let faceType: FaceType

    public init(resolution: Int, channels: Int, faceType: FaceType) {
        precondition(resolution > 0 && (channels == 1 || channels == 3), "bad identity predictor shape")
        self.resolution = resolution
        self.channels = channels
        self.faceType = faceType
    }

    public func predict(_ face: FloatImage, masks: LearnedMasks) throws -> FacePrediction {
        let ones = FloatImage(width: resolution, height: resolution, channels: 1, fill: 1)
        return FacePrediction(image: face, predictedMask: ones, dstMask: ones)
    }
}
