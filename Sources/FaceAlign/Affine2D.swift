// The 2×3 affine matrices that DFL stores (`image_to_face_mat`) and OpenCV's warpAffine takes:
//   x' = m00·x + m01·y + m02,   y' = m10·x + m11·y + m12.

/// A 2-D affine transform, the top two rows of a 3×3 homogeneous matrix, in Double.
public struct Affine2D: Sendable, Hashable, Codable {
    public var m00: Double, m01: Double, m02: Double
    public var m10: Double, m11: Double, m12: Double

    public init(_ m00: Double, _ m01: Double, _ m02: Double, _ m10: Double, _ m11: Double, _ m12: Double) {
        self.m00 = m00; self.m01 = m01; self.m02 = m02
        self.m10 = m10; self.m11 = m11; self.m12 = m12
    }

    /// From two rows of three values (the layout of DFL's 2×3 ndarray); nil for any other shape.
    public init?(rows: [[Double]]) {
        guard rows.count == 2, rows[0].count == 3, rows[1].count == 3 else { return nil }
        self.init(rows[0][0], rows[0][1], rows[0][2], rows[1][0], rows[1][1], rows[1][2])
    }

    /// The two rows of three values.
    public var rows: [[Double]] { [[m00, m01, m02], [m10, m11, m12]] }

    public static let identity = Affine2D(1, 0, 0, 0, 1, 0)

    /// Uniform scaling about the origin: p ↦ s·p.
    public static func scaling(_ s: Double) -> Affine2D { Affine2D(s, 0, 0, 0, s, 0) }

    /// Translation p ↦ p + (tx, ty).
    public static func translation(_ tx: Double, _ ty: Double) -> Affine2D { Affine2D(1, 0, tx, 0, 1, ty) }

    /// The transform applied to one point.
    @inlinable public func apply(_ p: Point2D) -> Point2D {
        Point2D(m00 * p.x + m01 * p.y + m02, m10 * p.x + m11 * p.y + m12)
    }

    /// The transform applied to each point (DFL's `transform_points`).
    public func apply(_ points: [Point2D]) -> [Point2D] { points.map { apply($0) } }

    /// The linear part applied to a vector (no translation).
    @inlinable public func applyLinear(_ v: Point2D) -> Point2D {
        Point2D(m00 * v.x + m01 * v.y, m10 * v.x + m11 * v.y)
    }

    /// Determinant of the linear 2×2 part.
    public var determinant: Double { m00 * m11 - m01 * m10 }

    /// `self` after `first`: the transform p ↦ self(first(p)).
    public func composed(after first: Affine2D) -> Affine2D {
        Affine2D(m00 * first.m00 + m01 * first.m10,
                 m00 * first.m01 + m01 * first.m11,
                 m00 * first.m02 + m01 * first.m12 + m02,
                 m10 * first.m00 + m11 * first.m10,
                 m10 * first.m01 + m11 * first.m11,
                 m10 * first.m02 + m11 * first.m12 + m12)
    }

    /// The inverse transform (as `cv2.invertAffineTransform`); nil when the linear part is singular.
    public var inverted: Affine2D? {
        let d = determinant
        guard d != 0, d.isFinite else { return nil }
        let i00 = m11 / d, i01 = -m01 / d, i10 = -m10 / d, i11 = m00 / d
        return Affine2D(i00, i01, -(i00 * m02 + i01 * m12), i10, i11, -(i10 * m02 + i11 * m12))
    }

    /// The affine transform that maps the three `source` points onto the three `destination` points
    /// (as `cv2.getAffineTransform`); nil when the source points are collinear.
    public init?(mapping source: (Point2D, Point2D, Point2D), to destination: (Point2D, Point2D, Point2D)) {
        // Solve in coordinates relative to the first point: [u v] = L·[s1−s0, s2−s0].
        let a = source.1 - source.0, b = source.2 - source.0
        let det = a.x * b.y - b.x * a.y
        guard det != 0, det.isFinite else { return nil }
        let u = destination.1 - destination.0, v = destination.2 - destination.0
        // L = [u v]·[a b]⁻¹, with [a b]⁻¹ = (1/det)·[[b.y, −b.x], [−a.y, a.x]].
        let l00 = (u.x * b.y - v.x * a.y) / det
        let l01 = (-u.x * b.x + v.x * a.x) / det
        let l10 = (u.y * b.y - v.y * a.y) / det
        let l11 = (-u.y * b.x + v.y * a.x) / det
        let t = destination.0 - Point2D(l00 * source.0.x + l01 * source.0.y, l10 * source.0.x + l11 * source.0.y)
        self.init(l00, l01, t.x, l10, l11, t.y)
    }
}
