// 3×3 rotations: Rodrigues vectors and the Euler decomposition DFL's `rotationMatrixToEulerAngles` uses.
import Foundation

/// A 3×3 matrix, row-major (`m[r][c]` = `values[3 * r + c]`).
public struct Matrix3x3: Sendable, Hashable {
    public var values: [Double]

    public init(_ values: [Double]) {
        precondition(values.count == 9, "a 3×3 matrix has 9 values")
        self.values = values
    }

    public static let identity = Matrix3x3([1, 0, 0, 0, 1, 0, 0, 0, 1])

    @inlinable public subscript(r: Int, c: Int) -> Double {
        get { values[3 * r + c] }
        set { values[3 * r + c] = newValue }
    }

    public static func * (a: Matrix3x3, b: Matrix3x3) -> Matrix3x3 {
        var out = [Double](repeating: 0, count: 9)
        for r in 0..<3 { for c in 0..<3 { for k in 0..<3 { out[3 * r + c] += a[r, k] * b[k, c] } } }
        return Matrix3x3(out)
    }

    /// The matrix applied to a point.
    public func apply(_ p: Point3D) -> Point3D {
        Point3D(self[0, 0] * p.x + self[0, 1] * p.y + self[0, 2] * p.z,
                self[1, 0] * p.x + self[1, 1] * p.y + self[1, 2] * p.z,
                self[2, 0] * p.x + self[2, 1] * p.y + self[2, 2] * p.z)
    }

    /// Rotation about the x axis by `a` radians.
    public static func rotationX(_ a: Double) -> Matrix3x3 { Matrix3x3([1, 0, 0, 0, cos(a), -sin(a), 0, sin(a), cos(a)]) }
    /// Rotation about the y axis by `a` radians.
    public static func rotationY(_ a: Double) -> Matrix3x3 { Matrix3x3([cos(a), 0, sin(a), 0, 1, 0, -sin(a), 0, cos(a)]) }
    /// Rotation about the z axis by `a` radians.
    public static func rotationZ(_ a: Double) -> Matrix3x3 { Matrix3x3([cos(a), -sin(a), 0, sin(a), cos(a), 0, 0, 0, 1]) }

    /// The rotation for a Rodrigues vector (axis · angle), as `cv2.Rodrigues`.
    public static func rodrigues(_ r: (Double, Double, Double)) -> Matrix3x3 {
        let theta = (r.0 * r.0 + r.1 * r.1 + r.2 * r.2).squareRoot()
        guard theta > 1e-300 else { return .identity }
        let (kx, ky, kz) = (r.0 / theta, r.1 / theta, r.2 / theta)
        let c = cos(theta), s = sin(theta), v = 1 - c
        return Matrix3x3([c + kx * kx * v, kx * ky * v - kz * s, kx * kz * v + ky * s,
                          ky * kx * v + kz * s, c + ky * ky * v, ky * kz * v - kx * s,
                          kz * kx * v - ky * s, kz * ky * v + kx * s, c + kz * kz * v])
    }

    /// Euler angles (x, y, z) with R = Rz(z)·Ry(y)·Rx(x), as docs/dfl-faceset.md §3.7 computes them (not
    /// clipped): x = atan2(R21, R22), y = atan2(−R20, √(R00² + R10²)), z = atan2(R10, R00); near the y = ±π/2
    /// singularity x = atan2(−R12, R11) and z = 0.
    public var eulerAngles: (x: Double, y: Double, z: Double) {
        let sy = (self[0, 0] * self[0, 0] + self[1, 0] * self[1, 0]).squareRoot()
        if sy < 1e-6 {
            return (atan2(-self[1, 2], self[1, 1]), atan2(-self[2, 0], sy), 0)
        }
        return (atan2(self[2, 1], self[2, 2]), atan2(-self[2, 0], sy), atan2(self[1, 0], self[0, 0]))
    }
}
