// The XSeg side of the merge, behind a protocol as the face-swap model is behind `FacePredictor`: the merger
// cuts the face, hands the masker a square RGB crop at the masker's resolution and face type, and maps the
// returned mask back into its own mask space (docs/xseg.md, "XSeg in the merger"). Where the network comes
// from (a DFL XSeg folder, our own model directory) is the caller's business.
import FaceAlign
import FaceSet
import Imaging

/// An XSeg segmentation model as the merger sees it: an aligned face in, its face mask out.
public protocol FaceSegmenter: Sendable {
    /// Side of the square faces the model takes and returns (256 for DFL's XSeg).
    var resolution: Int { get }
    /// The face type of the crops the model was trained on (DFL's XSeg_data.dat `face_type`), or nil when the
    /// model does not say: the merge then cuts the face at the face-swap model's face type, as DFL's merger
    /// always does.
    var faceType: FaceType? { get }
    /// DFL's `XSegNet.extract` for one face: `face` is `resolution`×`resolution` RGB, values in [0, 1]; the
    /// result is `resolution`×`resolution`, 1 channel, in [0, 1] with values below 0.1 set to 0.
    /// Must be safe to call from several threads at once.
    func mask(_ face: FloatImage) throws -> FloatImage
}

/// The XSeg masks of one face, in the merge's r×r mask space (the face-swap model's crop), computed as the
/// mask mode asks (docs/xseg.md, "XSeg in the merger").
struct XSegFaceMasks {
    let masker: FaceSegmenter
    /// The face-swap model's resolution and face type (the merge's mask space).
    let resolution: Int
    let modelFaceType: FaceType

    /// The face type the XSeg crops are cut at.
    var xsegFaceType: FaceType { masker.faceType ?? modelFaceType }

    /// XSeg-dst: the face cut from the colour frame (3 channels, [0, 1]) at the XSeg model's face type and
    /// resolution (cubic), its mask mapped into the r×r crop of `faceMat`.
    func dstMask(frame: FloatImage, landmarks: [Point2D], faceMat: Affine2D) throws -> FloatImage {
        let x = masker.resolution
        let xsegMat = try transformMatrix(landmarks: landmarks, size: x, faceType: xsegFaceType)
        let crop = warpAffine(frame, matrix: xsegMat.rowMajor, width: x, height: x, interpolation: .cubic)
        return try backToCrop(try run(crop), xsegMat: xsegMat, faceMat: faceMat)
    }

    /// XSeg-prd: the predicted face (RGB, r×r, in `faceMat`'s crop) resized to the XSeg resolution (cubic), as
    /// DFL; when the XSeg model's face type differs from the face-swap model's, the prediction is pasted into
    /// the frame and the XSeg crop cut from that, so that the network sees a face of its own type.
    func predictedMask(prediction: FloatImage, frame: FloatImage, landmarks: [Point2D],
                       faceMat: Affine2D) throws -> FloatImage {
        let x = masker.resolution
        let xsegMat = try transformMatrix(landmarks: landmarks, size: x, faceType: xsegFaceType)
        let crop: FloatImage
        if xsegFaceType == modelFaceType {
            crop = prediction.resized(width: x, height: x, method: .cubic)
        } else {
            // r crop → frame → XSeg crop.
            let toXSeg = xsegMat.composed(after: faceMat.inverted!)
            let background = warpAffine(frame, matrix: xsegMat.rowMajor, width: x, height: x, interpolation: .cubic)
            let ones = FloatImage(width: resolution, height: resolution, channels: 1, fill: 1)
            let box = warpAffine(ones, matrix: toXSeg.rowMajor, width: x, height: x, interpolation: .bilinear)
            let pasted = warpAffine(prediction, matrix: toXSeg.rowMajor, width: x, height: x, interpolation: .cubic,
                                    border: .replicate)
            crop = blend(background, pasted, box.clipped())
        }
        return try backToCrop(try run(crop), xsegMat: xsegMat, faceMat: faceMat)
    }

    private func run(_ crop: FloatImage) throws -> FloatImage {
        let x = masker.resolution
        let m = try masker.mask(crop)
        guard m.width == x, m.height == x, m.channels == 1 else {
            throw MergeError.xsegMaskShape(expected: "\(x)×\(x)×1", got: "\(m.width)×\(m.height)×\(m.channels)")
        }
        return m
    }

    /// The XSeg-crop mask in the r×r crop: DFL's cubic resize when the face types agree, else warped through
    /// the frame (cubic, 0 outside the XSeg crop). Clipped to [0, 1].
    private func backToCrop(_ mask: FloatImage, xsegMat: Affine2D, faceMat: Affine2D) throws -> FloatImage {
        let r = resolution
        if xsegFaceType == modelFaceType { return mask.resized(width: r, height: r, method: .cubic).clipped() }
        let toCrop = faceMat.composed(after: xsegMat.inverted!)
        return warpAffine(mask, matrix: toCrop.rowMajor, width: r, height: r, interpolation: .cubic).clipped()
    }
}
