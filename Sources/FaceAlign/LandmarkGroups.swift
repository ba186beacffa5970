// The 68-point landmark layout (docs/dfl-faceset.md §3.9): index groups, mirror pairs and DFL's eyebrow
// expansion.

/// Index ranges of the 68-point layout (iBUG 300-W).
public enum LandmarkGroup {
    public static let jaw = 0..<17
    public static let rightBrow = 17..<22
    public static let leftBrow = 22..<27
    public static let nose = 27..<36
    public static let rightEye = 36..<42
    public static let leftEye = 42..<48
    public static let mouth = 48..<68
    public static let innerLips = 60..<68

    /// Index pairs that swap under a horizontal flip.
    public static let mirrorPairs: [(Int, Int)] = [
        (0, 16), (1, 15), (2, 14), (3, 13), (4, 12), (5, 11), (6, 10), (7, 9),
        (17, 26), (18, 25), (19, 24), (20, 23), (21, 22),
        (36, 45), (37, 44), (38, 43), (39, 42), (40, 47), (41, 46),
        (31, 35), (32, 34),
        (50, 52), (49, 53), (48, 54), (59, 55), (58, 56), (67, 65), (60, 64), (61, 63),
    ]
}

/// Landmarks of an image flipped left–right (`width` = the image width): mirror pairs swapped, then
/// x′ = width − x − 1.
public func mirroredLandmarks(_ landmarks: [Point2D], width: Int) throws -> [Point2D] {
    guard landmarks.count == 68 else { throw FaceAlignError.wrongLandmarkCount(expected: 68, got: landmarks.count) }
    var out = landmarks
    for (a, b) in LandmarkGroup.mirrorPairs { out.swapAt(a, b) }
    return out.map { Point2D(Double(width) - $0.x - 1, $0.y) }
}

/// DFL's `expand_eyebrows`: the landmarks truncated to pixels, with both brows pushed away from the eyes
/// by `mod`·½ of the brow-to-eye distance (approximating the forehead line). Midpoints use floor
/// division and the moved brows are truncated toward zero, as DFL's integer arithmetic does.
public func expandedEyebrows(_ landmarks: [Point2D], mod: Double = 1) throws -> [PixelPoint] {
    guard landmarks.count == 68 else { throw FaceAlignError.wrongLandmarkCount(expected: 68, got: landmarks.count) }
    var lm = landmarks.map { PixelPoint(truncating: $0) }
    func floorMid(_ a: PixelPoint, _ b: PixelPoint) -> PixelPoint {
        PixelPoint(floorDiv(a.x + b.x, 2), floorDiv(a.y + b.y, 2))
    }
    let ml = floorMid(lm[36], lm[0]), mr = floorMid(lm[16], lm[45])
    let ql = floorMid(lm[36], ml), qr = floorMid(lm[45], mr)
    let bottomLeft = [ql, lm[36], lm[37], lm[38], lm[39]]
    let bottomRight = [lm[42], lm[43], lm[44], lm[45], qr]
    func pushed(_ top: PixelPoint, _ bottom: PixelPoint) -> PixelPoint {
        let x = Double(top.x) + mod * 0.5 * Double(top.x - bottom.x)
        let y = Double(top.y) + mod * 0.5 * Double(top.y - bottom.y)
        return PixelPoint(truncating: Point2D(x, y))
    }
    for i in 0..<5 {
        lm[17 + i] = pushed(lm[17 + i], bottomLeft[i])
        lm[22 + i] = pushed(lm[22 + i], bottomRight[i])
    }
    return lm
}

private func floorDiv(_ a: Int, _ b: Int) -> Int {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
}
