// The metadata side of DFL's faceset resizer (docs/dfl-faceset.md §5.1): how an aligned face's landmarks and
// image_to_face_mat change when its size and/or face type change, and which pixel operation goes with it.
import FaceSet

/// The geometric metadata of one aligned face, in plain types (what the resize tool reads from a file).
public struct AlignedFaceGeometry: Sendable {
    public var faceType: FaceType
    /// Width (= height) of the stored aligned image in pixels.
    public var size: Int
    /// 68 landmarks in aligned-image pixels.
    public var landmarks: [Point2D]
    /// Frame → aligned-image transform, when the file has one.
    public var imageToFaceMat: Affine2D?
    /// 68 landmarks in source-frame pixels, when the file has them.
    public var sourceLandmarks: [Point2D]?

    public init(faceType: FaceType, size: Int, landmarks: [Point2D], imageToFaceMat: Affine2D? = nil,
                sourceLandmarks: [Point2D]? = nil) {
        self.faceType = faceType
        self.size = size
        self.landmarks = landmarks
        self.imageToFaceMat = imageToFaceMat
        self.sourceLandmarks = sourceLandmarks
    }
}

/// How the new aligned image is made from the old one.
public enum ResizePixelOperation: Sendable, Equatable {
    /// Same face type: resize the whole image to the new size (DFL uses Lanczos-4).
    case resize
    /// New face type: warp the old aligned image with `oldToNew` into the new size (DFL: Lanczos-4,
    /// black constant border, so a larger crop gets black borders).
    case warp
}

/// The new metadata of a resized face.
public struct ResizedFaceGeometry: Sendable {
    public var faceType: FaceType
    public var size: Int
    public var pixelOperation: ResizePixelOperation
    /// Old aligned-image pixel coordinates → new ones: what maps landmarks and `seg_ie_polys` points.
    /// For `.resize` this is the pure scale S′/S DFL applies to coordinates (a pixel resize itself maps
    /// pixel centres as (x + ½)·S′/S − ½; DFL ignores that half-pixel difference and so do we).
    public var oldToNew: Affine2D
    /// `oldToNew` applied to the landmarks.
    public var landmarks: [Point2D]
    /// The new frame → aligned transform; nil when the face had none.
    public var imageToFaceMat: Affine2D?
    /// For `.warp`: the transform DFL applies to a 256×256 `xseg_mask` (get_transform_mat of the landmarks
    /// scaled to 256, at 256, new type); nil for `.resize`, where the mask is left unchanged.
    public var xsegMaskTransform: Affine2D?
}

/// What DFL's faceset resizer does to a face's geometry when it goes to `newSize` and, when `newFaceType`
/// is given and differs from the face's type, to a new face type:
///
/// * Same type: coordinates scale by S′/S; `image_to_face_mat` (if present) is recomputed as
///   `transformMatrix(sourceLandmarks, S′, type)`.
/// * New type F′: M = `transformMatrix(aligned landmarks, S′, F′)` maps the old aligned image to the new
///   one; landmarks := M·landmarks; `image_to_face_mat` (if present) := `transformMatrix(sourceLandmarks,
///   S′, F′)`.
///
/// Where the face has `image_to_face_mat` but no `source_landmarks` (DFL would fail), the new matrix is
/// `oldToNew` composed after the old one. DFL re-aligns when the user types the current face type instead
/// of "same"; here an unchanged type always takes the scale-only path.
public func resizedFaceGeometry(_ face: AlignedFaceGeometry, newSize: Int,
                                newFaceType: FaceType? = nil) throws -> ResizedFaceGeometry {
    guard face.size > 0 else { throw FaceAlignError.invalidSize(Double(face.size)) }
    guard newSize > 0 else { throw FaceAlignError.invalidSize(Double(newSize)) }
    if let sl = face.sourceLandmarks, sl.count != 68 {
        throw FaceAlignError.wrongLandmarkCount(expected: 68, got: sl.count)
    }
    let targetType = newFaceType ?? face.faceType

    func newImageToFaceMat(_ oldToNew: Affine2D) throws -> Affine2D? {
        guard let old = face.imageToFaceMat else { return nil }
        if let source = face.sourceLandmarks {
            return try transformMatrix(landmarks: source, size: newSize, faceType: targetType)
        }
        return oldToNew.composed(after: old)
    }

    if targetType == face.faceType {
        let oldToNew = Affine2D.scaling(Double(newSize) / Double(face.size))
        return ResizedFaceGeometry(faceType: targetType, size: newSize, pixelOperation: .resize, oldToNew: oldToNew,
                                   landmarks: oldToNew.apply(face.landmarks),
                                   imageToFaceMat: try newImageToFaceMat(oldToNew), xsegMaskTransform: nil)
    }

    let oldToNew = try transformMatrix(landmarks: face.landmarks, size: newSize, faceType: targetType)
    let to256 = Affine2D.scaling(256 / Double(face.size))
    let maskTransform = try transformMatrix(landmarks: to256.apply(face.landmarks), size: 256, faceType: targetType)
    return ResizedFaceGeometry(faceType: targetType, size: newSize, pixelOperation: .warp, oldToNew: oldToNew,
                               landmarks: oldToNew.apply(face.landmarks),
                               imageToFaceMat: try newImageToFaceMat(oldToNew), xsegMaskTransform: maskTransform)
}
