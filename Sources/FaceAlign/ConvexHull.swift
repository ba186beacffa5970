// Convex hulls (Andrew's monotone chain): of integer pixel points, as cv2.convexHull on int landmarks, and of
// real-valued points (the merge's anti-aliased hull mask).

/// A point on the pixel grid (DFL truncates landmarks to int before filling masks).
public struct PixelPoint: Sendable, Hashable {
    public var x: Int
    public var y: Int

    public init(_ x: Int, _ y: Int) {
        self.x = x
        self.y = y
    }

    /// Coordinates are kept within ±2²⁴ (far outside any image) so that rasterising stays overflow-free.
    public static let coordinateLimit = 1 << 24

    /// The point truncated toward zero, as numpy's `astype(int)`; non-finite values become 0 and values
    /// beyond ±`coordinateLimit` are clamped to it.
    public init(truncating p: Point2D) {
        let limit = Double(PixelPoint.coordinateLimit)
        self.x = Int(p.x.isFinite ? max(min(p.x, limit), -limit) : 0)
        self.y = Int(p.y.isFinite ? max(min(p.y, limit), -limit) : 0)
    }

    /// The point with each coordinate clamped to ±`coordinateLimit`.
    public var clampedToLimit: PixelPoint {
        let l = PixelPoint.coordinateLimit
        return PixelPoint(max(min(x, l), -l), max(min(y, l), -l))
    }
}

/// The convex hull's vertices in counter-clockwise order (in y-down image coordinates: clockwise on
/// screen), without collinear points; fewer than 3 points come back deduplicated.
public func convexHull(_ points: [PixelPoint]) -> [PixelPoint] {
    monotoneChain(Array(Set(points)), \.x, \.y)
}

/// The convex hull of real-valued points, in the same order and with the same rules; fewer than 3 points
/// come back as they are (sorted).
public func convexHull(points: [Point2D]) -> [Point2D] {
    monotoneChain(points, \.x, \.y)
}

/// Andrew's monotone chain over the coordinates `x` and `y` of `points`.
private func monotoneChain<P, T: Comparable & SignedNumeric>(_ points: [P], _ x: KeyPath<P, T>, _ y: KeyPath<P, T>) -> [P] {
    let sorted = points.sorted { $0[keyPath: x] != $1[keyPath: x] ? $0[keyPath: x] < $1[keyPath: x] : $0[keyPath: y] < $1[keyPath: y] }
    guard sorted.count >= 3 else { return sorted }
    func cross(_ o: P, _ a: P, _ b: P) -> T {
        (a[keyPath: x] - o[keyPath: x]) * (b[keyPath: y] - o[keyPath: y]) - (a[keyPath: y] - o[keyPath: y]) * (b[keyPath: x] - o[keyPath: x])
    }
    var lower: [P] = [], upper: [P] = []
    for p in sorted {
        while lower.count >= 2 && cross(lower[lower.count - 2], lower[lower.count - 1], p) <= 0 { lower.removeLast() }
        lower.append(p)
    }
    for p in sorted.reversed() {
        while upper.count >= 2 && cross(upper[upper.count - 2], upper[upper.count - 1], p) <= 0 { upper.removeLast() }
        upper.append(p)
    }
    return Array(lower.dropLast() + upper.dropLast())
}
