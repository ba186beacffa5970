// Helpers around the alignment transform (docs/dfl-faceset.md §3.5).
import FaceSet

/// DFL's `transform_points`: `points` mapped by `matrix`, or by its inverse when `inverse` is true
/// (nil only when an inverse is asked for and the matrix is singular).
public func transformPoints(_ points: [Point2D], _ matrix: Affine2D, inverse: Bool = false) -> [Point2D]? {
    if inverse {
        guard let m = matrix.inverted else { return nil }
        return m.apply(points)
    }
    return matrix.apply(points)
}

/// The aligned square's outline in frame coordinates: the corners (0, 0), (S, 0), (S, S), (0, S) of the
/// S×S face mapped back by the inverse of `frameToFace`; for drawing the crop on the frame in debug images.
public func alignedOutlineInFrame(frameToFace: Affine2D, size: Int) -> [Point2D]? {
    let s = Double(size)
    return transformPoints([Point2D(0, 0), Point2D(s, 0), Point2D(s, s), Point2D(0, s)], frameToFace, inverse: true)
}

/// The face-type outline of 68 frame `landmarks` in the frame: `alignedOutlineInFrame` of
/// `transformMatrix(landmarks, size, faceType)`. The outline does not depend on `size`.
public func faceTypeOutline(landmarks: [Point2D], faceType: FaceType, size: Int = 256) throws -> [Point2D] {
    let m = try transformMatrix(landmarks: landmarks, size: size, faceType: faceType)
    guard let outline = alignedOutlineInFrame(frameToFace: m, size: size) else {
        throw FaceAlignError.degenerateLandmarks
    }
    return outline
}

/// DFL's `get_rect_from_landmarks`: the FULL_NO_ALIGN crop at 256 mapped back to the frame, as
/// (left, top, right, bottom) from the aligned pixels (0, 0) and (255, 255).
public func rectFromLandmarks(_ landmarks: [Point2D]) throws -> (left: Double, top: Double, right: Double, bottom: Double) {
    let m = try transformMatrix(landmarks: landmarks, size: 256, faceType: .fullNoAlign)
    guard let corners = transformPoints([Point2D(0, 0), Point2D(255, 255)], m, inverse: true) else {
        throw FaceAlignError.degenerateLandmarks
    }
    return (corners[0].x, corners[0].y, corners[1].x, corners[1].y)
}
