// Face masks from 68 landmarks (docs/dfl-faceset.md §3.9): DFL's full-face hull mask and the eye and mouth
// masks used for eyes/mouth priority in training. Masks are 1-channel FloatImages with values in [0, 1].
import Imaging

/// The convex parts whose union is DFL's face hull: jaw halves, cheeks, nose ridge, the two brow–nose
/// fans and the nose (inclusive index lists).
public let faceHullParts: [[Int]] = [
    Array(0...8) + [17], Array(8...16) + [26], Array(17...19) + [8], Array(24...26) + [8],
    Array(19...24) + [8], Array(17...21) + [27] + Array(31...35) + [8],
    Array(22...26) + [27] + Array(31...35) + [8], Array(27...30) + Array(31...35),
]

/// DFL's `get_image_hull_mask`: a `width`×`height` mask of exact 0/1 values covering the face from the
/// jaw up to the brows, pushed up by `eyebrowsExpandMod` (the metadata's `eyebrows_expand_mod`; DFL's
/// sorters always use 1).
public func faceHullMask(landmarks: [Point2D], width: Int, height: Int,
                         eyebrowsExpandMod: Double = 1) throws -> FloatImage {
    let points = try expandedEyebrows(landmarks, mod: eyebrowsExpandMod)
    var mask = FloatImage(width: width, height: height, channels: 1)
    for part in faceHullParts {
        fillConvexPolygon(&mask, convexHull(part.map { points[$0] }))
    }
    return mask
}

/// The eyes' convex hulls (points 36–41 and 42–47) filled with 1, without DFL's dilation and blur.
public func sharpEyesMask(landmarks: [Point2D], width: Int, height: Int) throws -> FloatImage {
    try sharpMask(landmarks, [Array(LandmarkGroup.rightEye), Array(LandmarkGroup.leftEye)], width, height)
}

/// The inner lips' convex hull (points 60–67) filled with 1, without DFL's dilation and blur.
public func sharpMouthMask(landmarks: [Point2D], width: Int, height: Int) throws -> FloatImage {
    try sharpMask(landmarks, [Array(LandmarkGroup.innerLips)], width, height)
}

/// DFL's `get_image_eye_mask`: the eye hulls dilated by an ellipse of side height/32 and blurred with a
/// Gaussian of size height/16 rounded up to odd (σ from the size, as OpenCV's σ = 0).
public func eyesMask(landmarks: [Point2D], width: Int, height: Int) throws -> FloatImage {
    softened(try sharpEyesMask(landmarks: landmarks, width: width, height: height))
}

/// DFL's `get_image_mouth_mask`: the inner-lips hull, dilated and blurred as `eyesMask`.
public func mouthMask(landmarks: [Point2D], width: Int, height: Int) throws -> FloatImage {
    softened(try sharpMouthMask(landmarks: landmarks, width: width, height: height))
}

private func sharpMask(_ landmarks: [Point2D], _ groups: [[Int]], _ width: Int, _ height: Int) throws -> FloatImage {
    guard landmarks.count == 68 else { throw FaceAlignError.wrongLandmarkCount(expected: 68, got: landmarks.count) }
    guard width > 0, height > 0 else { throw FaceAlignError.invalidSize(Double(min(width, height))) }
    var mask = FloatImage(width: width, height: height, channels: 1)
    for g in groups {
        fillConvexPolygon(&mask, convexHull(g.map { PixelPoint(truncating: landmarks[$0]) }))
    }
    return mask
}

private func softened(_ mask: FloatImage) -> FloatImage {
    let h = mask.height
    let dilated = dilateWithEllipse(mask, side: h / 32)
    var k = h / 16
    if k % 2 == 0 { k += 1 }
    return gaussianBlur(dilated, kernelSize: k)
}
