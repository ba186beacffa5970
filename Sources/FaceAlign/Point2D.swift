// A point in image or template coordinates: x right, y down, pixel centres at integer coordinates
// (OpenCV's convention, which DFL's landmarks follow).

/// A 2-D point in Double precision.
public struct Point2D: Sendable, Hashable, Codable {
    public var x: Double
    public var y: Double

    public init(_ x: Double, _ y: Double) {
        self.x = x
        self.y = y
    }

    public init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }

    /// Euclidean length of the point seen as a vector.
    public var length: Double { (x * x + y * y).squareRoot() }

    /// The vector scaled to length 1 (unchanged when it has length 0).
    public var normalized: Point2D {
        let n = length
        return n > 0 ? Point2D(x / n, y / n) : self
    }

    public static func + (a: Point2D, b: Point2D) -> Point2D { Point2D(a.x + b.x, a.y + b.y) }
    public static func - (a: Point2D, b: Point2D) -> Point2D { Point2D(a.x - b.x, a.y - b.y) }
    public static func * (a: Point2D, s: Double) -> Point2D { Point2D(a.x * s, a.y * s) }
    public static func * (s: Double, a: Point2D) -> Point2D { Point2D(a.x * s, a.y * s) }
    public static func / (a: Point2D, s: Double) -> Point2D { Point2D(a.x / s, a.y / s) }
    public static func += (a: inout Point2D, b: Point2D) { a = a + b }
    public static func -= (a: inout Point2D, b: Point2D) { a = a - b }
}

extension Point2D {
    /// Points from `[[x, y], …]` rows (as metadata stores landmarks); nil when a row does not have 2 values.
    public static func points(fromRows rows: [[Double]]) -> [Point2D]? {
        var out: [Point2D] = []
        out.reserveCapacity(rows.count)
        for r in rows {
            guard r.count == 2 else { return nil }
            out.append(Point2D(r[0], r[1]))
        }
        return out
    }

    /// `[[x, y], …]` rows, the inverse of `points(fromRows:)`.
    public static func rows(_ points: [Point2D]) -> [[Double]] { points.map { [$0.x, $0.y] } }
}
