import Foundation
import FaceSet
import Imaging
@testable import Samples
import TestSupport

/// x, y of DFL's landmarks_68_3D (docs/dfl-faceset.md §3.8): a frontal mean face.
let meanFace68: [SIMD2<Double>] = [
    (-73.393523, -29.801432), (-72.775014, -10.949766), (-70.533638, 7.929818), (-66.850058, 26.074280),
    (-59.790187, 42.564390), (-48.368973, 56.481080), (-34.121101, 67.246992), (-17.875411, 75.056892),
    (0.098749, 77.061286), (17.477031, 74.758448), (32.648966, 66.929021), (46.372358, 56.311389),
    (57.343480, 42.419126), (64.388482, 25.455880), (68.212038, 6.990805), (70.486405, -11.666193),
    (71.375822, -30.365191), (-61.119406, -49.361602), (-51.287588, -58.769795), (-37.804800, -61.996155),
    (-24.022754, -61.033399), (-11.635713, -56.686759), (12.056636, -57.391033), (25.106256, -61.902186),
    (38.338588, -62.777713), (51.191007, -59.302347), (60.053851, -50.190255), (0.653940, -42.193790),
    (0.804809, -30.993721), (0.992204, -19.944596), (1.226783, -8.414541), (-14.772472, 2.598255),
    (-7.180239, 4.751589), (0.555920, 6.562900), (8.272499, 4.661005), (15.214351, 2.643046),
    (-46.047290, -37.471411), (-37.674688, -42.730510), (-27.883856, -42.711517), (-19.648268, -36.754742),
    (-28.272965, -35.134493), (-38.082418, -34.919043), (19.265868, -37.032306), (27.894191, -43.342445),
    (37.437529, -43.110822), (45.170805, -38.086515), (38.196454, -35.532024), (28.764989, -35.484289),
    (-28.916267, 28.612716), (-17.533194, 22.172187), (-6.684590, 19.029051), (0.381001, 20.721118),
    (8.375443, 19.035460), (18.876618, 22.394109), (28.794412, 28.079924), (19.057574, 36.298248),
    (8.956375, 39.634575), (0.381549, 40.395647), (-7.428895, 39.836405), (-18.160634, 36.677899),
    (-24.377490, 28.677771), (-6.897633, 25.475976), (0.340663, 26.014269), (8.444722, 25.326198),
    (24.474473, 28.323008), (8.449166, 30.596216), (0.205322, 31.408738), (-7.198266, 30.844876),
].map { SIMD2($0.0, $0.1) }

/// The mean face placed in a `size`-pixel aligned image (about 70 % of the width).
func faceLandmarks(size: Int) -> [SIMD2<Double>] {
    let s = Double(size) / 200
    return meanFace68.map { SIMD2($0.x * s + Double(size) / 2, $0.y * s + Double(size) * 0.48) }
}

/// A synthetic aligned face: the test pattern as 8-bit pixels, mean-face landmarks.
func syntheticFace(size: Int, channels: Int, phase: Float = 0, yaw: Double? = nil) -> FaceRecord {
    var img = testPattern(width: size, height: size, channels: channels)
    for i in 0..<img.data.count { img.data[i] = min(max(img.data[i] * (1 - 0.3 * phase) + 0.1 * phase, 0), 1) }
    return FaceRecord(image: img.toUInt8(), landmarks: faceLandmarks(size: size), faceType: .full, yaw: yaw)
}

func store(faces: Int, size: Int, resolution: Int, channels: Int, keepReference: Bool = false) throws -> FaceStore {
    var s = FaceStore(resolution: resolution, faceType: .full, keepColorReference: keepReference)
    for i in 0..<faces {
        try s.add(syntheticFace(size: size, channels: channels, phase: Float(i) / Float(max(faces, 1))))
    }
    return s
}

/// Is `p` inside the convex polygon `hull` (counter-clockwise or clockwise) by at least `margin` pixels?
/// Negative margin: within |margin| outside.
func signedDistanceInside(_ p: SIMD2<Double>, _ hull: [SIMD2<Double>]) -> Double {
    var area = 0.0
    for i in 0..<hull.count { let a = hull[i], b = hull[(i + 1) % hull.count]; area += a.x * b.y - b.x * a.y }
    let orientation = area >= 0 ? 1.0 : -1.0
    var d = Double.infinity
    for i in 0..<hull.count {
        let a = hull[i], b = hull[(i + 1) % hull.count]
        let e = b - a
        let len = (e.x * e.x + e.y * e.y).squareRoot()
        guard len > 0 else { continue }
        let cross = (e.x * (p.y - a.y) - e.y * (p.x - a.x)) / len * orientation
        d = min(d, cross)
    }
    return d
}
