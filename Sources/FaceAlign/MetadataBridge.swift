// FaceSet stores points as SIMD2<Double> and matrices as 6 row-major Doubles (the on-disk shapes);
// FaceAlign computes with Point2D and Affine2D. These conversions are the one place the two meet.
import FaceSet

extension Point2D {
    public init(_ v: SIMD2<Double>) { self.init(v.x, v.y) }
    public var simd: SIMD2<Double> { SIMD2(x, y) }
}

extension Affine2D {
    /// From 6 row-major values (a, b, c, d, e, f) as `FaceMetadata.imageToFaceMat` holds them.
    public init?(rowMajor v: [Double]) {
        guard v.count == 6 else { return nil }
        self.init(v[0], v[1], v[2], v[3], v[4], v[5])
    }

    /// The 6 row-major values, as `FaceMetadata.imageToFaceMat` and `warpAffine` take them.
    public var rowMajor: [Double] { [m00, m01, m02, m10, m11, m12] }
}

extension AlignedFaceGeometry {
    /// The geometry of a face file whose aligned image is `size` pixels square.
    public init(metadata m: FaceMetadata, size: Int) {
        self.init(faceType: m.faceType, size: size, landmarks: m.landmarks.map(Point2D.init),
                  imageToFaceMat: m.imageToFaceMat.flatMap(Affine2D.init(rowMajor:)),
                  sourceLandmarks: m.sourceLandmarks?.map(Point2D.init))
    }
}
