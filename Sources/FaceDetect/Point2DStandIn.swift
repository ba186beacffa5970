// TEMPORARY: stands in for FaceAlign's Point2D until the FaceAlign module lands on main; delete this file
// when merging main (FaceDetect then uses FaceAlign.Point2D, which has the same fields).

/// A 2-D point in Double precision (stand-in for FaceAlign.Point2D).
public struct Point2D: Sendable, Hashable, Codable {
    public var x: Double
    public var y: Double
    public init(_ x: Double, _ y: Double) { self.x = x; self.y = y }
    public init(x: Double, y: Double) { self.x = x; self.y = y }
}
