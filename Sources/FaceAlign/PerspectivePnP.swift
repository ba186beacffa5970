// A small iterative Perspective-n-Point solver: Levenberg–Marquardt on (Rodrigues vector, translation)
// minimising the squared reprojection error of a pinhole camera, the criterion cv2.solvePnP's ITERATIVE
// method refines. It starts from a frontal pose in front of the camera, so it returns the solution with
// the object in front of the camera (t_z > 0).

/// A pinhole camera without distortion: u = fx·X/Z + cx, v = fy·Y/Z + cy.
public struct PinholeCamera: Sendable, Hashable {
    public var focalLength: Double
    public var centre: Point2D

    public init(focalLength: Double, centre: Point2D) {
        self.focalLength = focalLength
        self.centre = centre
    }

    /// Projection of a camera-space point.
    public func project(_ p: Point3D) -> Point2D {
        Point2D(focalLength * p.x / p.z + centre.x, focalLength * p.y / p.z + centre.y)
    }
}

/// An object pose: camera point = rotation · object point + translation.
public struct RigidPose: Sendable {
    /// Rodrigues rotation vector (axis × angle in radians).
    public var rotationVector: (Double, Double, Double)
    public var translation: Point3D

    public init(rotationVector: (Double, Double, Double), translation: Point3D) {
        self.rotationVector = rotationVector
        self.translation = translation
    }

    public var rotation: Matrix3x3 { .rodrigues(rotationVector) }

    /// The object point in camera coordinates.
    public func apply(_ p: Point3D) -> Point3D {
        let q = rotation.apply(p)
        return Point3D(q.x + translation.x, q.y + translation.y, q.z + translation.z)
    }
}

/// The pose that best projects `objectPoints` onto `imagePoints` through `camera` (least squares), or nil
/// for fewer than 4 points, mismatched counts or a degenerate fit. `initialPose` defaults to a frontal pose
/// (no rotation) at the depth and offset that match the points' spread and centroid.
public func solvePerspectivePose(objectPoints: [Point3D], imagePoints: [Point2D], camera: PinholeCamera,
                                 initialPose: RigidPose? = nil, maxIterations: Int = 200) -> RigidPose? {
    let n = objectPoints.count
    guard n >= 4, imagePoints.count == n, camera.focalLength > 0 else { return nil }
    var params = parameters(initialPose ?? frontalInitialPose(objectPoints, imagePoints, camera))
    guard params.allSatisfy({ $0.isFinite }) else { return nil }

    var residual = reprojectionResiduals(params, objectPoints, imagePoints, camera)
    var cost = sumOfSquares(residual)
    var lambda = 1e-3
    for _ in 0..<maxIterations {
        let jacobian = numericJacobian(params, objectPoints, imagePoints, camera)
        // Normal equations JᵀJ·δ = −Jᵀr, damped on the diagonal (Marquardt).
        var jtj = [Double](repeating: 0, count: 36), jtr = [Double](repeating: 0, count: 6)
        for row in 0..<residual.count {
            for a in 0..<6 {
                let ja = jacobian[row * 6 + a]
                jtr[a] += ja * residual[row]
                for b in 0..<6 { jtj[a * 6 + b] += ja * jacobian[row * 6 + b] }
            }
        }
        var improved = false
        while lambda < 1e12 {
            var damped = jtj
            for a in 0..<6 { damped[a * 6 + a] += lambda * max(jtj[a * 6 + a], 1e-12) }
            guard let step = solveLinear6(damped, jtr.map { -$0 }) else { lambda *= 10; continue }
            let trial = zip(params, step).map { $0 + $1 }
            let trialResidual = reprojectionResiduals(trial, objectPoints, imagePoints, camera)
            let trialCost = sumOfSquares(trialResidual)
            if trialCost.isFinite && trialCost <= cost {
                let relativeStep = zip(step, params).map { abs($0) / max(abs($1), 1) }.max() ?? 0
                params = trial
                residual = trialResidual
                let converged = cost - trialCost <= 1e-14 * max(cost, 1e-300) || relativeStep < 1e-12
                cost = trialCost
                lambda = max(lambda / 10, 1e-12)
                improved = !converged
                break
            }
            lambda *= 10
        }
        if !improved { break }
    }
    guard cost.isFinite else { return nil }
    return RigidPose(rotationVector: (params[0], params[1], params[2]),
                     translation: Point3D(params[3], params[4], params[5]))
}

private func parameters(_ pose: RigidPose) -> [Double] {
    [pose.rotationVector.0, pose.rotationVector.1, pose.rotationVector.2,
     pose.translation.x, pose.translation.y, pose.translation.z]
}

/// No rotation; depth from the ratio of the object's to the image's spread, offset from the centroids.
private func frontalInitialPose(_ object: [Point3D], _ image: [Point2D], _ camera: PinholeCamera) -> RigidPose {
    let n = Double(object.count)
    let meanO = object.reduce(Point3D(0, 0, 0)) { Point3D($0.x + $1.x / n, $0.y + $1.y / n, $0.z + $1.z / n) }
    let meanI = image.reduce(Point2D(0, 0)) { $0 + $1 / n }
    let spreadO = object.reduce(0.0) { $0 + ($1.x - meanO.x) * ($1.x - meanO.x) + ($1.y - meanO.y) * ($1.y - meanO.y) }
    let spreadI = image.reduce(0.0) { $0 + ($1 - meanI).length * ($1 - meanI).length }
    let z = camera.focalLength * (spreadO / max(spreadI, 1e-300)).squareRoot()
    let x = (meanI.x - camera.centre.x) * z / camera.focalLength - meanO.x
    let y = (meanI.y - camera.centre.y) * z / camera.focalLength - meanO.y
    return RigidPose(rotationVector: (0, 0, 0), translation: Point3D(x, y, z - meanO.z))
}

private func reprojectionResiduals(_ params: [Double], _ object: [Point3D], _ image: [Point2D],
                                   _ camera: PinholeCamera) -> [Double] {
    let pose = RigidPose(rotationVector: (params[0], params[1], params[2]),
                         translation: Point3D(params[3], params[4], params[5]))
    let r = pose.rotation
    var out = [Double](repeating: 0, count: 2 * object.count)
    for i in 0..<object.count {
        var q = r.apply(object[i])
        q = Point3D(q.x + params[3], q.y + params[4], q.z + params[5])
        let p = camera.project(q)
        out[2 * i] = p.x - image[i].x
        out[2 * i + 1] = p.y - image[i].y
    }
    return out
}

/// Central differences; rows are residuals, 6 columns.
private func numericJacobian(_ params: [Double], _ object: [Point3D], _ image: [Point2D],
                             _ camera: PinholeCamera) -> [Double] {
    let rows = 2 * object.count
    var jacobian = [Double](repeating: 0, count: rows * 6)
    for k in 0..<6 {
        let h = k < 3 ? 1e-7 : 1e-6 * max(abs(params[k]), 1)
        var plus = params, minus = params
        plus[k] += h
        minus[k] -= h
        let rp = reprojectionResiduals(plus, object, image, camera)
        let rm = reprojectionResiduals(minus, object, image, camera)
        for row in 0..<rows { jacobian[row * 6 + k] = (rp[row] - rm[row]) / (2 * h) }
    }
    return jacobian
}

private func sumOfSquares(_ v: [Double]) -> Double { v.reduce(0) { $0 + $1 * $1 } }

/// Gaussian elimination with partial pivoting on a 6×6 system; nil when singular.
private func solveLinear6(_ matrix: [Double], _ rhs: [Double]) -> [Double]? {
    var a = matrix, b = rhs
    let n = 6
    for col in 0..<n {
        var pivot = col
        for r in (col + 1)..<n where abs(a[r * n + col]) > abs(a[pivot * n + col]) { pivot = r }
        guard abs(a[pivot * n + col]) > 1e-300 else { return nil }
        if pivot != col {
            for c in 0..<n { a.swapAt(col * n + c, pivot * n + c) }
            b.swapAt(col, pivot)
        }
        for r in (col + 1)..<n {
            let f = a[r * n + col] / a[col * n + col]
            if f == 0 { continue }
            for c in col..<n { a[r * n + c] -= f * a[col * n + c] }
            b[r] -= f * b[col]
        }
    }
    var x = [Double](repeating: 0, count: n)
    for r in stride(from: n - 1, through: 0, by: -1) {
        var s = b[r]
        for c in (r + 1)..<n { s -= a[r * n + c] * x[c] }
        x[r] = s / a[r * n + r]
    }
    return x.allSatisfy { $0.isFinite } ? x : nil
}
