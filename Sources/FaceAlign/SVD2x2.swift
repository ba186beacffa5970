// Closed-form singular value decomposition of a 2×2 matrix, enough for 2-D Umeyama without LAPACK.
import Foundation

/// A 2×2 matrix, row-major.
public struct Matrix2x2: Sendable, Hashable {
    public var a: Double, b: Double, c: Double, d: Double   // [[a, b], [c, d]]

    public init(_ a: Double, _ b: Double, _ c: Double, _ d: Double) {
        self.a = a; self.b = b; self.c = c; self.d = d
    }

    public static let identity = Matrix2x2(1, 0, 0, 1)

    public var determinant: Double { a * d - b * c }

    public static func * (x: Matrix2x2, y: Matrix2x2) -> Matrix2x2 {
        Matrix2x2(x.a * y.a + x.b * y.c, x.a * y.b + x.b * y.d,
                  x.c * y.a + x.d * y.c, x.c * y.b + x.d * y.d)
    }

    /// The rotation by `angle` radians: [[cos, −sin], [sin, cos]].
    public static func rotation(_ angle: Double) -> Matrix2x2 {
        Matrix2x2(cos(angle), -sin(angle), sin(angle), cos(angle))
    }

    /// diag(x, y).
    public static func diagonal(_ x: Double, _ y: Double) -> Matrix2x2 { Matrix2x2(x, 0, 0, y) }
}

/// A = U · diag(s0, s1) · Vt with U, Vt orthogonal and s0 ≥ s1 ≥ 0 (numpy's `svd` layout: Vt is what
/// numpy calls "V").
public struct SVD2x2: Sendable {
    public let u: Matrix2x2
    public let singularValues: (Double, Double)
    public let vt: Matrix2x2

    /// Decomposes `m`. Writing m = [[E+F, G−H], [G+H, E−F]], it is Rot(φ)·diag(Q+R, Q−R)·Rot(θ)
    /// with Q = |(E, H)|, R = |(F, G)|, φ+θ = atan2(H, E), φ−θ = atan2(G, F); a negative second value
    /// is made positive by flipping the second row of Vt.
    public init(_ m: Matrix2x2) {
        let e = (m.a + m.d) / 2, f = (m.a - m.d) / 2
        let g = (m.c + m.b) / 2, h = (m.c - m.b) / 2
        let q = (e * e + h * h).squareRoot(), r = (f * f + g * g).squareRoot()
        let a1 = atan2(g, f), a2 = atan2(h, e)
        let theta = (a2 - a1) / 2, phi = (a2 + a1) / 2
        let s0 = q + r, s1 = q - r
        u = .rotation(phi)
        singularValues = (s0, abs(s1))
        vt = .diagonal(1, s1 < 0 ? -1 : 1) * .rotation(theta)
    }
}
