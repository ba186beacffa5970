// Convex hull of integer pixel points (Andrew's monotone chain), as cv2.convexHull on int landmarks.

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
    let sorted = Array(Set(points)).sorted { $0.x != $1.x ? $0.x < $1.x : $0.y < $1.y }
    guard sorted.count >= 3 else { return sorted }
    func cross(_ o: PixelPoint, _ a: PixelPoint, _ b: PixelPoint) -> Int {
        (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x)
    }
    var lower: [PixelPoint] = [], upper: [PixelPoint] = []
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
