// The 2×3 affine matrices that OpenCV's warpAffine takes (forward map: source pixel → output pixel).
// FaceAlign has the same type (`Affine2D`); this one stays small and local to the sample pipeline.
import Foundation

/// x' = a·x + b·y + c,  y' = d·x + e·y + f — a forward map from source to output pixel coordinates.
public struct AffineMap: Sendable, Equatable {
    public var a: Double, b: Double, c: Double
    public var d: Double, e: Double, f: Double

    public init(_ a: Double, _ b: Double, _ c: Double, _ d: Double, _ e: Double, _ f: Double) {
        self.a = a; self.b = b; self.c = c; self.d = d; self.e = e; self.f = f
    }

    public static let identity = AffineMap(1, 0, 0, 0, 1, 0)

    /// OpenCV's `getRotationMatrix2D(center, angle, scale)`: rotation by `degrees` counter-clockwise on
    /// screen (y axis down) and uniform scaling about `center`.
    public static func rotation(center: SIMD2<Double>, degrees: Double, scale: Double) -> AffineMap {
        let rad = degrees * Double.pi / 180
        let alpha = scale * cos(rad), beta = scale * sin(rad)
        return AffineMap(alpha, beta, (1 - alpha) * center.x - beta * center.y,
                         -beta, alpha, beta * center.x + (1 - alpha) * center.y)
    }

    /// Row-major 2×3 values, as Imaging's `warpAffine(_:matrix:…)` and cv2.warpAffine take them.
    public var matrix: [Double] { [a, b, c, d, e, f] }

    /// The map applied to a point.
    public func apply(_ p: SIMD2<Double>) -> SIMD2<Double> {
        SIMD2(a * p.x + b * p.y + c, d * p.x + e * p.y + f)
    }

    /// The inverse map; nil when singular.
    public var inverted: AffineMap? {
        let det = a * e - b * d
        guard det != 0, det.isFinite else { return nil }
        let ia = e / det, ib = -b / det, id = -d / det, ie = a / det
        return AffineMap(ia, ib, -(ia * c + ib * f), id, ie, -(id * c + ie * f))
    }

    /// `self` applied after `first`.
    public func composed(after first: AffineMap) -> AffineMap {
        AffineMap(a * first.a + b * first.d, a * first.b + b * first.e, a * first.c + b * first.f + c,
                  d * first.a + e * first.d, d * first.b + e * first.e, d * first.c + e * first.f + f)
    }
}
