// DFL's `get_transform_mat` (docs/dfl-faceset.md §3.4): the 2×3 matrix that maps a frame onto the S×S aligned
// face.
import FaceSet
import Foundation

/// The frame → aligned-face transform for 68 frame `landmarks`, output side `size` and `faceType`
/// (DFL's `get_transform_mat`, followed step by step in Double). `scale` > 1 zooms out (the merger's
/// output_face_scale); it is 1 everywhere else.
///
/// Throws for a landmark count other than 68, for `markOnly`, for a non-positive size or scale, and for
/// degenerate landmarks.
public func transformMatrix(landmarks: [Point2D], size: Int, faceType: FaceType,
                            scale: Double = 1) throws -> Affine2D {
    guard landmarks.count == 68 else { throw FaceAlignError.wrongLandmarkCount(expected: 68, got: landmarks.count) }
    guard let padding = faceType.alignmentPadding else { throw FaceAlignError.faceTypeHasNoAlignment(faceType) }
    guard size > 0 else { throw FaceAlignError.invalidSize(Double(size)) }
    guard scale > 0, scale.isFinite else { throw FaceAlignError.invalidSize(scale) }

    // 1. Frame → normalized template space.
    let source = meanFaceSourceIndices.map { landmarks[$0] }
    guard let u = umeyama(source: source, destination: meanFaceTemplate), let uInverse = u.inverted
    else { throw FaceAlignError.degenerateLandmarks }

    // 2. The template square's corners and centre, back in the frame.
    let g0 = uInverse.apply(Point2D(0, 0)), g1 = uInverse.apply(Point2D(1, 0))
    let g2 = uInverse.apply(Point2D(1, 1)), g3 = uInverse.apply(Point2D(0, 1))
    var centre = uInverse.apply(Point2D(0.5, 0.5))

    // 3.–4. Diagonal directions and the half-diagonal of the padded crop.
    let topLeftToBottomRight = (g2 - g0).normalized
    let bottomLeftToTopRight = (g1 - g3).normalized
    let halfDiagonal = (1 / scale) * (g0 - g2).length * (padding * 2.0.squareRoot() + 0.5)

    // 5.–6. Centre shifts; (g0 − g3) points up in the image.
    if faceType == .wholeFace {
        centre += (g0 - g3).normalized * ((g0 - g3).length * 0.07)
    }
    if faceType == .head {
        let yaw = estimateAveragedYaw(u.apply(landmarks))
        let dampedYaw = yaw * abs(tanh(2 * yaw))
        centre -= (g0 - g1).normalized * (dampedYaw * (g0 - g1).length / 2)
        centre += (g0 - g3).normalized * ((g0 - g3).length * 0.5)
    }

    // 7.–8. Three crop corners in the frame.
    let corners: (Point2D, Point2D, Point2D)
    if faceType.removesAlignment {
        let quad = [centre - topLeftToBottomRight * halfDiagonal, centre + bottomLeftToTopRight * halfDiagonal,
                    centre + topLeftToBottomRight * halfDiagonal, centre - bottomLeftToTopRight * halfDiagonal]
        let h = polygonArea(quad).squareRoot() / 2
        corners = (centre + Point2D(-h, -h), centre + Point2D(h, -h), centre + Point2D(h, h))
    } else {
        corners = (centre - topLeftToBottomRight * halfDiagonal,
                   centre + bottomLeftToTopRight * halfDiagonal,
                   centre + topLeftToBottomRight * halfDiagonal)
    }

    // 9. Corners → (0, 0), (S, 0), (S, S).
    let s = Double(size)
    guard let m = Affine2D(mapping: corners, to: (Point2D(0, 0), Point2D(s, 0), Point2D(s, s)))
    else { throw FaceAlignError.degenerateLandmarks }
    return m
}

/// Area of a simple polygon by the shoelace formula (DFL's `mathlib.polygon_area`).
public func polygonArea(_ points: [Point2D]) -> Double {
    guard points.count >= 3 else { return 0 }
    var twice = 0.0
    var previous = points[points.count - 1]
    for p in points {
        twice += previous.x * p.y - p.x * previous.y
        previous = p
    }
    return abs(twice) / 2
}

/// DFL's `estimate_averaged_yaw` (docs/dfl-faceset.md §3.7), used for the HEAD crop on template-space
/// landmarks: the mean right-half width minus the mean left-half width, measured along x at three nose heights.
/// It needs the 68-point layout; any other count gives 0.
public func estimateAveragedYaw(_ landmarks: [Point2D]) -> Double {
    guard landmarks.count == 68 else { return 0 }
    let l = landmarks
    let left = ((l[27].x - l[0].x) + (l[28].x - l[1].x) + (l[29].x - l[2].x)) / 3
    let right = ((l[16].x - l[27].x) + (l[15].x - l[28].x) + (l[14].x - l[29].x)) / 3
    return right - left
}
